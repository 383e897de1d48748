"""The members build as the gate knows it: its catalogue, its files, and readers' views.

``sop-portal build`` writes ``.catalogue.json`` into the members build (``MEMBERS_SITE_DIR``);
it is all the gate reads about content. :class:`Build` holds one build: its pages, downloads
and assets by key (the URL path under ``/members/``), its Content-Security-Policy and the
pages as each kind of reader sees them (:meth:`Build.page_for`, at most
:data:`VIEWS_PER_BUILD` kept in memory). :class:`Current` returns the build in place now: one
``stat`` per request notices a new build, which is then loaded once; nothing else is cached.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gate.members.variants import Reader, view

CATALOGUE_FILE = ".catalogue.json"
VIEWS_DIR = ".views"
SITEMAP = "sitemap.xml"
_SITEMAP_URL = re.compile(r"\s*<url>\s*<loc>([^<]*)</loc>.*?</url>", re.S)
"""Where pages as each kind of reader sees them are written for nginx (X-Accel-Redirect)."""
VIEWS_PER_BUILD = 256
"""Pages as seen by one kind of reader, kept per build (least recently used go first)."""


class NotBuilt(LookupError):
    """There is no usable members build; the message says what to do."""


@dataclass(frozen=True)
class Entry:
    """A page or a download of the catalogue."""

    key: str
    kind: str
    file: str
    title: str
    summary: str
    access: tuple[str, ...]
    who: str
    help: tuple[str, ...]
    private: bool
    downloads: tuple[str, ...] = ()


def _entries(kind: str, records: dict[str, Any]) -> dict[str, Entry]:
    return {
        key: Entry(
            key=key, kind=kind, file=str(r["file"]), title=str(r["title"]),
            summary=str(r["summary"]), access=tuple(r["access"]), who=str(r["who"]),
            help=tuple(r["help"]), private=bool(r["private"]),
            downloads=tuple(r.get("downloads", ())),
        )
        for key, r in records.items()
    }


@dataclass
class Build:
    """One members build (a folder that never changes once it is in place)."""

    folder: Path
    root: str
    pages: dict[str, Entry]
    files: dict[str, Entry]
    assets: frozenset[str]
    search_index: str
    not_found: str
    audiences: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.audiences = frozenset(a for e in self.entries() for a in e.access)
        self.page_for = functools.lru_cache(maxsize=VIEWS_PER_BUILD)(self._page_for)
        self.search_index_for = functools.lru_cache(maxsize=64)(self._search_index_for)
        self.sitemap_for = functools.lru_cache(maxsize=64)(self._sitemap_for)

    def entries(self) -> list[Entry]:
        """Every page, then every download."""
        return [*self.pages.values(), *self.files.values()]

    def reader_key(self, audiences: frozenset[str], is_staff: bool) -> Reader:
        """The reader as far as this build can tell readers apart (for sharing views)."""
        if is_staff:
            return Reader(frozenset(), True)
        return Reader(audiences & self.audiences)

    def has_locked(self, reader: Reader) -> bool:
        """True when some audience-wide item is closed to ``reader`` ("More with access")."""
        return any(
            not e.private and not reader.may_open(e.access) for e in self.entries()
        )

    def _page_for(self, file: str, reader: Reader) -> bytes:
        html = (self.folder / file).read_bytes()
        return view(html, reader, self.has_locked(reader))

    def view_path(self, file: str, reader: Reader) -> Path:
        """A file holding ``file`` as ``reader`` sees it (for nginx), written on first use."""
        name = "staff" if reader.is_staff else "-".join(sorted(reader.audiences)) or "none"
        digest = hashlib.sha256(name.encode()).hexdigest()[:24]
        target = self.folder / VIEWS_DIR / digest / file
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            partial.write_bytes(self.page_for(file, reader))
            os.replace(partial, target)
        return target

    def relative(self, path: Path) -> str:
        """``path`` inside this build, as seen from the folder that holds every build."""
        return path.relative_to(self.folder.parent).as_posix()

    def _search_index_for(self, reader: Reader) -> bytes:
        """Material's search index with only the pages ``reader`` may open."""
        data = json.loads((self.folder / self.search_index).read_bytes())
        data["docs"] = [
            doc for doc in data.get("docs", [])
            if self._opens(str(doc.get("location", "")).split("#", 1)[0], reader)
        ]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    def _sitemap_for(self, reader: Reader) -> bytes:
        """The sitemap (which Material's instant navigation reads) with only the reader's pages."""
        text = (self.folder / SITEMAP).read_text(encoding="utf-8")

        def keep(match: re.Match[str]) -> str:
            path = urlsplit(html.unescape(match.group(1))).path
            key = path[len(self.root):] if path.startswith(self.root) else None
            return match.group(0) if key is not None and self._opens(key, reader) else ""

        return _SITEMAP_URL.sub(keep, text).encode()

    def _opens(self, key: str, reader: Reader) -> bool:
        entry = self.pages.get(key)
        return entry is not None and reader.may_open(entry.access)


def load(folder: Path) -> Build:
    """The build in ``folder`` (symbolic links resolved); NotBuilt when there is none."""
    real = folder.resolve()
    try:
        data = json.loads((real / CATALOGUE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotBuilt(f"{folder}: no members build ({exc}); run sop-portal build") from exc
    return Build(
        folder=real,
        root=str(data["root"]),
        pages=_entries("page", data["pages"]),
        files=_entries("file", data["files"]),
        assets=frozenset(data["assets"]),
        search_index=str(data["search_index"]),
        not_found=str(data["not_found"]),
    )


class Current:
    """The build in place in one folder, reloaded when a new build replaces it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._build: Build | None = None

    def get(self, folder: Path) -> Build:
        """The current build of ``folder`` (one ``stat`` when it has not changed)."""
        try:
            st = os.stat(folder / CATALOGUE_FILE)
        except OSError as exc:
            raise NotBuilt(f"{folder}: no members build; run sop-portal build") from exc
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns)
        build = self._build
        if build is not None and stamp == self._stamp:
            return build
        with self._lock:
            if self._build is None or stamp != self._stamp:
                self._build, self._stamp = load(folder), stamp
            return self._build
