"""Audiences of restricted content: which are valid, and how to say them to a reader.

Pure functions used by the members build (``hooks/members.py``) and the public teaser list
(``hooks/teasers.py``). What they produce goes into the build's catalogue, which is all the
gate reads about content, so the wording lives here and nowhere else.

An audience is ``members`` (every signed-in reader), ``staff``, ``clients``,
``client:<account-slug>`` or ``newsletter:<section>``.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode

NEWSLETTER = "Online Sales FAQ"
DEFAULT_SECTIONS = frozenset({"store-setup", "payments"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AccessError(ValueError):
    """An ``access`` value that no reader could ever hold."""


def newsletter_sections(map_file: Path) -> frozenset[str]:
    """The section slugs of a newsletter map file (``[[section]] slug = ...``).

    Raises :class:`AccessError` naming the file when it cannot be read or has no sections.
    """
    try:
        data = tomllib.loads(map_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AccessError(f"{map_file}: cannot read the newsletter map ({exc})") from exc
    slugs = {
        str(section.get("slug", ""))
        for section in data.get("section", [])
        if isinstance(section, dict)
    }
    if not slugs or not all(_SLUG.match(slug) for slug in slugs):
        raise AccessError(f"{map_file}: every [[section]] needs a lowercase slug")
    return frozenset(slugs)


def check_access(value: object, sections: frozenset[str]) -> tuple[str, ...]:
    """The audiences of an ``access`` value, validated; :class:`AccessError` otherwise."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise AccessError("access must be a non-empty list of audiences")
    audiences = []
    for entry in value:
        if not isinstance(entry, str) or not is_known(entry.strip(), sections):
            expected = "members, staff, clients, client:<account>, newsletter:<section>"
            raise AccessError(f"unknown audience {entry!r} (expected one of: {expected})")
        audiences.append(entry.strip())
    return tuple(dict.fromkeys(audiences))


def is_known(audience: str, sections: frozenset[str]) -> bool:
    """True for an audience some reader can hold."""
    if audience in ("members", "staff", "clients"):
        return True
    kind, _, name = audience.partition(":")
    if kind == "client":
        return bool(_SLUG.match(name))
    return kind == "newsletter" and name in sections


def is_private(item_access: Iterable[str]) -> bool:
    """True when an item belongs to client accounts only: its title is never a teaser."""
    return all(a.startswith("client:") or a == "staff" for a in item_access) and any(
        a.startswith("client:") for a in item_access
    )


def section_title(slug: str) -> str:
    """A slug for people (``store-setup`` -> ``Store Setup``)."""
    return " ".join(word.capitalize() for word in slug.split("-") if word)


def describe_audience(audience: str) -> str:
    """One audience in words, e.g. ``registered clients``."""
    kind, _, name = audience.partition(":")
    words = {
        "members": "every signed-in reader",
        "staff": "our staff",
        "clients": "registered clients",
    }
    if audience in words:
        return words[audience]
    if kind == "client":
        return "one client account"
    return f"{NEWSLETTER} subscribers ({section_title(name)} section)"


def describe_access(item_access: Iterable[str]) -> str:
    """Every audience of an item in words, joined with "or"."""
    words = list(dict.fromkeys(describe_audience(a) for a in item_access))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def how_to_get_access(audience: str) -> str:
    """One sentence telling a reader how to obtain ``audience``."""
    kind, _, section = audience.partition(":")
    if audience == "staff":
        return "This is for our own team: sign in with your staff account."
    if audience == "clients":
        return (
            "Clients sign in with the account we set up for them; if you are a client without "
            "one, ask us for access."
        )
    if kind == "newsletter":
        return (
            f"Subscribe to the {section_title(section)} section of the {NEWSLETTER} newsletter, "
            "then ask for a sign-in link with the address you subscribed with."
        )
    return "Sign in with the account that was set up for you."


def access_help(item_access: Iterable[str]) -> tuple[str, ...]:
    """The distinct how-to sentences for every audience of an item."""
    return tuple(dict.fromkeys(how_to_get_access(a) for a in item_access))


REQUEST_ACCESS = "/auth/request-access"
"""The gate's access request form."""


def request_access_link(who: str) -> str:
    """A link (HTML) to the access request form, saying what is wanted (``who`` in words)."""
    href = html.escape(f"{REQUEST_ACCESS}?{urlencode({'wanted': f'Items for {who}'})}")
    return f'<a class="sop-request-access" href="{href}">Ask for access</a>'
