"""FluentCRM contacts: parse an export or one webhook contact into wanted states (pure).

An export is a CSV whose header row names the columns chosen at export time. Columns are
found by name, ignoring case, spaces, ``_`` and ``-`` (``Email``, ``email``, ``E-mail``,
``first_name`` ...); other columns are ignored. ``Email`` and ``Status`` are required, and at
least one of ``Lists`` and ``Tags``: without a status the import cannot tell subscribers from
people who left, and without lists or tags it cannot tell which sections they read.

Rows are numbered as a spreadsheet shows them (the header is row 1). Parsing is all or
nothing: every bad row is collected and reported together in one :class:`ExportError`, and
no plan is returned. Clean values:

- emails are stripped and lowercased; two ``@``, no ``@``, an empty local part or domain,
  inner spaces, control characters, address punctuation (``<>()[],;:"\\``) and a first
  character a spreadsheet reads as a formula (``= + -``) are refused with a message saying
  which; then :func:`gate.accounts.normalise_email` gives the stored form (so an imported
  address always matches the same user as a typed one);
- names have control characters replaced by spaces, bidirectional overrides removed, and
  leading formula characters (``= + - @`` and the tab or CR that Excel also treats as such)
  stripped, so a stored name can never start a spreadsheet formula;
- the same address on two rows (in any letter case) is merged when the rows agree (a blank
  name agrees with any name) and refused, naming both rows, when they do not.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from gate import accounts
from gate.newsletter import NewsletterMap

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
NAME_MAX = 200
EMAIL_MAX = 254
LOCAL_MAX = 64

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

# Normalised header text -> the column it names.
COLUMN_ALIASES = {
    "email": "email",
    "email address": "email",
    "e mail": "email",
    "first name": "first_name",
    "firstname": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "full name": "full_name",
    "name": "full_name",
    "status": "status",
    "lists": "lists",
    "list": "lists",
    "tags": "tags",
    "tag": "tags",
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
_ADDRESS_PUNCTUATION = set('<>()[],;:"\\')
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")


class CrmError(ValueError):
    """Base class of every error raised for CRM input."""


class FieldError(CrmError):
    """One value is not valid; ``field`` names it (``email``, ``status``, ``first_name`` ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RowProblem:
    """A problem with one row of an export (``row`` None for the file as a whole)."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.row is None else f"row {self.row}: {self.message}"


class ExportError(CrmError):
    """An export that cannot be imported: a one-line ``message`` plus every bad row."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ContactUpdate:
    """The state a contact should have: ``sections`` is empty unless ``status`` grants.

    ``name`` is None when the source carried no name (the stored name is then left alone).
    ``rows`` are the export rows the contact came from (empty for a webhook).
    """

    email: str
    status: str
    sections: frozenset[str]
    name: str | None = None
    rows: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class ImportPlan:
    """Every contact of an export, in file order, one entry per address."""

    contacts: tuple[ContactUpdate, ...]

    @property
    def emails(self) -> frozenset[str]:
        """The normalised addresses in the plan."""
        return frozenset(contact.email for contact in self.contacts)


def _show(value: str, limit: int = 60) -> str:
    """A value quoted for a message: escaped, and shortened when long."""
    shown = value if len(value) <= limit else value[:limit] + "..."
    return repr(shown)


def normalise_email(raw: str) -> str:
    """The address stripped and lowercased; raise :class:`FieldError` when it is not valid."""
    value = raw.strip()
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
    if local[:1] in {"=", "+", "-"}:
        raise FieldError("email", f"{_show(value)} starts like a spreadsheet formula (= + -)")
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
    for ch in raw:
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
    """List or tag titles from a comma-separated string or an iterable of such strings."""
    parts = [raw] if isinstance(raw, str) else list(raw)
    titles: list[str] = []
    for part in parts:
        titles.extend(title.strip() for title in part.split(",") if title.strip())
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


def contact_update(
    newsletter_map: NewsletterMap,
    *,
    email: str,
    status: str,
    lists: Iterable[str] = (),
    tags: Iterable[str] = (),
    first_name: str | None = None,
    last_name: str | None = None,
    full_name: str | None = None,
    rows: tuple[int, ...] = (),
) -> ContactUpdate:
    """One contact's wanted state; raise :class:`FieldError` for the first bad value."""
    clean_email = normalise_email(email)
    clean_status = parse_status(status)
    name = join_name(first_name, last_name, full_name)
    sections = (
        newsletter_map.sections_for(lists, tags)
        if clean_status == GRANTING_STATUS
        else frozenset()
    )
    return ContactUpdate(
        email=clean_email, status=clean_status, sections=sections, name=name, rows=rows
    )


def decode_export(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of an export file: UTF-8 (BOM stripped) or UTF-16 with a BOM."""
    if len(data) > max_bytes:
        raise ExportError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes "
            "(split the export into smaller files)"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExportError(
            f"the file is not {encoding.upper().removesuffix('-SIG')} text (line {line}); "
            "export or save it as CSV UTF-8"
        ) from None


def _header_key(cell: str) -> str:
    return " ".join(_HEADER_SEPARATORS.split(cell.strip().casefold())).strip()


def _records(text: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) per CSV record; the header is row 1."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ExportError(
                f"row {number + 1} is not valid CSV ({exc}); nothing after it can be read",
                [RowProblem(number + 1, f"not valid CSV: {exc}")],
            ) from None
        number += 1
        if number > max_rows + 1:
            raise ExportError(f"the file has more than {max_rows:,} contact rows; split it")
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


def _row_update(
    newsletter_map: NewsletterMap, columns: dict[str, int], number: int, cells: list[str]
) -> tuple[ContactUpdate | None, list[str]]:
    """One data row's update, or the messages of everything wrong with it."""
    def cell(column: str) -> str | None:
        index = columns.get(column)
        if index is None:
            return None
        return cells[index] if index < len(cells) else ""

    problems: list[str] = []
    values: dict[str, str | None] = {name: cell(name) for name in COLUMN_LABELS}
    try:
        email = normalise_email(values["email"] or "")
    except FieldError as exc:
        problems.append(f"email {exc.message}")
    try:
        status = parse_status(values["status"] or "")
    except FieldError as exc:
        problems.append(f"status {exc.message}")
    try:
        name = join_name(values["first_name"], values["last_name"], values["full_name"])
    except FieldError as exc:
        problems.append(f"{exc.field.replace('_', ' ')} {exc.message}")
    if problems:
        return None, problems
    sections = (
        newsletter_map.sections_for(split_titles(values["lists"] or ""),
                                    split_titles(values["tags"] or ""))
        if status == GRANTING_STATUS
        else frozenset()
    )
    update = ContactUpdate(
        email=email, status=status, sections=sections, name=name, rows=(number,)
    )
    return update, []


def _merge(first: ContactUpdate, again: ContactUpdate) -> ContactUpdate | str:
    """Merge two rows with the same address, or say how they disagree."""
    differences = []
    if first.status != again.status:
        differences.append("status")
    elif first.sections != again.sections:
        differences.append("lists or tags")
    if first.name and again.name and first.name != again.name:
        differences.append("name")
    if differences:
        return (
            f"{again.email} is also on row {first.rows[0]} with a different "
            f"{' and '.join(differences)}"
        )
    return replace(first, name=first.name or again.name, rows=first.rows + again.rows)


def parse_export(
    text: str,
    newsletter_map: NewsletterMap,
    *,
    max_rows: int = MAX_ROWS,
    max_chars: int = MAX_BYTES,
) -> ImportPlan:
    """Read an export's text into an :class:`ImportPlan`, or raise :class:`ExportError`.

    Blank rows are skipped (but counted, so row numbers match the spreadsheet). Cells beyond
    the header's width must be empty. Every bad row is reported, not only the first.
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
    contacts: dict[str, ContactUpdate] = {}
    problems: list[RowProblem] = []
    for number, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[width:]):
            problems.append(
                RowProblem(number, f"has {len(cells)} cells but the header names {width}")
            )
            continue
        update, messages = _row_update(newsletter_map, columns, number, cells)
        problems.extend(RowProblem(number, message) for message in messages)
        if update is None:
            continue
        earlier = contacts.get(update.email)
        if earlier is None:
            contacts[update.email] = update
            continue
        merged = _merge(earlier, update)
        if isinstance(merged, str):
            problems.append(RowProblem(number, merged))
        else:
            contacts[update.email] = merged
    if problems:
        count = len({problem.row for problem in problems})
        raise ExportError(f"{count} bad row{'s' if count != 1 else ''}", problems)
    return ImportPlan(contacts=tuple(contacts.values()))
