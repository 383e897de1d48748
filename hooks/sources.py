"""MkDocs hook: every page names its sources, and no page copies a source document.

The five source documents are vendored in ``sources/seeds/`` (beside ``mkdocs.yml``, never
published) and described in ``sources/catalogue.yml``: a key per document, its title and its
sections. A page lists what it relies on in its front matter::

    sources:
      billing-sop: [Account setup, Billing process]

This hook

- checks every page's ``sources:`` against the catalogue (an unknown document or section fails
  the build) and hands the template a readable list (``page.meta.sop_sources``), which
  ``overrides/partials/sources.html`` shows at the foot of the page;
- is the copy check: the build fails when a run of :data:`RUN` consecutive words of a source
  document appears in a page of ``docs/`` (as rendered, so text that other hooks insert is
  checked too) or of the restricted folder (``RESTRICTED_DIR``, default ``restricted``; read
  from disk, front matter included, because the public build does not render those pages).
  The stage names of the task board are allowed: a run never crosses one.

It imports only the standard library, MkDocs and PyYAML.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

RUN = 8
"""A copied passage is this many consecutive words, or more."""

STAGE_NAMES = ("Investigate, Plan & Spec", "Test & Signoff", "In Progress", "Future Requests",
               "Inbox", "Billed")
"""Names of the task board's sections: pages may repeat them, so a run never crosses one."""

_STAGE = re.compile("|".join(re.escape(name) for name in STAGE_NAMES))
_WORD = re.compile(r"[a-z0-9]+")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_TAG = re.compile(r"<[^>]+>")

Run = tuple[str, ...]


@dataclass(frozen=True)
class SourceDocument:
    """One source document: its key, title, sections and text."""

    key: str
    title: str
    sections: tuple[str, ...]
    text: str


# ---------------------------------------------------------------- the catalogue

def sources_dir(config: Any) -> Path:
    """``sources/`` beside ``mkdocs.yml``."""
    return Path(config["config_file_path"]).parent / "sources"


def load_catalogue(folder: Path) -> dict[str, SourceDocument]:
    """The documents of ``folder/catalogue.yml`` with their texts; PluginError if broken."""
    catalogue = folder / "catalogue.yml"
    try:
        data = yaml.safe_load(catalogue.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PluginError(f"sources: cannot read {catalogue}: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise PluginError(f"sources: {catalogue} lists no documents")
    documents = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or not {"file", "title", "sections"} <= set(entry):
            raise PluginError(f"sources: {catalogue}: {key} needs file, title and sections")
        path = folder / str(entry["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PluginError(f"sources: {key}: cannot read {path}: {exc}") from None
        documents[str(key)] = SourceDocument(
            key=str(key), title=str(entry["title"]),
            sections=tuple(str(s) for s in entry["sections"]), text=text,
        )
    return documents


def resolve_sources(value: object, catalogue: dict[str, SourceDocument]) -> list[dict[str, Any]]:
    """A page's ``sources:`` as ``[{"key", "title", "sections"}]``; ValueError says what is
    wrong (not a mapping, an unknown document, an unknown or missing section)."""
    if not isinstance(value, dict) or not value:
        raise ValueError("sources must map document keys to lists of sections, e.g. "
                         "{billing-sop: [Account setup]}")
    resolved = []
    for key, sections in value.items():
        document = catalogue.get(str(key))
        if document is None:
            raise ValueError(f"unknown source document {key!r} (expected one of "
                             f"{', '.join(catalogue)})")
        if isinstance(sections, str):
            sections = [sections]
        if not isinstance(sections, list) or not sections:
            raise ValueError(f"{key}: name at least one section")
        for section in sections:
            if section not in document.sections:
                raise ValueError(f"{key}: unknown section {section!r} (expected one of "
                                 f"{', '.join(document.sections)})")
        resolved.append({"key": document.key, "title": document.title,
                         "sections": [str(s) for s in sections]})
    return resolved


# ---------------------------------------------------------------- the copy check

def segments(text: str) -> list[list[str]]:
    """Lower-case words of ``text``, split into segments at the stage names."""
    return [_WORD.findall(part.lower()) for part in _STAGE.split(text)]


def runs(text: str, size: int = RUN) -> set[Run]:
    """Every run of ``size`` consecutive words of ``text`` that crosses no stage name."""
    found: set[Run] = set()
    for words in segments(text):
        found.update(tuple(words[i:i + size]) for i in range(len(words) - size + 1))
    return found


def seed_index(catalogue: dict[str, SourceDocument]) -> dict[Run, str]:
    """Each run of every source document, mapped to the document's key."""
    index: dict[Run, str] = {}
    for document in catalogue.values():
        for run in runs(document.text):
            index.setdefault(run, document.key)
    return index


def copied_passages(text: str, index: dict[Run, str]) -> list[str]:
    """The copied passages of ``text``: overlapping copied runs joined, each as
    ``"words ..." (document)``."""
    passages = []
    for words in segments(text):
        start = end = -1
        key = ""
        for i in range(len(words) - RUN + 1):
            hit = index.get(tuple(words[i:i + RUN]))
            if hit is None:
                continue
            if start >= 0 and i <= end:
                end = i + RUN
                continue
            if start >= 0:
                passages.append(f'"{" ".join(words[start:end])}" ({key})')
            start, end, key = i, i + RUN, hit
        if start >= 0:
            passages.append(f'"{" ".join(words[start:end])}" ({key})')
    return passages


class _Text(HTMLParser):
    """The visible text of an HTML fragment (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.hidden += 1
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.hidden -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    """What a reader sees of an HTML fragment."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def markdown_text(markdown: str) -> str:
    """The prose of a Markdown file, front matter values included, link targets and HTML tags
    left out."""
    front = _FRONT_MATTER.match(markdown)
    head = ""
    if front:
        try:
            data = yaml.safe_load(front.group(0).strip().strip("-"))
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict):
            head = " . ".join(str(data[k]) for k in ("title", "summary") if data.get(k))
        markdown = markdown[front.end():]
    body = _TAG.sub(" ", _LINK_TARGET.sub("]", markdown))
    return head + " . " + html.unescape(body)


# ---------------------------------------------------------------- the hook

_state: dict[str, Any] = {}


def restricted_dir(config: Any) -> Path:
    """The restricted folder: ``RESTRICTED_DIR`` or ``restricted`` beside ``mkdocs.yml``."""
    base = Path(config["config_file_path"]).parent
    return base / (os.environ.get("RESTRICTED_DIR") or "restricted")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load the catalogue and index the source documents once per build."""
    catalogue = load_catalogue(sources_dir(config))
    _state.update(catalogue=catalogue, index=seed_index(catalogue), copies=[])
    return config


def on_pre_build(*, config: MkDocsConfig) -> None:
    """Check the restricted pages: their ``sources:`` and the copy check, from disk."""
    folder = restricted_dir(config)
    if not folder.is_dir():
        return
    problems = []
    for path in sorted(folder.rglob("*.md")):
        name = path.relative_to(folder.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        front = _FRONT_MATTER.match(text)
        meta = yaml.safe_load(front.group(0).strip().strip("-")) if front else None
        if isinstance(meta, dict) and "sources" in meta:
            try:
                resolve_sources(meta["sources"], _state["catalogue"])
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        for passage in copied_passages(markdown_text(text), _state["index"]):
            _state["copies"].append(f"{name}: {passage}")
    if problems:
        raise PluginError("sources: " + "; ".join(problems))


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Resolve the page's ``sources:`` for the footer; a wrong entry fails the build."""
    if "sources" in page.meta:
        try:
            page.meta["sop_sources"] = resolve_sources(page.meta["sources"],
                                                       _state["catalogue"])
        except ValueError as exc:
            raise PluginError(f"{page.file.src_uri}: sources: {exc}") from None
    return markdown


def on_page_content(html_fragment: str, *, page: Page, config: MkDocsConfig, files: Files
                    ) -> str:
    """The copy check on what the reader of a public page sees."""
    name = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
    text = f"{page.title or ''} . {html_text(html_fragment)}"
    for passage in copied_passages(text, _state["index"]):
        _state["copies"].append(f"{name}: {passage}")
    return html_fragment


def on_post_build(*, config: MkDocsConfig) -> None:
    """Fail the build, listing every copied passage, when any page copies a source."""
    copies = _state.get("copies") or []
    if copies:
        listed = "\n  ".join(copies)
        raise PluginError(
            f"copy check: {len(copies)} passage(s) of {RUN}+ words copied from a source "
            f"document (sources/seeds/); write them in your own words:\n  {listed}"
        )
