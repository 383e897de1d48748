"""Account types: an invoicing rule (weekly run or monthly close) plus payment terms.

The business edits them in a TOML file (``ACCOUNT_TYPES_FILE``, by default
``account_types.toml`` next to this module). This module parses the file's text; reading the
file is the caller's job, so the engine itself never touches the file system.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal

from calculators.business_days import Roll
from calculators.errors import CalculatorError, SettingsError, UnknownAccountType
from calculators.terms import Terms
from calculators.terms_parser import parse_terms

DEFAULT_ACCOUNT_TYPES_FILE = Path(__file__).with_name("account_types.toml")
"""Where the shipped defaults live (a path only: callers read it)."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})", re.ASCII)
_KEYS = {
    "weekly": {"label", "invoicing", "weekday", "time", "roll", "terms", "description"},
    "monthly": {"label", "invoicing", "day", "time", "roll", "terms", "description"},
}


@dataclass(frozen=True)
class WeeklyRun:
    """A billing run every week on ``weekday`` (0 = Monday) at local time ``at``."""

    weekday: int
    at: time
    roll: Roll

    kind: Literal["weekly"] = "weekly"


@dataclass(frozen=True)
class MonthlyClose:
    """A monthly close on ``day`` (clamped to the month) at local time ``at``."""

    day: int
    at: time
    roll: Roll

    kind: Literal["monthly"] = "monthly"


InvoicingRule = WeeklyRun | MonthlyClose


@dataclass(frozen=True)
class AccountType:
    """One client account type."""

    name: str
    label: str
    rule: InvoicingRule
    terms: Terms
    description: str = ""

    def describe_rule(self) -> str:
        """The invoicing rule in words."""
        rule = self.rule
        at = f"{rule.at:%H:%M}"
        if isinstance(rule, WeeklyRun):
            text = f"weekly billing run on {WEEKDAYS[rule.weekday].capitalize()} at {at}"
            place = "the run"
        else:
            text = f"monthly close on day {rule.day} at {at}"
            place = "the close"
        moves = {
            Roll.NONE: "whatever the weekday",
            Roll.PRECEDING: f"{place} moves to the previous business day",
            Roll.FOLLOWING: f"{place} moves to the next business day",
            Roll.MODIFIED_FOLLOWING: (
                f"{place} moves to the next business day, or the previous one across a month end"
            ),
        }
        if rule.roll is Roll.NONE:
            return f"{text}, {moves[rule.roll]}"
        return f"{text}; on a day that is not a business day {moves[rule.roll]}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form listed by ``GET /api/v1/account-types``."""
        rule = self.rule
        invoicing: dict[str, Any] = {"kind": rule.kind, "time": f"{rule.at:%H:%M}",
                                     "roll": rule.roll.value}
        if isinstance(rule, WeeklyRun):
            invoicing["weekday"] = WEEKDAYS[rule.weekday]
        else:
            invoicing["day"] = rule.day
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "invoicing": invoicing,
            "invoicing_rule": self.describe_rule(),
            "terms": self.terms.expression,
            "terms_description": self.terms.describe(),
        }


def parse_account_types(text: str, *, source: str = "account types file") -> dict[str, AccountType]:
    """Parse the TOML text of an account types file; a problem is a :class:`SettingsError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            "ACCOUNT_TYPES_FILE", source, f"{source}: not valid TOML: {exc}"
        ) from None
    if not data:
        raise SettingsError("ACCOUNT_TYPES_FILE", source, f"{source}: defines no account types")
    types: dict[str, AccountType] = {}
    for name, table in data.items():
        types[name] = _account_type(name, table, source)
    return types


def get_account_type(types: dict[str, AccountType], name: str, *, field: str) -> AccountType:
    """The account type called ``name``; an unknown name is an :class:`UnknownAccountType`."""
    key = name.strip()
    if not key:
        raise UnknownAccountType(field, name, f"{field} is empty: expected one of "
                                 + ", ".join(types))
    found = types.get(key)
    if found is None:
        shown = key if len(key) <= 40 else key[:37] + "..."
        raise UnknownAccountType(
            field, name, f"unknown {field} {shown!r}: expected one of " + ", ".join(types)
        )
    return found


def _problem(source: str, name: str, message: str) -> SettingsError:
    return SettingsError("ACCOUNT_TYPES_FILE", name, f"{source}: [{name}] {message}")


def _account_type(name: str, table: object, source: str) -> AccountType:
    if not isinstance(table, dict):
        raise _problem(source, name, "must be a table of settings")
    if _NAME.fullmatch(name) is None:
        raise _problem(source, name, "name must be lowercase letters, digits and underscores")
    kind = table.get("invoicing")
    if kind not in _KEYS:
        raise _problem(source, name, "invoicing must be \"weekly\" or \"monthly\"")
    unknown = sorted(set(table) - _KEYS[kind])
    if unknown:
        raise _problem(source, name, f"unknown setting {unknown[0]!r} for {kind} invoicing")
    at = _time(source, name, table.get("time"))
    roll = _roll(source, name, table.get("roll", "none"))
    rule: InvoicingRule
    if kind == "weekly":
        rule = WeeklyRun(weekday=_weekday(source, name, table.get("weekday")), at=at, roll=roll)
    else:
        rule = MonthlyClose(day=_day(source, name, table.get("day")), at=at, roll=roll)
    try:
        terms = parse_terms(_text(source, name, table, "terms"))
    except CalculatorError as exc:
        raise _problem(source, name, f"terms: {exc.message}") from None
    return AccountType(
        name=name,
        label=_text(source, name, table, "label", default=name.replace("_", " ").capitalize()),
        rule=rule,
        terms=terms,
        description=_text(source, name, table, "description", default=""),
    )


def _text(source: str, name: str, table: dict[str, Any], key: str, default: str | None = None
          ) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise _problem(source, name, f"{key} must be text")
    return value.strip()


def _time(source: str, name: str, value: object) -> time:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise _problem(source, name, "time must be a local time like \"14:00\"")
    return time(int(match.group(1)), int(match.group(2)))


def _roll(source: str, name: str, value: object) -> Roll:
    words = ", ".join(roll.value for roll in Roll)
    if not isinstance(value, str) or value not in {roll.value for roll in Roll}:
        raise _problem(source, name, f"roll must be one of {words}")
    return Roll(value)


def _weekday(source: str, name: str, value: object) -> int:
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        raise _problem(source, name, "weekday must be a day name such as \"friday\"")
    return WEEKDAYS.index(value.lower())


def _day(source: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 31:
        raise _problem(source, name, "day must be a whole number from 1 to 31")
    return value
