"""Build checks for restricted content, run by ``sop-portal build`` after MkDocs.

- :func:`content_check`: every restricted page and download has valid metadata (front matter
  or sidecar, a known non-empty ``access``, a title), valid UTF-8, and every ``downloads``
  entry exists. A failing item would never be served; the build says so instead of hiding it.
- :func:`leak_check`: no run of 8 consecutive words of any restricted body (page text, as
  written and as rendered, and text downloads) appears anywhere in the public build: every
  HTML page (404 included), ``search/search_index.json``, ``sitemap.xml`` and other text
  files. Text is compared after removing HTML tags, entities, case and punctuation;
  attribute values and comments are compared too, each on its own. Runs that lie inside a
  restricted title, summary or URL are allowed: those are public teasers by design.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.content import ContentError, Item, decode, list_items, parse_page
from gate.markdown_render import Renderer, RenderError

RUN = 8
"""Words in a run that must never appear in public."""

PUBLIC_SUFFIXES = (".html", ".htm", ".json", ".xml", ".txt", ".md")
TEXT_DOWNLOADS = (".md", ".txt", ".csv")
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_ATTR_VALUE = re.compile(r"=\s*\"([^\"]*)\"|=\s*'([^']*)'")

Shingle = tuple[str, ...]


def words(text: str) -> list[str]:
    """The words of ``text``: HTML tags and entities removed, case folded, punctuation gone."""
    return _WORD.findall(html.unescape(_TAG.sub(" ", text)).casefold())


def markup_chunks(text: str) -> Iterator[str]:
    """The text of an HTML or XML document, then each attribute value and each comment.

    Kept apart so that a URL next to its link text never forms a run that is in neither.
    """
    yield _COMMENT.sub(" ", text)
    for match in _ATTR_VALUE.finditer(text):
        yield match.group(1) if match.group(1) is not None else match.group(2)
    for match in _COMMENT.finditer(text):
        yield match.group(1)


def shingles(tokens: list[str], size: int = RUN) -> Iterator[Shingle]:
    """Every run of ``size`` consecutive tokens."""
    for start in range(len(tokens) - size + 1):
        yield tuple(tokens[start : start + size])


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def public_texts(site_dir: Path) -> Iterator[tuple[str, str]]:
    """(file, text chunk) for every text file of the built site, Material's assets excepted.

    JSON files give chunks per string (each search index entry's title and text); markup gives
    its text, then each attribute value and each comment. Unreadable bytes are replaced, never
    skipped.
    """
    for path in sorted(site_dir.rglob("*")):
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith("assets/") or not path.is_file():
            continue
        if path.suffix.lower() not in PUBLIC_SUFFIXES:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix.lower() == ".json":
            try:
                chunks = list(_json_strings(json.loads(text)))
            except ValueError:
                chunks = [text]
        else:
            chunks = [text]
        for chunk in chunks:
            for piece in markup_chunks(chunk):
                yield rel, piece


def public_index(site_dir: Path) -> dict[Shingle, str]:
    """Every 8-word run of the public build, with the first file it was found in."""
    index: dict[Shingle, str] = {}
    for rel, text in public_texts(site_dir):
        for run in shingles(words(text)):
            index.setdefault(run, rel)
    return index


@dataclass(frozen=True)
class Body:
    """Restricted text to keep out of the public build."""

    source: str
    texts: tuple[str, ...]


def restricted_bodies(root: Path, items: Iterable[Item], renderer: Renderer | None,
                      sections: Iterable[str]) -> Iterator[Body]:
    """The bodies of restricted pages (raw and rendered) and of text downloads."""
    known = set(sections)
    for item in items:
        path = root / item.source
        try:
            text = decode(path.read_bytes(), item.source)
        except (ContentError, OSError):
            continue  # reported by content_check
        if item.kind == "file":
            if path.suffix.lower() in TEXT_DOWNLOADS:
                yield Body(item.source, (text,))
            continue
        try:
            _meta, body = parse_page(text, item.source, known)
        except ContentError:
            continue
        texts = [body]
        if renderer is not None:
            try:
                texts.append(renderer.render(body, item.source).text)
            except RenderError:
                pass
        yield Body(item.source, tuple(texts))


def teaser_runs(items: Iterable[Item]) -> set[Shingle]:
    """Runs inside restricted titles, summaries and URLs: public teasers by design."""
    allowed: set[Shingle] = set()
    for item in items:
        if item.meta is not None:
            for text in (item.meta.title, item.meta.summary, item.url):
                allowed.update(shingles(words(text)))
    return allowed


def find_leaks(bodies: Iterable[Body], public: dict[Shingle, str],
               allowed: set[Shingle]) -> list[str]:
    """One problem per restricted source whose text appears in public, with an example."""
    problems = []
    for body in bodies:
        for text in body.texts:
            hit = next(
                (run for run in shingles(words(text)) if run in public and run not in allowed),
                None,
            )
            if hit is not None:
                problems.append(
                    f"{body.source}: restricted text found in the public build "
                    f"({public[hit]}): \"{' '.join(hit)}\""
                )
                break
    return problems


def leaks(site_dir: Path, restricted: Path, mkdocs_config: Path | None,
          sections: Iterable[str]) -> list[str]:
    """The leak problems of a built site against a restricted folder."""
    if not (site_dir / "index.html").is_file():
        return [f"{site_dir}: the public site is not built, so it cannot be checked for leaks"]
    known = frozenset(sections)
    catalogue = list_items(restricted, known)
    items = list(catalogue.items.values())
    renderer = Renderer(mkdocs_config) if mkdocs_config is not None else None
    public = public_index(site_dir)
    bodies = restricted_bodies(restricted, items, renderer, known)
    return find_leaks(bodies, public, teaser_runs(items))


def content_problems(restricted: Path, sections: Iterable[str]) -> list[str]:
    """Every broken restricted item and listing problem, one line each."""
    catalogue = list_items(restricted, frozenset(sections))
    return [str(problem) for problem in catalogue.all_problems()]


def _settings(app: Any) -> tuple[Path, Path, Path, frozenset[str]]:
    from gate.accounts import newsletter_sections
    from gate.config import resolve_path

    config = app.config
    return (
        resolve_path(config["SITE_DIR"]),
        resolve_path(config["RESTRICTED_DIR"]),
        resolve_path(config["MKDOCS_CONFIG"]),
        newsletter_sections(config),
    )


def content_check(app: Any) -> list[str]:
    """Build check: restricted items with missing, empty or unknown access, broken files."""
    _site, restricted, _mkdocs, sections = _settings(app)
    prefix = str(app.config["RESTRICTED_DIR"]).rstrip("/")
    return [f"{prefix}/{line}" for line in content_problems(restricted, sections)]


def leak_check(app: Any) -> list[str]:
    """Build check: restricted body text in the public build."""
    site, restricted, mkdocs, sections = _settings(app)
    return leaks(site, restricted, mkdocs, sections)
