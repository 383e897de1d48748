"""Who may open a restricted item, and how to say so in words.

Pure functions: no Flask, no files, no clock. An item declares a list of audiences; a user
may open it when they hold any one of them, and staff may open everything. An item that
declares no audience opens for nobody but staff (default deny; the build refuses it anyway).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

NEWSLETTER = "Online Sales FAQ"


def can_open(item_access: Collection[str], audiences: Collection[str], is_staff: bool) -> bool:
    """True when a user holding ``audiences`` (or staff) may open an item with this access."""
    if is_staff:
        return True
    if not item_access:
        return False
    held = set(audiences)
    return any(audience in held for audience in item_access)


def section_title(section: str) -> str:
    """A newsletter section's name for people (``store-setup`` -> ``Store Setup``)."""
    return " ".join(word.capitalize() for word in section.split("-") if word)


def describe_audience(audience: str) -> str:
    """One audience in words, e.g. ``registered clients``."""
    kind, _, name = audience.partition(":")
    if audience == "staff":
        return "staff only"
    if audience == "clients":
        return "registered clients"
    if kind == "client" and name:
        return f"the {section_title(name)} client account"
    if kind == "newsletter" and name:
        return f"{NEWSLETTER} subscribers ({section_title(name)} section)"
    return "nobody (unknown audience)"


def describe_access(item_access: Iterable[str]) -> str:
    """Every audience of an item in words, joined with "or"."""
    words = [describe_audience(a) for a in item_access]
    if not words:
        return "nobody (no access declared)"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def how_to_get_access(audience: str) -> str:
    """One sentence telling a reader how to obtain ``audience``."""
    kind, _, name = audience.partition(":")
    if audience == "staff":
        return "This page is for our own team; staff sign in with their staff account."
    if audience == "clients":
        return (
            "Clients sign in with the email and password of the account we set up for them; "
            "ask your account manager for an invitation if you do not have one yet."
        )
    if kind == "client" and name:
        return (
            f"Only users of the {section_title(name)} client account can open this; ask your "
            "account manager to add you to that account."
        )
    if kind == "newsletter" and name:
        return (
            f"Subscribe to the {section_title(name)} section of the {NEWSLETTER} newsletter, "
            "then ask for a sign-in link with the email address you subscribed with."
        )
    return "Nobody can open this item until its access is fixed."


def access_help(item_access: Iterable[str]) -> list[str]:
    """The distinct how-to sentences for every audience of an item."""
    return list(dict.fromkeys(how_to_get_access(a) for a in item_access)) or [
        how_to_get_access("")
    ]
