"""The leak check of ``sop-portal build``: no restricted text in the public build.

Compares two built sites. The restricted text is what the members build made: every page's
text in its search index (Material indexes each page whole, so this is all a reader can
read) and every text download (``.md``, ``.txt``, ``.csv``). The public text is every text
file of the public build but Material's own assets: HTML pages (404 included), the search
index, the sitemap. Text is compared in runs of :data:`RUN` words after removing tags,
entities, case and punctuation; attribute values and comments are compared each on its own.

Allowed: runs inside the title, summary or URL of an audience-wide item (public teasers by
design). Never allowed: the title of an item of one client account, in any length, because
neither that title nor the account's name may appear in public.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

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
    """(file, text chunk) for every text file of a built site, Material's assets excepted."""
    for path in sorted(site_dir.rglob("*")):
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith("assets/") or not path.is_file():
            continue
        if path.suffix.lower() not in PUBLIC_SUFFIXES:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        chunks = [text]
        if path.suffix.lower() == ".json":
            try:
                chunks = list(_json_strings(json.loads(text)))
            except ValueError:
                pass
        for chunk in chunks:
            for piece in markup_chunks(chunk):
                yield rel, piece


def public_index(site_dir: Path) -> dict[Shingle, str]:
    """Every run of the public build, with the first file it was found in."""
    index: dict[Shingle, str] = {}
    for rel, text in public_texts(site_dir):
        for run in shingles(words(text)):
            index.setdefault(run, rel)
    return index


def restricted_texts(members_dir: Path, catalogue: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of every restricted page (search index) and text download.

    A page's "Downloads" section is left out: the build writes it from the downloads'
    titles and summaries, which are teasers.
    """
    index = json.loads((members_dir / catalogue["search_index"]).read_text(encoding="utf-8"))
    for doc in index.get("docs", []):
        if str(doc.get("location", "")).endswith("#downloads"):
            continue  # the build's list of the page's downloads: titles and summaries
        yield "members/" + str(doc.get("location", "")), str(doc.get("text", ""))
    for key, record in catalogue["files"].items():
        if key.lower().endswith(TEXT_DOWNLOADS):
            path = members_dir / record["file"]
            yield key, path.read_bytes().decode("utf-8", errors="replace")


def teaser_runs(catalogue: dict[str, Any]) -> set[Shingle]:
    """Runs inside the titles, summaries and URLs of audience-wide items."""
    allowed: set[Shingle] = set()
    for kind in ("pages", "files"):
        for key, record in catalogue[kind].items():
            if not record["private"]:
                title, summary = record["title"], record["summary"]
                # Teaser lists read "Title (download): summary".
                for text in (title, summary, key, f"{title} {summary}",
                             f"{title} download {summary}"):
                    allowed.update(shingles(words(text)))
    return allowed


def private_titles(catalogue: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The titles (as words) of items of one client account, by key."""
    return {
        key: tuple(words(record["title"]))
        for kind in ("pages", "files")
        for key, record in catalogue[kind].items()
        if record["private"]
    }


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(tuple(haystack[i : i + size]) == needle for i in range(len(haystack) - size + 1))


def find_title_leaks(site_dir: Path, titles: dict[str, tuple[str, ...]]) -> list[str]:
    """One problem per private title found anywhere in the public build."""
    problems = []
    found: set[str] = set()
    for rel, text in public_texts(site_dir):
        tokens = words(text)
        for key, title in titles.items():
            if key not in found and title and _contains(tokens, title):
                found.add(key)
                problems.append(f"{key}: the title of a client account's item is in {rel}")
    return problems


def find_run_leaks(texts: Iterable[tuple[str, str]], public: dict[Shingle, str],
                   allowed: set[Shingle]) -> list[str]:
    """One problem per restricted source whose text appears in public, with an example."""
    problems = []
    reported: set[str] = set()
    for where, text in texts:
        source = where.split("#", 1)[0]
        if source in reported:
            continue
        for run in shingles(words(text)):
            if run in public and run not in allowed:
                reported.add(source)
                problems.append(f"{source}: restricted text found in the public build "
                                f"({public[run]}): \"{' '.join(run)}\"")
                break
    return problems


def find(site_dir: Path, members_dir: Path) -> list[str]:
    """Every leak of the members build ``members_dir`` into the public build ``site_dir``."""
    catalogue = json.loads((members_dir / ".catalogue.json").read_text(encoding="utf-8"))
    texts = restricted_texts(members_dir, catalogue)
    problems = find_run_leaks(texts, public_index(site_dir), teaser_runs(catalogue))
    return problems + find_title_leaks(site_dir, private_titles(catalogue))
