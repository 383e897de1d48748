"""MkDocs hook: expand ``[[teasers]]`` into the public list of restricted items.

The list comes from the members build's catalogue (``.catalogue.json``: titles, summaries and
who may open each item, never a body), so the members site is built first (``sop-portal
build`` does). Only audience-wide items are listed: an item of one client account is never
named in public. Each entry says who it is for and links to ``/members/<page>``; each group
links to the access request form (``/auth/request-access``). A malformed
marker fails the build with the page; so does a missing catalogue.

The catalogue is ``extra.members_catalogue`` when the build sets it, else
``MEMBERS_SITE_DIR/.catalogue.json`` (default ``members-site`` beside ``mkdocs.yml``).
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from restricted_access import request_access_link

MARKER = "[[teasers]]"
_ANY_MARKER = re.compile(r"\[\[\s*teasers\b[^\]]*\]\]")


def catalogue_path(config: MkDocsConfig) -> Path:
    """Where the members build wrote its catalogue."""
    given = config.extra.get("members_catalogue")
    if given:
        return Path(given)
    base = Path(config.config_file_path).parent
    return base / (os.environ.get("MEMBERS_SITE_DIR") or "members-site") / ".catalogue.json"


def load_items(path: Path) -> list[dict[str, Any]]:
    """The catalogue's pages and downloads (each with its ``url``); PluginError when missing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PluginError(
            f"teasers: cannot read {path} ({exc}); build the members site first (sop-portal build)"
        ) from exc
    root = data.get("root", "/members/")
    items = []
    for kind in ("pages", "files"):
        for key, record in data.get(kind, {}).items():
            items.append({**record, "url": root + key, "kind": kind})
    return items


def render_teasers(items: list[dict[str, Any]]) -> str:
    """Audience-wide items as HTML, grouped by who they are for (everything escaped)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["private"] or "members" in item["access"]:
            continue
        groups.setdefault(item["who"], []).append(item)
    if not groups:
        return "<p>There are no restricted items yet.</p>\n"
    out = ['<div class="sop-teasers">']
    for who in sorted(groups, key=lambda w: (w == "our staff", w)):
        out.append(f"<h3>For {html.escape(who)}</h3>")
        if who != "our staff":
            out.append(f"<p>{request_access_link(who)}</p>")
        out.append("<ul>")
        for item in sorted(groups[who], key=lambda i: (i["kind"], i["title"].casefold())):
            kind = " (download)" if item["kind"] == "files" else ""
            summary = f": {html.escape(item['summary'])}" if item["summary"] else ""
            out.append(
                f'<li><a href="{html.escape(item["url"])}">{html.escape(item["title"])}</a>'
                f"{kind}{summary} <em>(sign in to open)</em></li>"
            )
        out.append("</ul>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace the ``[[teasers]]`` marker; refuse a malformed one."""
    for match in _ANY_MARKER.finditer(markdown):
        if match.group(0) != MARKER:
            raise PluginError(
                f"{page.file.src_path}: malformed marker {match.group(0)!r}: use {MARKER}"
            )
    if MARKER not in markdown:
        return markdown
    block = render_teasers(load_items(catalogue_path(config)))
    return markdown.replace(MARKER, "\n" + block + "\n")
