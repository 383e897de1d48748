"""MkDocs hook: expand ``[[teasers]]`` into the public list of restricted items.

The list is built from the front matter of ``restricted/`` pages and the sidecars of its
downloads only (title, summary, access), never from a body: for each item it shows the title,
the summary, who it is for in words and a sign-in link to ``/members/<page>``. A malformed
marker (``[[teasers anything]]``) or a broken restricted item fails the build with the file
and the reason.

The restricted folder is ``RESTRICTED_DIR`` (default ``restricted`` next to ``mkdocs.yml``);
newsletter sections come from ``NEWSLETTER_MAP_FILE`` as in the gate.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

from gate import access
from gate.content import Item, list_items

MARKER = "[[teasers]]"
_ANY_MARKER = re.compile(r"\[\[\s*teasers\b[^\]]*\]\]")


def restricted_dir(config: Any) -> Path:
    """The restricted folder: ``RESTRICTED_DIR`` or ``restricted`` beside ``mkdocs.yml``."""
    base = Path(config["config_file_path"]).parent
    return base / (os.environ.get("RESTRICTED_DIR") or "restricted")


def known_sections() -> frozenset[str]:
    """Newsletter sections from the same map file the gate reads."""
    from gate.accounts import newsletter_sections

    return newsletter_sections({"NEWSLETTER_MAP_FILE": os.environ.get("NEWSLETTER_MAP_FILE", "")})


def _order(item: Item) -> tuple[int, str, bool, str]:
    meta = item.valid_meta
    first = meta.access[0]
    rank = {"clients": 0, "staff": 9}.get(first, 1 if first.startswith("client:") else 5)
    who = access.describe_access(meta.access)
    return rank, who, item.kind == "file", meta.title.casefold()


def render_teasers(items: Iterable[Item]) -> str:
    """The teaser list as HTML, grouped by audience (titles and summaries escaped)."""
    groups: dict[str, list[Item]] = {}
    for item in sorted((i for i in items if i.meta is not None), key=_order):
        groups.setdefault(access.describe_access(item.valid_meta.access), []).append(item)
    if not groups:
        return "<p>There are no restricted items yet.</p>\n"
    out = ['<div class="sop-teasers">']
    for who, members in groups.items():
        out.append(f"<h3>For {html.escape(who)}</h3>")
        out.append("<ul>")
        for item in members:
            meta = item.valid_meta
            kind = " (download)" if item.kind == "file" else ""
            summary = f": {html.escape(meta.summary)}" if meta.summary else ""
            out.append(
                f'<li><a href="{html.escape(item.url)}">{html.escape(meta.title)}</a>'
                f"{kind}{summary} <em>(sign in to open)</em></li>"
            )
        out.append("</ul>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def teasers_html(folder: Path, sections: Iterable[str]) -> str:
    """The teaser list of ``folder``; PluginError naming every broken item."""
    catalogue = list_items(folder, frozenset(sections))
    problems = catalogue.all_problems()
    if problems:
        lines = "; ".join(str(p) for p in problems)
        raise PluginError(f"teasers: restricted content has problems: {lines}")
    return render_teasers(catalogue.items.values())


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Replace the ``[[teasers]]`` marker; refuse a malformed one."""
    for match in _ANY_MARKER.finditer(markdown):
        if match.group(0) != MARKER:
            raise PluginError(
                f"{page.file.src_path}: malformed marker {match.group(0)!r}: use {MARKER}"
            )
    if MARKER not in markdown:
        return markdown
    block = teasers_html(restricted_dir(config), known_sections())
    return markdown.replace(MARKER, "\n" + block + "\n")
