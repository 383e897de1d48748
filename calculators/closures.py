"""Company closures (``CLOSURES_FILE``): named date ranges that are not business days.

The file is TOML, one ``[[closure]]`` table per closure::

    [[closure]]
    name = "Year-end shutdown"
    start = 2026-12-21
    end = 2027-01-08      # inclusive

This module parses the text; reading the file is the caller's job. Every problem is a
:class:`SettingsError` whose message names the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from typing import Any

from calculators.business_days import Closure
from calculators.dates import MAX_DATE, MIN_DATE
from calculators.errors import SettingsError

MAX_CLOSURE_DAYS = 42
"""A closure is at most six weeks long (longer ones are surely typing mistakes)."""

MAX_NAME = 80
_KEYS = ("name", "start", "end")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*closure[ \t]*\]\]", re.MULTILINE)
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _problem(source: str, line: int | None, message: str) -> SettingsError:
    where = source if line is None else f"{source}, line {line}"
    return SettingsError("CLOSURES_FILE", source, f"{where}: {message}")


def _syntax_error(source: str, exc: tomllib.TOMLDecodeError) -> SettingsError:
    """A TOML syntax error with its line number moved to the front."""
    text = str(exc)
    position = _TOML_POSITION.search(text)
    if position is None:  # pragma: no cover - tomllib always gives a position
        return _problem(source, None, f"not valid TOML: {text}")
    reason = text[: position.start()]
    return _problem(source, int(position.group(1)),
                    f"not valid TOML: {reason} (column {position.group(2)})")


def _header_lines(text: str) -> list[int]:
    """The line number of each ``[[closure]]`` header, in order."""
    return [text.count("\n", 0, match.start()) + 1 for match in _HEADER.finditer(text)]


def parse_closures(text: str, *, source: str = "closures file") -> tuple[Closure, ...]:
    """Parse the TOML text of a closures file into closures sorted by start date."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(source, exc) from None
    unknown = sorted(set(data) - {"closure"})
    if unknown:
        raise _problem(source, None, f"unknown key {unknown[0]!r}: expected only [[closure]] "
                                     "tables with name, start and end")
    tables = data.get("closure", [])
    if not isinstance(tables, list):
        raise _problem(source, None, "closure must be written [[closure]] (a list of tables)")
    lines = _header_lines(text)
    closures: list[tuple[Closure, int | None]] = []
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else None
        closures.append((_closure(table, source, line), line))
    _check_overlaps(closures, source)
    return tuple(sorted(closure for closure, _ in closures))


def _closure(table: Any, source: str, line: int | None) -> Closure:
    if not isinstance(table, dict):  # pragma: no cover - [[closure]] always gives tables
        raise _problem(source, line, "each closure must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise _problem(source, line, f"unknown setting {unknown[0]!r} (expected name, start, end)")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise _problem(source, line, f"name must be text of 1 to {MAX_NAME} characters")
    label = f"closure {name.strip()!r}"
    start = _date(table.get("start"), "start", label, source, line)
    end = _date(table.get("end"), "end", label, source, line)
    if end < start:
        raise _problem(source, line, f"{label}: end {end.isoformat()} is before start "
                                     f"{start.isoformat()}")
    closure = Closure(start=start, end=end, name=name.strip())
    if closure.days > MAX_CLOSURE_DAYS:
        raise _problem(source, line, f"{label} is {closure.days} days long: at most "
                                     f"{MAX_CLOSURE_DAYS}")
    return closure


def _date(value: object, key: str, label: str, source: str, line: int | None) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _problem(source, line, f"{label}: {key} must be a date such as 2026-12-21 "
                                     "(without quotes)")
    if not MIN_DATE <= value <= MAX_DATE:
        raise _problem(source, line, f"{label}: {key} must be between {MIN_DATE.isoformat()} "
                                     f"and {MAX_DATE.isoformat()}")
    return value


def _check_overlaps(closures: list[tuple[Closure, int | None]], source: str) -> None:
    ordered = sorted(closures, key=lambda pair: pair[0])
    for (earlier, _), (later, line) in zip(ordered, ordered[1:], strict=False):
        if later.start <= earlier.end:
            raise _problem(source, line, f"closure {later.name!r} overlaps closure "
                                         f"{earlier.name!r}: join them into one")
