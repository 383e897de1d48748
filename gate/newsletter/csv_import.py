"""FluentCRM contacts exports (CSV) read into entries for a plan (pure).

An export is read as PHP's ``fputcsv`` writes it (see :func:`php_csv_rows`); its header row
names the columns chosen at export time, in English or in one of the languages FluentCRM Pro
ships (:data:`COLUMN_ALIASES`). Rows become :class:`gate.newsletter.fields.RawContact`
entries; :func:`gate.newsletter.plan.build_plan` then checks them all together, so every bad
row of every file is reported in one :class:`gate.newsletter.plan.ExportError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gate.newsletter.fields import CrmError, RawContact, quoted
from gate.newsletter.plan import Entry, ExportError, ImportPlan, RowProblem, build_plan
from gate.newsletter.sections import NewsletterMap

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

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


_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")
# PHP's fputcsv: a quoted value holds "" for a quote, and after a run of backslashes the next
# character is written as it is (even a quote); PHP's fgetcsv keeps the backslashes, as we do.
_QUOTED = re.compile(r'"((?:[^"\\]++|\\++.|"")*+)"', re.S)
_BARE = re.compile(r"[^,\r\n]*+")
_QUOTED_TOKEN = re.compile(r'\\++.|""', re.S)


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
    named = ", ".join(quoted(cell.strip(), 30) for cell in header[:12] if cell.strip())
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
