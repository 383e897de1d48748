"""Outgoing Webhook bodies from FluentCRM turned into one contact's wanted state (pure).

The body is a JSON object or form fields: FluentCRM's default "Full Subscriber Data (Raw)"
(no lists or tags: status only), a "Custom Data" body with ``lists`` and ``tags`` smartcodes,
or an event body (``list_applied``, ``list_removed``, ``tag_applied``, ``tag_removed``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gate.newsletter.fields import (
    GRANTING_STATUS,
    TITLE_MAX,
    ContactUpdate,
    FieldError,
    RawContact,
    SmartcodeError,
    contact_update,
    quoted,
    split_titles,
)
from gate.newsletter.sections import NewsletterMap

# The webhook's event bodies: event name -> (the field naming the title, list or tag, adds).
EVENTS: dict[str, tuple[str, bool]] = {
    "list_applied": ("list", True),
    "list_removed": ("list", False),
    "tag_applied": ("tag", True),
    "tag_removed": ("tag", False),
}


def secret_matches(given: str, expected: str) -> bool:
    """Compare the shared secret in constant time."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def _text(data: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    """A text field of a body; None when absent, null or empty (FieldError when required)."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise FieldError(name, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be text")
    return value


def _titles(data: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    """A comma-separated string (a smartcode's output) or a list of strings, as given: they
    are split and cleaned where every source's titles are (``fields.check_contact``)."""
    value = data.get(name)
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise FieldError(name, "must be comma-separated titles (for example "
                               "{{contact." + name + ".title}})")
    return tuple(items)


def _event_update(
    newsletter_map: NewsletterMap, data: Mapping[str, Any], event: str
) -> ContactUpdate:
    """The update of a "List/Tag Applied/Removed" automation's body."""
    if event not in EVENTS:
        raise FieldError("event", f"{quoted(event)} is not one of {', '.join(EVENTS)}")
    kind, adds = EVENTS[event]
    title = _text(data, kind, required=True) or ""
    if len(title) > TITLE_MAX:
        raise FieldError(kind, f"is longer than {TITLE_MAX} characters")
    status_text = _text(data, "status", required=False)
    raw = RawContact(
        email=_text(data, "email", required=True), status=status_text or GRANTING_STATUS,
        first_name=_text(data, "first_name", required=False),
        last_name=_text(data, "last_name", required=False),
    )
    base = contact_update(newsletter_map, raw)
    if base.status != GRANTING_STATUS:
        return base  # a contact who is not subscribed holds no section, whatever the event
    titles = split_titles(title)
    found = (newsletter_map.sections_for(titles, ()) if kind == "list"
             else newsletter_map.sections_for((), titles))
    return replace(base, status=status_text and base.status, sections=None,
                   add=found if adds else frozenset(), remove=frozenset() if adds else found)


def webhook_update(newsletter_map: NewsletterMap, data: Mapping[str, Any]) -> ContactUpdate:
    """The contact of one Outgoing Webhook body (JSON object or form fields).

    - an ``event`` body adds or removes the sections of one list or tag;
    - a body without ``lists`` and ``tags`` (FluentCRM's default "Full Subscriber Data
      (Raw)") updates the status only (``sections`` None for a subscribed contact);
    - a "Custom Data" body with ``lists`` or ``tags`` sets the sections exactly, except that a
      subscribed contact whose lists and tags are both empty raises :class:`SmartcodeError`:
      an unknown smartcode such as ``{{contact.lists}}`` renders as an empty string.
    """
    event = _text(data, "event", required=False)
    if event is not None:
        return _event_update(newsletter_map, data, event.strip().lower())
    raw = RawContact(
        email=_text(data, "email", required=True),
        status=_text(data, "status", required=True),
        lists=_titles(data, "lists"),
        tags=_titles(data, "tags"),
        first_name=_text(data, "first_name", required=False),
        last_name=_text(data, "last_name", required=False),
    )
    update = contact_update(newsletter_map, raw)
    carried = raw.lists is not None or raw.tags is not None
    empty = not split_titles(raw.lists or ()) and not split_titles(raw.tags or ())
    if update.status == GRANTING_STATUS and carried and empty:
        raise SmartcodeError(
            "lists",
            "a subscribed contact came with empty lists and tags; nothing was changed. Check "
            "the automation's Custom Data values: lists = {{contact.lists.title}} and tags = "
            "{{contact.tags.title}} (an unknown smartcode such as {{contact.lists}} is sent "
            "as an empty string)",
        )
    return update

