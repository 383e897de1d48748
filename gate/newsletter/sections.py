"""Newsletter sections and the FluentCRM list and tag titles that grant them.

The one reader of the newsletter map: a TOML file (``NEWSLETTER_MAP_FILE``, default the
``newsletter_map.toml`` shipped in this package) of ``[[section]]`` tables with ``slug``,
``title``, ``lists`` and ``tags``. :func:`parse_map` validates its text, :func:`load_map` reads
the configured file (a bad one is a :class:`gate.config.ConfigError`, so the gate refuses to
start), and :func:`current_map` gives the map the running app loaded. Titles match ignoring
case and repeated spaces, so ``online sales faq:  payments`` in a CRM export still finds the
``Online Sales FAQ: Payments`` list.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from gate.config import ConfigError, resolve_path
from gate.exceptions import GateError

AUDIENCE_PREFIX = "newsletter:"
MAP_EXTENSION = "sop_newsletter_map"  # key of the loaded map in ``app.extensions``
DEFAULT_MAP_FILE = Path(__file__).with_name("newsletter_map.toml")

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SLUG_MAX = 60
_TITLE_MAX = 200
_SECTION_KEYS = {"slug", "title", "lists", "tags"}


class NewsletterMapError(GateError, ValueError):
    """The newsletter map is not valid; the message names the section and the key."""


def title_key(title: str) -> str:
    """The form in which list and tag titles are compared: case-folded, spaces collapsed."""
    return " ".join(title.split()).casefold()


def audience(slug: str) -> str:
    """The audience a section grants: ``newsletter:<slug>``."""
    return f"{AUDIENCE_PREFIX}{slug}"


def is_newsletter_audience(value: str) -> bool:
    """True for ``newsletter:<anything>`` audiences (the only grants the CRM manages)."""
    return value.startswith(AUDIENCE_PREFIX)


@dataclass(frozen=True)
class Section:
    """One newsletter section and the CRM titles that grant it."""

    slug: str
    title: str
    lists: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def audience(self) -> str:
        """``newsletter:<slug>``."""
        return audience(self.slug)


@dataclass(frozen=True)
class NewsletterMap:
    """The sections, in file order, with lookup tables from title keys to slugs."""

    sections: tuple[Section, ...]

    def _index(self, kind: str) -> dict[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for section in self.sections:
            for title in getattr(section, kind):
                index.setdefault(title_key(title), set()).add(section.slug)
        return {key: frozenset(slugs) for key, slugs in index.items()}

    @cached_property
    def _by_list(self) -> dict[str, frozenset[str]]:
        return self._index("lists")

    @cached_property
    def _by_tag(self) -> dict[str, frozenset[str]]:
        return self._index("tags")

    def sections_for(self, lists: Iterable[str], tags: Iterable[str]) -> frozenset[str]:
        """The slugs granted by these list and tag titles (unknown titles are ignored)."""
        found: set[str] = set()
        for title in lists:
            found |= self._by_list.get(title_key(title), frozenset())
        for title in tags:
            found |= self._by_tag.get(title_key(title), frozenset())
        return frozenset(found)

    def section(self, slug: str) -> Section | None:
        """The section with this slug, or None."""
        return next((s for s in self.sections if s.slug == slug), None)


def section_slugs(newsletter_map: NewsletterMap) -> list[str]:
    """The section slugs in file order (for the demo command, checks and the admin CLI)."""
    return [section.slug for section in newsletter_map.sections]


def _titles(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise NewsletterMapError(f"{where} must be a list of titles")
    titles: list[str] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise NewsletterMapError(f"{where} holds {item!r}: every title must be non-empty text")
        if len(item) > _TITLE_MAX:
            raise NewsletterMapError(f"{where} holds a title longer than {_TITLE_MAX} characters")
        key = title_key(item)
        if key in seen:
            raise NewsletterMapError(f"{where} lists {item!r} twice")
        seen.add(key)
        titles.append(" ".join(item.split()))
    return tuple(titles)


def _section(raw: Any, number: int) -> Section:
    where = f"section {number}"
    if not isinstance(raw, dict):
        raise NewsletterMapError(f"{where} must be a table")
    unknown = sorted(set(raw) - _SECTION_KEYS)
    if unknown:
        raise NewsletterMapError(f"{where} has unknown key(s): {', '.join(unknown)}")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or len(slug) > _SLUG_MAX:
        raise NewsletterMapError(
            f"{where}: slug {slug!r} must be lowercase letters, digits and single hyphens "
            f"(at most {_SLUG_MAX} characters)"
        )
    where = f"section {slug!r}"
    title = raw.get("title", slug)
    if not isinstance(title, str) or not title.strip() or len(title) > _TITLE_MAX:
        raise NewsletterMapError(f"{where}: title must be non-empty text")
    lists = _titles(raw.get("lists", []), f"{where} lists")
    tags = _titles(raw.get("tags", []), f"{where} tags")
    if not lists and not tags:
        raise NewsletterMapError(f"{where} needs at least one FluentCRM list or tag")
    return Section(slug=slug, title=title.strip(), lists=lists, tags=tags)


def parse_map(text: str) -> NewsletterMap:
    """Parse and validate the TOML text of a newsletter map.

    Raises :class:`NewsletterMapError` for TOML syntax errors, unknown keys, bad slugs,
    repeated slugs, sections without any list or tag, or a map without sections.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NewsletterMapError(f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"section"})
    if unknown:
        raise NewsletterMapError(f"unknown top-level key(s): {', '.join(unknown)}")
    raw_sections = data.get("section")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise NewsletterMapError("the map needs at least one [[section]] table")
    sections = tuple(_section(raw, number) for number, raw in enumerate(raw_sections, 1))
    slugs = [section.slug for section in sections]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise NewsletterMapError(f"section slug(s) used twice: {', '.join(repeated)}")
    return NewsletterMap(sections=sections)


def load_map(config: Any) -> NewsletterMap:
    """The map named by ``NEWSLETTER_MAP_FILE`` (default: the one shipped with the gate).

    Raises :class:`gate.config.ConfigError` naming the file when it cannot be read or is not
    a valid map.
    """
    configured = str(config.get("NEWSLETTER_MAP_FILE") or "")
    path = resolve_path(configured) if configured else DEFAULT_MAP_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"NEWSLETTER_MAP_FILE={str(path)!r} cannot be read: {exc}") from None
    try:
        return parse_map(text)
    except NewsletterMapError as exc:
        raise ConfigError(f"NEWSLETTER_MAP_FILE={str(path)!r}: {exc}") from None


def current_map(app: Flask | None = None) -> NewsletterMap:
    """The newsletter map of ``app`` (default: the current app), read once at start-up."""
    target = app if app is not None else current_app
    found: NewsletterMap = target.extensions[MAP_EXTENSION]
    return found


def current_slugs(app: Flask | None = None) -> frozenset[str]:
    """The section slugs of the running app's map (what ``newsletter:<slug>`` may name)."""
    return frozenset(section_slugs(current_map(app)))
