"""A small case-insensitive term search over page texts (pure: no Flask, no files).

The members area calls it with the pages one user may open, and only those: whatever is
not passed in can never appear in a result or a snippet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_QUERY = 200
MAX_TERMS = 10
SNIPPET_WIDTH = 160


class QueryError(ValueError):
    """The query cannot be used; the message says why."""


@dataclass(frozen=True)
class Document:
    """A searchable page: where it lives, its title and its plain text."""

    url: str
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    """One result: the page, a score and a plain-text snippet around the first match."""

    url: str
    title: str
    snippet: str
    score: int


def parse_query(raw: str) -> list[str]:
    """The distinct lower-case terms of a query; QueryError when it is too long."""
    if len(raw) > MAX_QUERY:
        raise QueryError(f"the search is longer than {MAX_QUERY} characters")
    terms = list(dict.fromkeys(t for t in raw.casefold().split() if t))
    if len(terms) > MAX_TERMS:
        raise QueryError(f"use at most {MAX_TERMS} words")
    return terms


def snippet(text: str, terms: list[str], width: int = SNIPPET_WIDTH) -> str:
    """About ``width`` characters of ``text`` around the first occurrence of any term."""
    folded = text.casefold()
    positions = [p for p in (folded.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = text[start : start + width]
    if start + width < len(text):
        cut = piece.rfind(" ")
        piece = (piece[:cut] if cut > width // 2 else piece) + " ..."
    return ("... " if start > 0 else "") + piece.strip()


def search(documents: Iterable[Document], terms: list[str]) -> list[Hit]:
    """Documents containing every term (title or text), best first."""
    if not terms:
        return []
    hits = []
    for doc in documents:
        title, text = doc.title.casefold(), doc.text.casefold()
        if not all(t in title or t in text for t in terms):
            continue
        score = sum(5 * title.count(t) + text.count(t) for t in terms)
        hits.append(Hit(doc.url, doc.title, snippet(doc.text, terms), score))
    return sorted(hits, key=lambda h: (-h.score, h.title.casefold(), h.url))


def highlight_parts(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """``text`` split into (piece, is_match) parts, for safe highlighting in a template."""
    if not terms:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append((text[last : match.start()], False))
        parts.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        parts.append((text[last:], False))
    return parts
