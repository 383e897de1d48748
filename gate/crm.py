"""FluentCRM contacts as FluentCRM really sends them, turned into wanted states (pure).

Three sources describe a contact: a contacts export (CSV), one Outgoing Webhook call, and
FluentCRM's REST API. Each is read into a :class:`RawContact` (the text the source carried),
and :func:`check_contact` is the one place that cleans the values and maps lists and tags to
sections, so the same contact gives the same grants whichever path brings it.

Values as FluentCRM writes them:

- its exporter prefixes every value starting with ``= - + @``, tab or CR with ``'`` (emails
  and list and tag titles included); :func:`unprefix` removes that ``'`` on every path;
- emails are stripped and lowercased; two ``@``, no ``@``, an empty local part or domain,
  inner spaces, control characters, address punctuation (``<>()[],;:"\\``) and a leading
  ``=`` are refused with a message saying which; :func:`gate.accounts.services.normalise_email` then
  gives the stored form (so an imported address matches the same user as a typed one);
- names have control characters replaced by spaces, bidirectional overrides removed, and
  leading formula characters stripped, so a stored name can never start a formula;
- lists and tags are titles joined by ``", "``.

An export is read as PHP's ``fputcsv`` writes it (see :func:`php_csv_rows`); its header row
names the columns chosen at export time, in English or in one of the languages FluentCRM Pro
ships (:data:`COLUMN_ALIASES`). Parsing is all or nothing: every bad row of every file is
reported together in one :class:`ExportError`, and no plan is returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gate.accounts import services as accounts
from gate.exceptions import GateError
from gate.newsletter import NewsletterMap

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
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

# The webhook's event bodies: event name -> (the field naming the title, list or tag, adds).
EVENTS: dict[str, tuple[str, bool]] = {
    "list_applied": ("list", True),
    "list_removed": ("list", False),
    "tag_applied": ("tag", True),
    "tag_removed": ("tag", False),
}

# Export header labels -> column. English labels come from the exporter's column map, the
# others from the translations FluentCRM Pro ships for them (msgstr of the same msgid):
#   fluentcampaign-pro 2.8.45, app/Hooks/Handlers/DataExporter.php, contactColumnMaps()
#   languages/fluentcampaign-pro-{de_DE,fr_FR,es_ES,he_IL}.po
_HEADER_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"email": ("Email",), "first_name": ("First Name",), "last_name": ("Last Name",),
           "status": ("Status",), "lists": ("Lists",), "tags": ("Tags",)},
    "de": {"email": ("E-Mail",), "first_name": ("Vorname",), "last_name": ("Nachname",),
           "status": ("Status",), "lists": ("Listen",), "tags": ("Schlüsselwörter",)},
    "fr": {"email": ("Courriel ",), "first_name": ("Prénom",), "last_name": ("Nom",),
           "status": ("Statut",), "lists": ("Listes",), "tags": ("Tags",)},
    "es": {"email": ("Envíe un correo electrónico a",), "first_name": ("Nombre",),
           "last_name": ("Apellido",), "status": ("Estatus",), "lists": ("Listas",),
           "tags": ("Etiquetas",)},
    "he": {"email": ("אימייל",), "first_name": ("שם פרטי",), "last_name": ("שם משפחה",),
           "status": ("סטָטוּס",), "lists": ("רשימות",), "tags": ("תגים",)},
    # spellings people use when they build or re-save a file by hand
    "other": {"email": ("Email Address", "E Mail", "Correo electrónico"),
              "first_name": ("FirstName",), "last_name": ("LastName",),
              "full_name": ("Full Name", "Name"), "lists": ("List",), "tags": ("Tag",)},
}
COLUMN_LABELS = {
    "email": "Email",
    "first_name": "First Name",
    "last_name": "Last Name",
    "full_name": "Full Name",
    "status": "Status",
    "lists": "Lists",
    "tags": "Tags",
}

_FORMULA_START = "=+-@"
_PREFIXED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_ADDRESS_PUNCTUATION = set('<>()[],;:"\\')
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")
# PHP's fputcsv: a quoted value holds "" for a quote, and after a run of backslashes the next
# character is written as it is (even a quote); PHP's fgetcsv keeps the backslashes, as we do.
_QUOTED = re.compile(r'"((?:[^"\\]++|\\++.|"")*+)"', re.S)
_BARE = re.compile(r"[^,\r\n]*+")
_QUOTED_TOKEN = re.compile(r'\\++.|""', re.S)
_PLACE_ROW = re.compile(r"(?:^| )row (\d+)$")


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
class RowProblem:
    """A problem with one row of an export or one API contact (``where`` names it)."""

    row: int | None
    message: str
    where: str = ""

    def __str__(self) -> str:
        label = self.where or (f"row {self.row}" if self.row is not None else "")
        return f"{label}: {self.message}" if label else self.message


class ExportError(CrmError):
    """Contacts that cannot be imported: a one-line ``message`` plus every bad row."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


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


@dataclass(frozen=True)
class ImportPlan:
    """Every contact of one import (all its files), in order, one entry per address."""

    contacts: tuple[ContactUpdate, ...]

    @property
    def emails(self) -> frozenset[str]:
        """The normalised addresses in the plan."""
        return frozenset(contact.email for contact in self.contacts)


# ---- single values ---------------------------------------------------------------------------

def _show(value: str, limit: int = 60) -> str:
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
        raise FieldError("email", f"{_show(value)} contains a space")
    if not plain and any(unicodedata.category(ch) in {"Cc", "Cf", "Cs"} for ch in value):
        raise FieldError("email", f"{_show(value)} contains a control character")
    if value.count("@") != 1:
        raise FieldError("email", f"{_show(value)} must contain exactly one @")
    if _ADDRESS_PUNCTUATION.intersection(value):
        raise FieldError("email", f"{_show(value)} contains a character not allowed in an address")
    local, domain = value.split("@")
    if local.startswith("="):
        raise FieldError("email", f"{_show(value)} starts like a spreadsheet formula (=)")
    if not local:
        raise FieldError("email", f"{_show(value)} has nothing before the @")
    if not domain:
        raise FieldError("email", f"{_show(value)} has nothing after the @")
    if len(value) > EMAIL_MAX or len(local) > LOCAL_MAX:
        raise FieldError("email", f"{_show(value)} is too long")
    try:
        return accounts.normalise_email(value)
    except accounts.AccountError:
        raise FieldError("email", f"{_show(value)} is not a valid address") from None


def parse_status(raw: str) -> str:
    """A FluentCRM status, lowercased; raise :class:`FieldError` when empty or unknown."""
    value = raw.strip().lower()
    if not value:
        raise FieldError("status", "is empty")
    if value not in STATUSES:
        raise FieldError(
            "status", f"{_show(raw.strip())} is not a FluentCRM status ({', '.join(STATUSES)})"
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


# ---- webhook bodies --------------------------------------------------------------------------

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
    are split and cleaned where every source's titles are, in :func:`_sections`."""
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
        raise FieldError("event", f"{_show(event)} is not one of {', '.join(EVENTS)}")
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


# ---- exports ---------------------------------------------------------------------------------

def decode_export(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of an export file: UTF-8 (BOM stripped) or UTF-16 with a BOM."""
    if len(data) > max_bytes:
        raise ExportError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes (export it in "
            "slices with the export dialog's limit and offset, and import every slice in one "
            "command)"
        )
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExportError(
            f"the file is not {encoding.upper().removesuffix('-SIG')} text (line {line}); "
            "export or save it as CSV UTF-8"
        ) from None


def _header_key(cell: str) -> str:
    """A header label compared ignoring case, spaces, ``_`` and ``-``."""
    return " ".join(_HEADER_SEPARATORS.split(cell.strip().casefold())).strip()


def _aliases() -> dict[str, str]:
    """Header key -> column, from every language; a key naming two columns is a bug."""
    found: dict[str, str] = {}
    for labels in _HEADER_LABELS.values():
        for column, spellings in labels.items():
            for spelling in (*spellings, column):
                key = _header_key(spelling)
                if found.setdefault(key, column) != column:
                    raise AssertionError(f"header {spelling!r} names two columns")
    return found


COLUMN_ALIASES = _aliases()


class CsvError(CrmError):
    """The text is not CSV as ``fputcsv`` writes it."""


def _unquote(inner: str) -> str:
    """The value inside a quoted cell: ``""`` is a quote; backslashes and the character after
    them stay as they are."""
    return _QUOTED_TOKEN.sub(lambda m: '"' if m.group() == '""' else m.group(), inner)


def php_csv_rows(text: str) -> Iterator[list[str]]:
    """Rows of CSV as PHP's ``fputcsv`` writes it (``,`` ``"`` and ``\\`` escape, any line end).

    A quoted value may hold commas, line breaks, ``""`` (a quote) and ``\\"`` (kept as it is,
    as PHP's own ``fgetcsv`` reads it). Raises ``CsvError`` for a quote that is never closed or
    a closing quote followed by anything but a comma or a line end.
    """
    pos, end = 0, len(text)
    if not end:
        return
    row: list[str] = []
    while True:
        match = (_QUOTED if text.startswith('"', pos) else _BARE).match(text, pos)
        if match is None:
            raise CsvError("a quoted value is never closed (or ends with a backslash, which "
                            "PHP's fputcsv cannot write)")
        row.append(_unquote(match.group(1)) if match.re is _QUOTED else match.group())
        pos = match.end()
        if pos >= end:
            yield row
            return
        if text[pos] == ",":
            pos += 1  # the next value may be empty, even at the very end
            continue
        if text[pos] not in "\r\n":
            raise CsvError(f"a closing quote is followed by {text[pos]!r}, not a comma")
        pos += 2 if text.startswith("\r\n", pos) else 1
        yield row
        row = []
        if pos >= end:
            return


def _records(text: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) per CSV record; the header is row 1."""
    rows = php_csv_rows(text)
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except CsvError as exc:
            raise ExportError(
                f"row {number + 1} is not valid CSV ({exc}); nothing after it can be read",
                [RowProblem(number + 1, f"not valid CSV: {exc}")],
            ) from None
        number += 1
        if number > max_rows + 1:
            raise ExportError(f"the file has more than {max_rows:,} contact rows; export it in "
                              "slices and import every slice in one command")
        yield number, cells


def _columns(header: list[str]) -> dict[str, int]:
    """Column name -> index; raise :class:`ExportError` for a missing or repeated column."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = COLUMN_ALIASES.get(_header_key(cell))
        if column is None:
            continue
        if column in found:
            raise ExportError(
                f"the header names the {COLUMN_LABELS[column]} column twice "
                f"(columns {found[column] + 1} and {index + 1})",
                [RowProblem(1, f"{COLUMN_LABELS[column]} column repeated")],
            )
        found[column] = index
    named = ", ".join(_show(cell.strip(), 30) for cell in header[:12] if cell.strip())
    if "email" not in found:
        raise ExportError(
            f"the header row has no Email column (it names: {named or 'nothing'})",
            [RowProblem(1, "no Email column")],
        )
    if "status" not in found:
        raise ExportError(
            "the header row has no Status column: export the contacts again with Status",
            [RowProblem(1, "no Status column")],
        )
    if "lists" not in found and "tags" not in found:
        raise ExportError(
            "the header row has neither a Lists nor a Tags column: export the contacts "
            "again with Lists (or Tags)",
            [RowProblem(1, "no Lists or Tags column")],
        )
    return found


def _row_contact(columns: dict[str, int], cells: list[str]) -> RawContact:
    """The raw contact of one data row (a missing cell reads as empty)."""
    def cell(column: str) -> str | None:
        index = columns.get(column)
        if index is None:
            return None
        return cells[index] if index < len(cells) else ""

    lists, tags = cell("lists"), cell("tags")
    return RawContact(
        email=cell("email"), status=cell("status"),
        lists=None if lists is None else (lists,), tags=None if tags is None else (tags,),
        first_name=cell("first_name"), last_name=cell("last_name"), full_name=cell("full_name"),
    )


Entry = tuple[str, RawContact | RowProblem]


def export_contacts(
    text: str, *, source: str = "", max_rows: int = MAX_ROWS, max_chars: int = MAX_BYTES
) -> list[Entry]:
    """The rows of one export's text, in order, as (place, raw contact or the row's problem).

    Raises :class:`ExportError` for a file that cannot be read at all (no header, no Email
    column, not CSV, too large). Blank rows are skipped but counted, so row numbers match the
    spreadsheet; cells beyond the header's width must be empty. Places are ``row N``, or
    ``<source> row N`` when a source (a file name) is given.
    """
    if len(text) > max_chars:
        raise ExportError(f"the file is larger than the limit of {max_chars:,} characters")
    text = text.removeprefix("\ufeff")
    records = list(_records(text, max_rows))  # an oversized file is refused before any row
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise ExportError("the file is empty: the first row must name the columns")
    header = records[0][1]
    columns = _columns(header)
    width = len(header)
    entries: list[Entry] = []
    for number, cells in records[1:]:
        place = f"{source} row {number}" if source else f"row {number}"
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[width:]):
            message = f"has {len(cells)} cells but the header names {width}"
            entries.append((place, RowProblem(number, message, place)))
        else:
            entries.append((place, _row_contact(columns, cells)))
    return entries


def _merge(first: ContactUpdate, again: ContactUpdate) -> ContactUpdate | str:
    """Merge two entries for the same address, or say how they disagree."""
    differences = []
    if first.status != again.status:
        differences.append("status")
    elif first.sections != again.sections:
        differences.append("lists or tags")
    if first.name and again.name and first.name != again.name:
        differences.append("name")
    if differences:
        return (
            f"{again.email} is also on {first.places[0]} with a different "
            f"{' and '.join(differences)}"
        )
    return replace(first, name=first.name or again.name, places=first.places + again.places)


def _row_of(place: str) -> int | None:
    """The row number ending a place label (``row 3``, ``a.csv row 3``), or None."""
    match = _PLACE_ROW.search(place)
    return int(match.group(1)) if match else None


def build_plan(
    newsletter_map: NewsletterMap, entries: Iterable[Entry], *, noun: str = "row"
) -> ImportPlan:
    """Every contact's wanted state with duplicates merged, or :class:`ExportError` listing
    every problem in order (the entries' own, bad values, conflicting duplicates)."""
    problems: list[RowProblem] = []
    merged: dict[str, ContactUpdate] = {}
    for place, item in entries:
        if isinstance(item, RowProblem):
            problems.append(item)
            continue
        update, errors = check_contact(newsletter_map, item, (place,))
        row = _row_of(place)
        problems.extend(RowProblem(row, f"{e.field.replace('_', ' ')} {e.message}", place)
                        for e in errors)
        if update is None:
            continue
        earlier = merged.get(update.email)
        outcome = update if earlier is None else _merge(earlier, update)
        if isinstance(outcome, str):
            problems.append(RowProblem(row, outcome, place))
        else:
            merged[update.email] = outcome
    if problems:
        count = len({problem.where for problem in problems})
        raise ExportError(f"{count} bad {noun}{'s' if count != 1 else ''}", problems)
    return ImportPlan(contacts=tuple(merged.values()))


def parse_export(
    text: str,
    newsletter_map: NewsletterMap,
    *,
    max_rows: int = MAX_ROWS,
    max_chars: int = MAX_BYTES,
) -> ImportPlan:
    """Read one export's text into an :class:`ImportPlan`, or raise :class:`ExportError`."""
    return build_plan(newsletter_map,
                      export_contacts(text, max_rows=max_rows, max_chars=max_chars))
