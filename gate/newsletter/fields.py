"""One FluentCRM contact's values, checked and cleaned into the state it should have (pure).

Three sources describe a contact: a contacts export (:mod:`gate.newsletter.csv_import`), one
Outgoing Webhook call (:mod:`gate.newsletter.webhook`), and FluentCRM's REST API
(:mod:`gate.newsletter.api_client`). Each is read into a :class:`RawContact` (the text the
source carried), and :func:`check_contact` is the one place that cleans the values and maps
lists and tags to sections, so the same contact gives the same grants whichever path brings it.

Values as FluentCRM writes them:

- its exporter prefixes every value starting with ``= - + @``, tab or CR with ``'`` (emails
  and list and tag titles included); :func:`unprefix` removes that ``'`` on every path;
- emails are stripped and lowercased; two ``@``, no ``@``, an empty local part or domain,
  inner spaces, control characters, address punctuation (``<>()[],;:"\\``) and a leading
  ``=`` are refused with a message saying which; :func:`gate.accounts.normalise_email` then
  gives the stored form (so an imported address matches the same user as a typed one);
- names have control characters replaced by spaces, bidirectional overrides removed, and
  leading formula characters stripped, so a stored name can never start a formula;
- lists and tags are titles joined by ``", "``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.accounts import services as accounts
from gate.exceptions import GateError
from gate.newsletter.sections import NewsletterMap

NAME_MAX = 200
EMAIL_MAX = 254
LOCAL_MAX = 64
TITLE_MAX = 500

STATUSES = (
    "subscribed",
    "pending",
    "unsubscribed",
    "transactional",
    "bounced",
    "complained",
    "spammed",
)
GRANTING_STATUS = "subscribed"

_FORMULA_START = "=+-@"
_PREFIXED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_ADDRESS_PUNCTUATION = set('<>()[],;:"\\')
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


class CrmError(GateError, ValueError):
    """Base class of every error raised for CRM input."""


class FieldError(CrmError):
    """One value is not valid; ``field`` names it (``email``, ``status``, ``first_name`` ...)."""

    status_code = 400
    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SmartcodeError(FieldError):
    """A body that is well formed but almost certainly a misconfigured automation."""

    status_code = 422
    code = "empty_lists"



@dataclass(frozen=True)
class RawContact:
    """What one source said about a contact, as text; None means the source said nothing.

    ``lists`` and ``tags`` are titles (None: the source carried no lists, or no tags).
    """

    email: str | None
    status: str | None
    lists: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class ContactUpdate:
    """The state a contact should have.

    ``sections`` is the exact set of sections wanted (empty unless ``status`` grants), or None
    when the source did not say (then only ``add`` and ``remove`` change anything). ``status``
    is None for an event body without one. ``name`` is None when the source carried no name
    (the stored name is then left alone). ``places`` say where the contact came from
    (``row 3``, ``slice-2.csv row 7``, ``contact 12``; empty for the webhook).
    """

    email: str
    status: str | None
    sections: frozenset[str] | None
    name: str | None = None
    places: tuple[str, ...] = field(default=())
    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()

    @property
    def lacks_lists(self) -> bool:
        """True for a subscribed contact whose source carried no lists or tags at all."""
        return (self.status == GRANTING_STATUS and self.sections is None
                and not self.add and not self.remove)



# ---- single values ---------------------------------------------------------------------------

def quoted(value: str, limit: int = 60) -> str:
    """A value quoted for a message: escaped, and shortened when long."""
    shown = value if len(value) <= limit else value[:limit] + "..."
    return repr(shown)


def unprefix(value: str) -> str:
    """``value`` without the ``'`` FluentCRM's exporter puts before ``= - + @``, tab or CR."""
    return value[1:] if value.startswith(_PREFIXED) else value


def normalise_email(raw: str) -> str:
    """The address stripped, unprefixed and lowercased; :class:`FieldError` when not valid."""
    value = unprefix(raw.strip())
    if not value:
        raise FieldError("email", "is empty")
    plain = value.isascii() and value.isprintable() and " " not in value  # the usual case
    if not plain and any(ch.isspace() for ch in value):
        raise FieldError("email", f"{quoted(value)} contains a space")
    if not plain and any(unicodedata.category(ch) in {"Cc", "Cf", "Cs"} for ch in value):
        raise FieldError("email", f"{quoted(value)} contains a control character")
    if value.count("@") != 1:
        raise FieldError("email", f"{quoted(value)} must contain exactly one @")
    if _ADDRESS_PUNCTUATION.intersection(value):
        raise FieldError("email", f"{quoted(value)} contains a character not allowed in an address")
    local, domain = value.split("@")
    if local.startswith("="):
        raise FieldError("email", f"{quoted(value)} starts like a spreadsheet formula (=)")
    if not local:
        raise FieldError("email", f"{quoted(value)} has nothing before the @")
    if not domain:
        raise FieldError("email", f"{quoted(value)} has nothing after the @")
    if len(value) > EMAIL_MAX or len(local) > LOCAL_MAX:
        raise FieldError("email", f"{quoted(value)} is too long")
    try:
        return accounts.normalise_email(value)
    except accounts.AccountError:
        raise FieldError("email", f"{quoted(value)} is not a valid address") from None


def parse_status(raw: str) -> str:
    """A FluentCRM status, lowercased; raise :class:`FieldError` when empty or unknown."""
    value = raw.strip().lower()
    if not value:
        raise FieldError("status", "is empty")
    if value not in STATUSES:
        raise FieldError(
            "status", f"{quoted(raw.strip())} is not a FluentCRM status ({', '.join(STATUSES)})"
        )
    return value


def clean_name(raw: str, field_name: str = "name") -> str:
    """A display name made safe to store: see the module docstring. Empty stays empty."""
    chars = []
    for ch in unprefix(raw):
        if ch in _BIDI_CONTROLS:
            continue
        chars.append(" " if unicodedata.category(ch) in {"Cc", "Cs"} else ch)
    name = " ".join("".join(chars).split())
    while name and name[0] in _FORMULA_START:
        name = name[1:].lstrip()
    if len(name) > NAME_MAX:
        raise FieldError(field_name, f"is longer than {NAME_MAX} characters")
    return name


def split_titles(raw: str | Iterable[str]) -> tuple[str, ...]:
    """List or tag titles from comma-separated strings, each unprefixed and stripped."""
    parts = [raw] if isinstance(raw, str) else list(raw)
    titles: list[str] = []
    for part in parts:
        for title in part.split(","):
            cleaned = unprefix(title.strip()).strip()
            if cleaned:
                titles.append(cleaned)
    return tuple(titles)


def join_name(first: str | None, last: str | None, full: str | None = None) -> str | None:
    """``first last`` (cleaned), falling back to ``full``; None when no name was given at all."""
    if first is None and last is None and full is None:
        return None
    parts = [clean_name(first or "", "first_name"), clean_name(last or "", "last_name")]
    name = " ".join(part for part in parts if part)
    if not name and full is not None:
        name = clean_name(full, "full_name")
    if len(name) > NAME_MAX:
        raise FieldError("name", f"is longer than {NAME_MAX} characters")
    return name


# ---- one contact: the only path from any source to a wanted state ---------------------------

def _sections(newsletter_map: NewsletterMap, raw: RawContact) -> frozenset[str] | None:
    """The sections the lists and tags grant; None when the source carried neither."""
    if raw.lists is None and raw.tags is None:
        return None
    return newsletter_map.sections_for(split_titles(raw.lists or ()),
                                       split_titles(raw.tags or ()))


def check_contact(
    newsletter_map: NewsletterMap, raw: RawContact, places: tuple[str, ...] = ()
) -> tuple[ContactUpdate | None, list[FieldError]]:
    """One contact's wanted state, or every problem with its values (in field order)."""
    problems: list[FieldError] = []
    email = status = name = None
    try:
        email = normalise_email(raw.email or "")
    except FieldError as exc:
        problems.append(exc)
    try:
        status = parse_status(raw.status or "")
    except FieldError as exc:
        problems.append(exc)
    try:
        name = join_name(raw.first_name, raw.last_name, raw.full_name)
    except FieldError as exc:
        problems.append(exc)
    if problems or email is None or status is None:
        return None, problems
    sections = _sections(newsletter_map, raw) if status == GRANTING_STATUS else frozenset()
    return ContactUpdate(email=email, status=status, sections=sections, name=name,
                         places=places), []


def contact_update(newsletter_map: NewsletterMap, raw: RawContact) -> ContactUpdate:
    """One contact's wanted state; raise :class:`FieldError` for the first bad value."""
    update, problems = check_contact(newsletter_map, raw)
    if update is None:
        raise problems[0]
    return update

