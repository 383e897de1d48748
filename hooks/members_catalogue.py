"""The restricted items of the members site: read, checked, listed and written out.

``read`` takes the restricted folder's files as MkDocs found them and returns the
:class:`Catalogue` (pages by URL, downloads by URL), or raises :class:`ContentError` naming the
file and what is wrong. ``to_json`` is the catalogue the gate reads (``.catalogue.json``);
``index_html`` and ``downloads_html`` are the lists the members hook puts into pages, with each
entry marked by the audiences that open it (see :mod:`nav_marks` for the marker format).

No MkDocs import here: only the front matter reader of :mod:`mkdocs.utils.meta`.
"""

from __future__ import annotations

import html
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restricted_access as rules
import yaml
from mkdocs.utils import meta as front_matter

CATALOGUE_FILE = ".catalogue.json"
FILES_DIR = "files/"
SIDECAR = ".meta.yml"
RESERVED = ("files", "search", "sitemap.xml", "sitemap.xml.gz", "404.html", "assets")
BACKUP_SUFFIXES = ("~", ".bak", ".swp", ".swo", ".tmp", ".orig")


class ContentError(ValueError):
    """A restricted file that cannot be published; the message names it."""


@dataclass(frozen=True)
class Item:
    """A page or a download: where it is served, who opens it, what a teaser says."""

    kind: str
    key: str
    source: str
    output: str
    title: str
    summary: str
    access: tuple[str, ...]
    downloads: tuple[str, ...] = ()

    @property
    def private(self) -> bool:
        """Only client accounts (and staff) may know it exists."""
        return rules.is_private(self.access)


@dataclass
class Catalogue:
    """Pages and downloads by their key (the URL path under the members root)."""

    pages: dict[str, Item] = field(default_factory=dict)
    files: dict[str, Item] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    """Source files MkDocs must not copy: sidecars and editor backups."""

    def items(self) -> list[Item]:
        """Every page, then every download."""
        return [*self.pages.values(), *self.files.values()]


@dataclass(frozen=True)
class Source:
    """A file MkDocs found in the restricted folder."""

    src: str
    url: str
    dest: str


def read(root: Path, sources: Iterable[Source], map_file: Path) -> Catalogue:
    """Every item of the restricted folder ``root``, checked (see the module docstring)."""
    try:
        sections = rules.newsletter_sections(map_file)
    except rules.AccessError as exc:
        raise ContentError(str(exc)) from exc
    found = Catalogue()
    sidecars: dict[str, Source] = {}
    downloads: list[Source] = []
    for source in sorted(sources, key=lambda s: s.src):
        _check_link(root, source.src)
        name = source.src.rsplit("/", 1)[-1]
        if name.endswith(BACKUP_SUFFIXES):
            found.dropped.add(source.src)
        elif source.src.startswith(FILES_DIR):
            (sidecars.__setitem__(source.src, source) if name.endswith(SIDECAR)
             else downloads.append(source))
        elif source.src.endswith(".md"):
            page = _page(root, source, sections)
            found.pages[page.key] = page
        else:
            raise ContentError(f"{source.src}: only Markdown pages and files under files/ "
                               "belong in the restricted folder")
    for source in downloads:
        sidecar = sidecars.pop(source.src + SIDECAR, None)
        if sidecar is None:
            raise ContentError(f"{source.src}: no sidecar {source.src}{SIDECAR}: access unknown")
        found.dropped.add(sidecar.src)
        item = _download(root, source, sidecar, sections)
        found.files[item.key] = item
    if sidecars:
        raise ContentError(f"{min(sidecars)}: sidecar without its file")
    _check_downloads(found)
    _check_indexes(found)
    return found


def _check_link(root: Path, src: str) -> None:
    path = root / src
    if path.is_symlink():
        raise ContentError(f"{src}: symbolic links are not published; copy the file instead")
    if os.stat(path).st_nlink > 1:
        raise ContentError(f"{src}: hard-linked files are not published; copy the file instead")


def _decode(root: Path, src: str) -> str:
    try:
        return (root / src).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{src}: not valid UTF-8 (byte {exc.start})") from exc


def _common(src: str, data: Any, sections: frozenset[str]) -> tuple[str, str, tuple[str, ...]]:
    """(title, summary, access) of front matter or a sidecar; ContentError when invalid."""
    if not isinstance(data, dict):
        raise ContentError(f"{src}: front matter must be a mapping with title and access")
    title, summary = data.get("title"), data.get("summary", "")
    if not isinstance(title, str) or not title.strip():
        raise ContentError(f"{src}: title is missing")
    if not isinstance(summary, str):
        raise ContentError(f"{src}: summary must be text")
    try:
        access = rules.check_access(data.get("access"), sections)
    except rules.AccessError as exc:
        raise ContentError(f"{src}: {exc}") from exc
    return title.strip(), " ".join(summary.split()), access


def _page(root: Path, source: Source, sections: frozenset[str]) -> Item:
    if source.url.split("/", 1)[0] in RESERVED:
        raise ContentError(f"{source.src}: '{source.url.split('/', 1)[0]}' is a reserved name")
    _body, data = front_matter.get_data(_decode(root, source.src))
    title, summary, access = _common(source.src, data, sections)
    downloads = data.get("downloads", [])
    if not isinstance(downloads, list) or not all(isinstance(d, str) for d in downloads):
        raise ContentError(f"{source.src}: downloads must be a list of paths under files/")
    return Item("page", source.url, source.src, source.dest, title, summary, access,
                tuple(FILES_DIR + d.strip().lstrip("/") for d in downloads))


def _download(root: Path, source: Source, sidecar: Source, sections: frozenset[str]) -> Item:
    try:
        data = yaml.safe_load(_decode(root, sidecar.src))
    except yaml.YAMLError as exc:
        raise ContentError(f"{sidecar.src}: not valid YAML ({exc})") from exc
    title, summary, access = _common(sidecar.src, data, sections)
    return Item("file", source.src, source.src, source.dest, title, summary, access)


def _check_downloads(found: Catalogue) -> None:
    for page in found.pages.values():
        for key in page.downloads:
            target = found.files.get(key)
            if target is None:
                raise ContentError(f"{page.source}: downloads entry {key!r} not found")
            if target.private and set(page.access) - set(target.access) - {"staff"}:
                raise ContentError(f"{page.source}: lists {key}, which only one client "
                                   "account may know of, on a page more readers can open")


def _check_indexes(found: Catalogue) -> None:
    """A folder's index page opens for everyone who can open a page in that folder."""
    for key, page in found.pages.items():
        index = found.pages.get(folder_of(key.rstrip("/")))
        if index is None or index is page or "members" in index.access:
            continue
        extra = set(page.access) - set(index.access)
        if extra:
            raise ContentError(f"{page.source}: {', '.join(sorted(extra))} may open this page "
                               f"but not its folder's index {index.source}")


# --- lists put into pages --------------------------------------------------------------------

_ids = itertools.count(1)


def _span(kind: str, audiences: Iterable[str], inner: str) -> str:
    """``inner`` wrapped in a marker pair (content markers are numbered ``c1``, ``c2``...)."""
    number = f"c{next(_ids)}"
    label = " ".join((kind, number, *sorted(set(audiences))))
    return f"<!--sop:{label}-->{inner}<!--/sop:{number}-->"


def _url(root: str, item: Item) -> str:
    return root + item.key


def _entry(item: Item, root: str, *, link: bool) -> str:
    title = html.escape(item.title)
    name = f'<a href="{html.escape(_url(root, item))}">{title}</a>' if link else title
    kind = " (download)" if item.kind == "file" else ""
    summary = f": {html.escape(item.summary)}" if item.summary else ""
    return f"<li>{name}{kind}{summary}</li>"


def folder_of(key: str) -> str:
    """The folder a page belongs to: its own for a folder's index, else its parent's."""
    if key.endswith("/"):
        return key
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def _group_title(found: Catalogue, folder: str) -> str:
    index = found.pages.get(folder)
    if folder and index is not None:
        return index.title
    return rules.section_title(folder.rstrip("/").rsplit("/", 1)[-1]) if folder else "General"


def index_html(found: Catalogue, root: str = "/members/") -> str:
    """The members home's list: what the reader can open, then what others can (teasers)."""
    groups: dict[str, list[Item]] = {}
    def place(item: Item) -> tuple[str, bool]:
        return folder_of(item.key), item.key != folder_of(item.key)

    for item in sorted(found.pages.values(), key=place):
        if item.key:
            groups.setdefault(_group_title(found, folder_of(item.key)), []).append(item)
    out = ['<div class="sop-members-index">', "<h2 id=\"you-can-open\">What you can open</h2>"]
    for title, items in groups.items():
        entries = "".join(_span("open", i.access, _entry(i, root, link=True)) for i in items)
        heading = f"<h3>{html.escape(title)}</h3><ul>{entries}</ul>"
        out.append(_span("open", {a for i in items for a in i.access}, heading))
    if found.files:
        entries = "".join(
            _span("open", i.access, _entry(i, root, link=True)) for i in found.files.values()
        )
        everyone = {a for i in found.files.values() for a in i.access}
        out.append(_span("open", everyone, f"<h3>Downloads</h3><ul>{entries}</ul>"))
    out.append(_span("more", (), _locked_html(found, root)))
    out.append("</div>")
    return "\n".join(out)


def _locked_html(found: Catalogue, root: str) -> str:
    """Teasers of audience-wide items, one group per audience, each with how to get access."""
    groups: dict[tuple[str, ...], list[Item]] = {}
    for item in found.items():
        if item.key and not item.private and "members" not in item.access:
            groups.setdefault(item.access, []).append(item)
    parts = [f'<h2 id="{MORE}">More with access</h2>']
    for access, items in groups.items():
        helps = "".join(f"<p>{html.escape(h)}</p>" for h in rules.access_help(access))
        entries = "".join(_entry(i, root, link=False) for i in items)
        words = rules.describe_access(access)
        ask = "" if access == ("staff",) else f"<p>{rules.request_access_link(words)}</p>"
        block = f"<h3>For {html.escape(words)}</h3>{helps}{ask}<ul>{entries}</ul>"
        parts.append(_span("locked", access, block))
    return "".join(parts)


MORE = "more-with-access"


def downloads_html(found: Catalogue, page: Item, root: str = "/members/") -> str:
    """A page's downloads: links for readers who may open them, teasers for the others."""
    entries = []
    for key in page.downloads:
        item = found.files[key]
        entries.append(_span("open", item.access, _entry(item, root, link=True)))
        if not item.private:
            who = html.escape(rules.describe_access(item.access))
            teaser = _entry(item, root, link=False).replace("</li>", f" (for {who})</li>")
            entries.append(_span("locked", item.access, teaser))
    return f'<h2 id="downloads">Downloads</h2>\n<ul class="sop-downloads">{"".join(entries)}</ul>'


# --- the catalogue the gate reads ------------------------------------------------------------


def _record(item: Item) -> dict[str, Any]:
    return {
        "file": item.output,
        "title": item.title,
        "summary": item.summary,
        "access": list(item.access),
        "who": rules.describe_access(item.access),
        "help": list(rules.access_help(item.access)),
        "private": item.private,
        "downloads": list(item.downloads),
    }


def assets(site: Path, found: Catalogue) -> list[str]:
    """Built files anyone may fetch: the theme's and the widgets', never an item or index."""
    outputs = {item.output for item in found.items()}
    listed = []
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        top = rel.split("/", 1)[0]
        if path.is_file() and rel not in outputs and not top.startswith(".") and top not in (
            "files", "search", "sitemap.xml", "sitemap.xml.gz", "404.html"
        ) and not rel.endswith(".html"):
            listed.append(rel)
    return listed


def to_json(found: Catalogue, site: Path, root: str) -> dict[str, Any]:
    """The catalogue as the gate reads it."""
    return {
        "format": 1,
        "root": root,
        "pages": {key: _record(item) for key, item in found.pages.items()},
        "files": {key: _record(item) for key, item in found.files.items()},
        "assets": assets(site, found),
        "search_index": "search/search_index.json",
        "not_found": "404.html",
    }
