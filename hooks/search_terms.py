"""MkDocs hook: each term of a definition list is its own search hit.

Material's search makes one entry per heading, so a page of terms (the glossary) would be one
hit holding every definition. For each ``<dt id="...">`` of a page (Markdown:
``Term { #id }`` followed by ``:   definition``), this hook adds an entry ``page/#id`` whose
title is the term and whose text is its definition, and leaves the page's own entry with only
the text outside its lists of terms. Terms without an id are left as they are.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

INDEX = Path("search") / "search_index.json"
_TERM = re.compile(r'<dt id="([^"]+)"[^>]*>(.*?)</dt>\s*<dd>(.*?)</dd>', re.S)
_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|code|em|i|kbd|span|strong|sub|sup)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
_DL = re.compile(r"<dl>.*?</dl>", re.S)

_terms: dict[str, list[Term]] = {}
_rest: dict[str, str] = {}


@dataclass(frozen=True)
class Term:
    """One term of a definition list: its anchor, its name and its definition."""

    anchor: str
    title: str
    text: str


def plain(fragment: str) -> str:
    """Text of an HTML fragment, tags dropped, spaces collapsed (entities kept decoded)."""
    text = _TAG.sub(" ", _INLINE_TAG.sub("", fragment))
    return " ".join(html.unescape(text).split())


def terms_of(content: str) -> list[Term]:
    """The terms with an id in ``content`` (a page's HTML), in page order."""
    return [Term(anchor, plain(title), plain(text)) for anchor, title, text
            in _TERM.findall(content)]


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Start each build afresh (``mkdocs serve`` rebuilds in one process)."""
    _terms.clear()
    _rest.clear()
    return config


def on_page_content(html_text: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Remember the page's terms and its text outside the lists of terms."""
    found = terms_of(html_text)
    if found:
        _terms[page.url] = found
        rest = _HEADERLINK.sub("", _DL.sub(" ", html_text))
        rest = re.sub(r"<h1[^>]*>.*?</h1>", " ", rest, count=1, flags=re.S)
        _rest[page.url] = plain(rest)
    return html_text


def split_index(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (Material's search index) with each remembered term as its own entry."""
    docs: list[dict[str, Any]] = []
    for doc in data.get("docs", []):
        location = str(doc.get("location", ""))
        if location not in _terms:
            docs.append(doc)
            continue
        docs.append({**doc, "text": html.escape(_rest.get(location, ""), quote=False)})
        docs.extend(
            {"location": f"{location}#{term.anchor}", "title": html.escape(term.title),
             "text": html.escape(term.text, quote=False)}
            for term in _terms[location]
        )
    return {**data, "docs": docs}


def on_post_build(*, config: MkDocsConfig) -> None:
    """Rewrite the search index the search plugin wrote."""
    path = Path(config.site_dir) / INDEX
    if not _terms or not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(split_index(data), ensure_ascii=False, separators=(",", ":")),
                    encoding="utf-8")
