"""Restricted content: front matter, access declarations and the catalogue of items.

``restricted/<path>.md`` is a page served at ``/members/<path>`` (an ``index.md`` at its
folder's URL); every other file under ``restricted/files/`` is a download served at
``/members/files/<path>`` whose metadata lives in a sidecar ``<file>.meta.yml``.

Parsing is pure (text in, values or :class:`ContentError` out). :func:`list_items` is the one
function that reads a folder, which it is given as an argument; it never follows a symlink out
of that folder and skips hidden, backup and editor files, so a URL can only ever name an item
found here.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import yaml

FILES_DIR = "files"
SIDECAR_SUFFIX = ".meta.yml"
PAGE_SUFFIX = ".md"
RESERVED = frozenset({"files", "search"})
"""First path segments under ``/members/`` that are not pages."""

DEFAULT_SECTIONS = frozenset({"store-setup", "payments"})
"""Newsletter sections named in DESIGN.md, used when no newsletter map is available."""

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_AUDIENCE = re.compile(rf"^(?:staff|clients|client:{SLUG}|newsletter:{SLUG})$")
_BACKUP_SUFFIXES = (
    "~", ".bak", ".swp", ".swo", ".swx", ".tmp", ".orig", ".rej", ".old", ".part", ".crdownload",
)
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(10)}
    | {f"lpt{n}" for n in range(10)}
)
MAX_TITLE = 200
MAX_SUMMARY = 400

Kind = Literal["page", "file"]


class ContentError(ValueError):
    """A restricted file that cannot be served: which file, and why."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass(frozen=True)
class Meta:
    """What a page's front matter or a file's sidecar declares (all of it may be public)."""

    title: str
    access: tuple[str, ...]
    summary: str = ""
    downloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One restricted page or download. ``meta`` is None when the item is broken."""

    kind: Kind
    key: str
    """The path after ``/members/``: ``clients/`` for ``clients/index.md``, ``files/x.docx``."""
    source: str
    """The file's path relative to the restricted folder (posix)."""
    meta: Meta | None
    error: str | None = None

    @property
    def url(self) -> str:
        """The item's URL on the gate."""
        return "/members/" + quote(self.key, safe="/")

    @property
    def ok(self) -> bool:
        """True when the item can be served (valid metadata)."""
        return self.meta is not None

    @property
    def valid_meta(self) -> Meta:
        """The metadata of a valid item; ValueError for a broken one."""
        if self.meta is None:
            raise ValueError(f"{self.source}: {self.error}")
        return self.meta

    @property
    def title(self) -> str:
        """The declared title, or the file name when the item is broken."""
        return self.meta.title if self.meta else PurePosix.name(self.source)


class PurePosix:
    """Tiny posix path helpers that never touch the file system."""

    @staticmethod
    def name(path: str) -> str:
        """The last segment of ``path``."""
        return path.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Catalogue:
    """Every item found in a restricted folder, by key, plus the problems found."""

    items: dict[str, Item] = field(default_factory=dict)
    problems: list[ContentError] = field(default_factory=list)

    def pages(self) -> list[Item]:
        """The pages, in key order."""
        return [item for key, item in sorted(self.items.items()) if item.kind == "page"]

    def files(self) -> list[Item]:
        """The downloads, in key order."""
        return [item for key, item in sorted(self.items.items()) if item.kind == "file"]

    def all_problems(self) -> list[ContentError]:
        """Problems found while listing plus every broken item's reason."""
        broken = [ContentError(i.source, i.error or "") for i in self.items.values() if i.error]
        return [*self.problems, *broken]


# --- text ------------------------------------------------------------------------------------


def decode(raw: bytes, file: str) -> str:
    """The UTF-8 text of a content file (a leading BOM is dropped); ContentError if invalid."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(file, f"not valid UTF-8 (byte {exc.start})") from None
    return text.removeprefix("\ufeff")


def split_front_matter(text: str, file: str) -> tuple[dict[str, Any], str]:
    """Split ``---``-delimited YAML front matter from the Markdown body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise ContentError(file, "no front matter: the file must start with a '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in {"---", "..."}:
            header = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return load_yaml_mapping(header, file), body
    raise ContentError(file, "front matter is not closed by a '---' line")


def load_yaml_mapping(text: str, file: str) -> dict[str, Any]:
    """Safe-load YAML that must be a mapping (an empty document is an empty mapping)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContentError(file, f"broken front matter{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(file, "front matter must be a mapping of keys to values")
    return data


# --- validation ------------------------------------------------------------------------------


def validate_audience(value: object, file: str, sections: Collection[str]) -> str:
    """One audience string, checked against the known forms and newsletter sections."""
    if not isinstance(value, str) or not _AUDIENCE.match(value):
        raise ContentError(
            file,
            f"unknown access {value!r}: expected staff, clients, client:<account-slug> "
            "or newsletter:<section>",
        )
    if value.startswith("newsletter:") and value.split(":", 1)[1] not in sections:
        known = ", ".join(sorted(sections)) or "none"
        raise ContentError(file, f"unknown newsletter section in {value!r} (known: {known})")
    return value


def validate_access(value: object, file: str, sections: Collection[str]) -> tuple[str, ...]:
    """The ``access`` declaration: a non-empty list of audiences (a single string is allowed)."""
    if value is None or value == "" or value == []:
        raise ContentError(file, "access is missing or empty: nobody could open this item")
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise ContentError(file, "access must be a list of audiences, e.g. [clients]")
    audiences = tuple(validate_audience(v, file, sections) for v in values)
    return tuple(dict.fromkeys(audiences))


def _text_field(data: Mapping[str, Any], name: str, file: str, limit: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ContentError(file, f"{name} must be text, not {type(value).__name__}")
    value = " ".join(value.split())
    if len(value) > limit:
        raise ContentError(file, f"{name} is longer than {limit} characters")
    return value


def validate_download(value: object, file: str) -> str:
    """A ``downloads`` entry: a plain relative path under ``restricted/files/``."""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(file, f"downloads entry {value!r} must be a path under files/")
    if not is_safe_relative(value):
        raise ContentError(file, f"downloads entry {value!r} is not a plain path under files/")
    return value


def is_safe_relative(path: str) -> bool:
    """True for a plain relative posix path: no ``..``, hidden, empty or absolute parts."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    parts = path.split("/")
    return all(part and part not in {".", ".."} and not part.startswith(".") for part in parts)


def parse_meta(
    data: Mapping[str, Any], file: str, sections: Collection[str], *, default_title: str = ""
) -> Meta:
    """Validate front matter or a sidecar mapping and return its :class:`Meta`."""
    access = validate_access(data.get("access"), file, sections)
    title = _text_field(data, "title", file, MAX_TITLE) or default_title
    if not title:
        raise ContentError(file, "title is missing or empty")
    summary = _text_field(data, "summary", file, MAX_SUMMARY)
    raw_downloads = data.get("downloads") or []
    if isinstance(raw_downloads, str):
        raw_downloads = [raw_downloads]
    if not isinstance(raw_downloads, list):
        raise ContentError(file, "downloads must be a list of paths under files/")
    downloads = tuple(dict.fromkeys(validate_download(d, file) for d in raw_downloads))
    return Meta(title=title, access=access, summary=summary, downloads=downloads)


def parse_page(text: str, file: str, sections: Collection[str]) -> tuple[Meta, str]:
    """Front matter and body of a restricted page."""
    data, body = split_front_matter(text, file)
    return parse_meta(data, file, sections), body


def parse_sidecar(text: str, file: str, sections: Collection[str], file_name: str) -> Meta:
    """The metadata of a download from its sidecar's text (title defaults to the file name)."""
    data = load_yaml_mapping(text, file)
    if data.get("downloads"):
        raise ContentError(file, "downloads belongs in page front matter, not in a sidecar")
    return parse_meta(data, file, sections, default_title=file_name)


# --- names and keys --------------------------------------------------------------------------


def is_ignored_name(name: str) -> bool:
    """Hidden, backup and editor files, sidecars and Windows device names are never items."""
    lowered = name.lower()
    if not name or name.startswith((".", "#", "~")) or lowered.endswith(_BACKUP_SUFFIXES):
        return True
    if lowered.endswith(SIDECAR_SUFFIX):
        return True
    return lowered.split(".", 1)[0] in _WINDOWS_DEVICES


def page_key(source: str) -> str:
    """The key under ``/members/`` of a page's source path (``a/index.md`` -> ``a/``)."""
    stem = source[: -len(PAGE_SUFFIX)]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem


def sidecar_for(source: str) -> str:
    """The sidecar path of a download's source path."""
    return source + SIDECAR_SUFFIX


# --- listing ---------------------------------------------------------------------------------


Signature = tuple[int, int, int]
"""A file's or folder's modification time (ns), size and inode."""


@dataclass(frozen=True)
class _Found:
    source: str
    path: Path
    signature: Signature


def _signature(st: os.stat_result) -> Signature:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def stamp(path: str) -> Signature | None:
    """The signature of ``path`` (symlinks followed), or None when it cannot be stat'ed."""
    try:
        return _signature(os.stat(path))
    except (OSError, ValueError):
        return None


@dataclass
class Stamps:
    """What a listing looked at, so that a cached catalogue can be re-validated by stat alone.

    ``folders``: every folder listed and its signature taken *before* it was listed (adding,
    removing or renaming an entry changes a folder's modification time). ``files``: per item
    key, the paths it was read from (a page; a download and its sidecar) with their
    signatures. ``symlinks``: a symlink was met (its target may live in a folder that is not
    listed, so such a listing is never trusted).
    """

    folders: dict[str, Signature | None] = field(default_factory=dict)
    files: dict[str, tuple[tuple[str, Signature], ...]] = field(default_factory=dict)
    symlinks: bool = False

    def newest(self) -> int:
        """The latest modification time seen (ns), 0 when nothing was seen."""
        times = [sig[0] for sig in self.folders.values() if sig is not None]
        times += [sig[0] for entries in self.files.values() for _path, sig in entries]
        return max(times, default=0)


def _regular_file(root: Path, entry: os.DirEntry[str], rel: str,
                  problems: list[ContentError]) -> os.stat_result | None:
    """The stat of a regular file inside ``root``; a symlink must resolve inside ``root``."""
    try:
        if entry.is_symlink():
            real = Path(entry.path).resolve(strict=True)
            if real != root and root not in real.parents:
                problems.append(ContentError(rel, "symlink points outside the restricted folder"))
                return None
        st = entry.stat()
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or "broken link"
        problems.append(ContentError(rel, f"cannot be read ({reason})"))
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _walk(root: Path, folder: str, prefix: str, problems: list[ContentError],
          stamps: Stamps | None = None) -> Iterator[_Found]:
    """Regular files under ``folder`` (never through a symlinked folder), names filtered.

    ``prefix`` is ``folder`` relative to ``root`` with a trailing slash ("" at the root).
    ``stamps`` (optional) collects each folder's signature, taken before it is listed.
    """
    if stamps is not None:
        stamps.folders[folder] = stamp(folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(ContentError(prefix or str(folder), f"cannot be listed ({exc.strerror})"))
        return
    for entry in entries:
        rel = prefix + entry.name
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(ContentError(repr(rel), "file name is not valid UTF-8"))
            continue
        if entry.name.startswith("."):
            continue
        if not entry.name.isprintable():
            problems.append(ContentError(repr(rel), "file name has control characters"))
            continue
        if stamps is not None and entry.is_symlink():
            stamps.symlinks = True
        if entry.is_dir(follow_symlinks=False):
            if not is_ignored_name(entry.name):
                yield from _walk(root, entry.path, rel + "/", problems, stamps)
            continue
        if entry.is_symlink() and entry.is_dir():
            problems.append(ContentError(rel, "symlinked folders are not followed"))
            continue
        st = _regular_file(root, entry, rel, problems)
        if st is not None:
            yield _Found(rel, Path(entry.path), _signature(st))


def _load_page(found: _Found, sections: Collection[str]) -> Item:
    key = page_key(found.source)
    try:
        if key == "" or key.split("/", 1)[0] in RESERVED:
            first = key.split("/", 1)[0] or "index"
            raise ContentError(found.source, f"'{first}' is reserved under /members/")
        text = decode(found.path.read_bytes(), found.source)
        meta, _body = parse_page(text, found.source, sections)
    except ContentError as exc:
        return Item("page", key, found.source, None, exc.reason)
    except OSError as exc:
        return Item("page", key, found.source, None, f"cannot be read ({exc.strerror})")
    return Item("page", key, found.source, meta)


def _load_file(found: _Found, sections: Collection[str], sidecar: _Found | None) -> Item:
    key = found.source
    side = sidecar_for(found.source)
    name = PurePosix.name(found.source)
    try:
        if sidecar is None:
            raise ContentError(found.source, f"no sidecar {PurePosix.name(side)}: access unknown")
        text = decode(sidecar.path.read_bytes(), side)
        meta = parse_sidecar(text, side, sections, name)
    except ContentError as exc:
        return Item("file", key, found.source, None, exc.reason)
    except OSError as exc:
        return Item("file", key, found.source, None, f"sidecar cannot be read ({exc.strerror})")
    return Item("file", key, found.source, meta)


CacheKey = tuple[str, tuple[int, ...]]


def list_items(
    folder: Path,
    sections: Collection[str] = DEFAULT_SECTIONS,
    cache: MutableMapping[CacheKey, Item] | None = None,
    *,
    stamps: Stamps | None = None,
    racy_after_ns: int | None = None,
) -> Catalogue:
    """Every page and download under ``folder``, validated.

    ``cache`` (optional) maps a file's source path and signature (modification time, size and
    inode of the file and of its sidecar) to its parsed item, so unchanged files are not read
    again; the caller keeps one cache per set of ``sections``. Broken items are kept, with
    their reason, so callers can refuse them cleanly.

    ``stamps`` (optional) is filled with the signatures of every folder and file looked at
    (see :class:`Stamps`). With ``racy_after_ns``, an item whose file was modified at or after
    that time is not put in ``cache``: a second edit within the file system's timestamp
    granularity could keep the same signature.
    """
    catalogue = Catalogue()
    try:
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        catalogue.problems.append(ContentError(str(folder), "restricted folder not found"))
        return catalogue
    if not root.is_dir():
        catalogue.problems.append(ContentError(str(folder), "restricted folder not found"))
        return catalogue
    pages: list[_Found] = []
    downloads: list[_Found] = []
    sidecars: dict[str, _Found] = {}
    for found in _walk(root, str(root), "", catalogue.problems, stamps):
        name = PurePosix.name(found.source)
        if found.source.startswith(FILES_DIR + "/"):
            if name.lower().endswith(SIDECAR_SUFFIX):
                sidecars[found.source] = found
            elif not is_ignored_name(name):
                downloads.append(found)
        elif found.source.endswith(PAGE_SUFFIX) and not is_ignored_name(name):
            pages.append(found)
    for found in pages:
        key = page_key(found.source)
        catalogue.items[key] = _cached(
            _usable(cache, racy_after_ns, found),
            (found.source, found.signature),
            lambda f=found: _load_page(f, sections),
        )
        if stamps is not None:
            stamps.files[key] = ((str(found.path), found.signature),)
    for found in downloads:
        side = sidecars.pop(sidecar_for(found.source), None)
        extra = side.signature if side is not None else (0, 0, 0)
        catalogue.items[found.source] = _cached(
            _usable(cache, racy_after_ns, found, side),
            (found.source, (*found.signature, *extra)),
            lambda f=found, s=side: _load_file(f, sections, s),
        )
        if stamps is not None:
            read = [found] if side is None else [found, side]
            stamps.files[found.source] = tuple((str(f.path), f.signature) for f in read)
    for orphan in sorted(sidecars):
        catalogue.problems.append(ContentError(orphan, "sidecar without its file"))
    _check_downloads(catalogue)
    return catalogue


def _usable(
    cache: MutableMapping[CacheKey, Item] | None,
    racy_after_ns: int | None,
    *found: _Found | None,
) -> MutableMapping[CacheKey, Item] | None:
    """``cache``, unless one of the files was modified too recently to trust its signature."""
    if cache is None or racy_after_ns is None:
        return cache
    if any(f is not None and f.signature[0] >= racy_after_ns for f in found):
        return None
    return cache


def _cached(
    cache: MutableMapping[CacheKey, Item] | None,
    key: CacheKey,
    load: Any,
) -> Item:
    if cache is None:
        return load()
    item = cache.get(key)
    if item is None:
        item = load()
        cache[key] = item
    return item


def _check_downloads(catalogue: Catalogue) -> None:
    """Every ``downloads`` entry of a page must name a download that exists."""
    for page in catalogue.pages():
        if page.meta is None:
            continue
        for entry in page.meta.downloads:
            target = catalogue.items.get(f"{FILES_DIR}/{entry}")
            if target is None:
                catalogue.problems.append(
                    ContentError(page.source, f"downloads entry {entry!r} not found in files/")
                )


# --- cached catalogue ------------------------------------------------------------------------

RACY_NS = 2_000_000_000
"""A listing that saw a modification time this close to (or after) the time it started is not
trusted: a further change within the file system's timestamp granularity (or a little clock
skew) could leave every signature as it was. Such a listing is redone on the next request."""

FULL_CHECK_NS = 1_000_000_000
"""Every file of a trusted listing is re-checked at least this often (see
:meth:`CatalogueCache.get`); folders and the requested item are checked on every call."""


@dataclass(frozen=True)
class Snapshot:
    """A catalogue and what is needed to tell, by stat alone, whether it is still current."""

    catalogue: Catalogue
    version: int
    """Grows by one at every new listing: a key for caches derived from the catalogue."""
    sections: frozenset[str]
    root: tuple[str, Signature | None]
    folders: tuple[tuple[str, Signature | None], ...]
    files: Mapping[str, tuple[tuple[str, Signature], ...]]
    trusted: bool
    """False when the listing met a symlink or a too recent modification time."""
    checked_ns: int
    """When every file was last found unchanged."""


def _unchanged(entries: Iterable[tuple[str, Signature | None]]) -> bool:
    """True when every path still has its signature (None: still cannot be stat'ed)."""
    stat_ = os.stat
    for path, sig in entries:
        try:
            st = stat_(path)
        except (OSError, ValueError):
            if sig is not None:
                return False
            continue
        if sig is None or (st.st_mtime_ns, st.st_size, st.st_ino) != sig:
            return False
    return True


class CatalogueCache:
    """The catalogue of one restricted folder, listed again only when something changed.

    :meth:`get` re-validates the cached listing with ``stat`` calls and no reads: the folder
    itself and every folder in it (a file added, removed or renamed changes its folder's
    modification time) and the files of the requested item (an edit in place changes the
    file's), on every call; every file when asked (``full``) and at least once every
    :data:`FULL_CHECK_NS`. Anything different, or a listing that is not trusted (see
    :data:`RACY_NS`, symlinks), and the folder is listed again; parsed items of unchanged files
    are reused from an item cache keyed by signature.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._items: dict[CacheKey, Item] = {}
        self._version = 0
        self.listings = 0
        """How many times the folder was listed (for tests and the benchmark)."""

    def get(self, folder: Path, sections: frozenset[str], now_ns: int, *,
            key: str | None = None, full: bool = False) -> Snapshot:
        """The current snapshot of ``folder``; ``now_ns`` is the wall clock (``time.time_ns``).

        ``key``: the item about to be served, whose files are always re-checked. ``full``:
        re-check every file (for answers that list items: the members index and search).
        """
        snap = self._snapshot
        if snap is not None and self._current(snap, folder, sections, now_ns, key, full):
            return self._snapshot or snap
        with self._lock:
            snap = self._snapshot
            if snap is not None and self._current(snap, folder, sections, now_ns, key, full):
                return self._snapshot or snap
            return self._list(folder, sections, now_ns)

    def _current(self, snap: Snapshot, folder: Path, sections: frozenset[str], now_ns: int,
                 key: str | None, full: bool) -> bool:
        if not snap.trusted or snap.sections != sections or snap.root[0] != str(folder):
            return False
        if stamp(snap.root[0]) != snap.root[1] or not _unchanged(snap.folders):
            return False
        if full or now_ns - snap.checked_ns >= FULL_CHECK_NS or now_ns < snap.checked_ns:
            if not all(_unchanged(entries) for entries in snap.files.values()):
                return False
            self._snapshot = replace(snap, checked_ns=now_ns)
            return True
        return key is None or _unchanged(snap.files.get(key, ()))

    def _list(self, folder: Path, sections: frozenset[str], now_ns: int) -> Snapshot:
        old = self._snapshot
        if old is None or old.sections != sections:
            self._items.clear()
        root = (str(folder), stamp(str(folder)))
        stamps = Stamps()
        racy = now_ns - RACY_NS
        catalogue = list_items(folder, sections, self._items, stamps=stamps, racy_after_ns=racy)
        if len(self._items) > 2 * len(catalogue.items) + 50:  # old versions of edited files
            self._items.clear()
        self._version += 1
        self.listings += 1
        newest = max(stamps.newest(), root[1][0] if root[1] else 0)
        snap = Snapshot(
            catalogue=catalogue,
            version=self._version,
            sections=sections,
            root=root,
            folders=tuple(stamps.folders.items()),
            files=stamps.files,
            trusted=root[1] is not None and not stamps.symlinks and newest < racy,
            checked_ns=now_ns,
        )
        self._snapshot = snap
        return snap
