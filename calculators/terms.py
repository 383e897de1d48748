"""The payment-terms language: ``BASE [cutoff C] [roll R]``.

``BASE`` is ``net N`` (N days after the invoice date), ``eom N`` (N days after the end of the
invoice month) or ``day D month +M`` (day D, 1-31 or ``last``, of the month M months after the
invoice month, clamped to that month's length). ``cutoff C`` (eom and day only) counts from the
next month when the invoice is dated after day C. ``roll`` moves a due date that is not a
business day, but never before the invoice date. The parser names the word that is wrong and
what it expected there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from calculators.business_days import ROLL_WORDS, BusinessCalendar, Holiday, Roll
from calculators.dates import add_months, clamped_date, month_end
from calculators.errors import InvalidTerms

MAX_DAYS = 3650
MAX_MONTHS = 12
MAX_TERMS_LENGTH = 100
LAST: Literal["last"] = "last"

Kind = Literal["net", "eom", "day"]
_NUMBER = re.compile(r"[0-9]{1,5}", re.ASCII)
_MONTHS = re.compile(r"\+?[0-9]{1,3}", re.ASCII)


@dataclass(frozen=True)
class Terms:
    """A parsed payment-terms expression."""

    kind: Kind
    days: int = 0
    day: int | Literal["last"] = 1
    months: int = 1
    cutoff: int | None = None
    roll: Roll = Roll.NONE

    @property
    def expression(self) -> str:
        """The canonical spelling (``day 1 month +1 roll following``)."""
        if self.kind == "day":
            words = [f"day {self.day} month +{self.months}"]
        else:
            words = [f"{self.kind} {self.days}"]
        if self.cutoff is not None:
            words.append(f"cutoff {self.cutoff}")
        if self.roll is not Roll.NONE:
            words.append(f"roll {self.roll.value}")
        return " ".join(words)

    def __str__(self) -> str:
        return self.expression

    def _anchor_month(self, invoice_date: date) -> tuple[int, int]:
        shift = 1 if self.cutoff is not None and invoice_date.day > self.cutoff else 0
        return add_months(invoice_date.year, invoice_date.month, shift)

    def unadjusted_due(self, invoice_date: date) -> date:
        """The due date the terms give before any roll."""
        if self.kind == "net":
            return invoice_date + timedelta(days=self.days)
        year, month = self._anchor_month(invoice_date)
        if self.kind == "eom":
            return month_end(year, month) + timedelta(days=self.days)
        year, month = add_months(year, month, self.months)
        if self.day == LAST:
            return month_end(year, month)
        return clamped_date(year, month, int(self.day))

    def describe(self) -> str:
        """The terms in words, e.g. ``14 days after the invoice date``."""
        text = self._describe_base()
        if self.cutoff is not None:
            text += (
                f", counted from the next month when the invoice is dated after day {self.cutoff}"
            )
        return text + _ROLL_WORDS[self.roll]

    def _describe_base(self) -> str:
        if self.kind == "net":
            return "on the invoice date" if self.days == 0 else (
                f"{_count(self.days, 'day')} after the invoice date"
            )
        if self.kind == "eom":
            return "at the end of the invoice month" if self.days == 0 else (
                f"{_count(self.days, 'day')} after the end of the invoice month"
            )
        which = "the last day" if self.day == LAST else f"day {self.day}"
        months = "the next month" if self.months == 1 else (
            f"the month {self.months} months after the invoice month"
        )
        clamp = "" if self.day == LAST or int(self.day) <= 28 else " (or its last day)"
        return f"on {which} of {months}{clamp}"


_ROLL_WORDS = {
    Roll.NONE: "",
    Roll.FOLLOWING: ", moved to the next business day when it is not one",
    Roll.PRECEDING: (
        ", moved to the previous business day when it is not one (never before the invoice date)"
    ),
    Roll.MODIFIED_FOLLOWING: (
        ", moved to the next business day when it is not one, or to the previous one when the "
        "next is in another month"
    ),
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass(frozen=True)
class DueDate:
    """The due date the terms give for an invoice date, before and after the roll."""

    invoice_date: date
    unadjusted: date
    due: date
    is_business_day: bool
    holidays: tuple[Holiday, ...]


def due_date(terms: Terms, invoice_date: date, calendar: BusinessCalendar) -> DueDate:
    """Apply ``terms`` to ``invoice_date``: the unadjusted and the rolled due date."""
    unadjusted = terms.unadjusted_due(invoice_date)
    moved = calendar.roll(unadjusted, terms.roll, not_before=invoice_date)
    return DueDate(
        invoice_date=invoice_date,
        unadjusted=unadjusted,
        due=moved.date,
        is_business_day=calendar.is_business_day(moved.date),
        holidays=moved.holidays,
    )


# ---------------------------------------------------------------- parser

_START = "expected 'net N', 'eom N' or 'day D month +M'"


class _Words:
    """The words of an expression, consumed left to right."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.position = 0

    def next(self) -> str | None:
        if self.position >= len(self.words):
            return None
        word = self.words[self.position]
        self.position += 1
        return word

    def done_so_far(self) -> str:
        return " ".join(self.words[: self.position])


def _shown(word: str) -> str:
    return repr(word if len(word) <= 24 else word[:21] + "...")


def _fail(text: str, message: str) -> InvalidTerms:
    return InvalidTerms("terms", text, message)


def _number(text: str, word: str | None, after: str, low: int, high: int, what: str) -> int:
    expected = f"'{after}' must be followed by {what} from {low} to {high}"
    if word is None:
        raise _fail(text, expected)
    pattern = _MONTHS if after == "month" else _NUMBER
    if pattern.fullmatch(word) is None or not low <= int(word) <= high:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    return int(word)


def parse_terms(text: str) -> Terms:
    """Parse a payment-terms expression; :class:`InvalidTerms` names what is wrong."""
    if not isinstance(text, str):
        raise TypeError("parse_terms expects text")
    if len(text) > MAX_TERMS_LENGTH:
        raise _fail(text, f"terms is too long: at most {MAX_TERMS_LENGTH} characters")
    words = _Words(text.strip().lower().split())
    first = words.next()
    if first is None:
        raise _fail(text, f"terms is empty: {_START}")
    if first in {"net", "eom"}:
        days = _number(text, words.next(), first, 0, MAX_DAYS, "a number of days")
        base = Terms(kind="net" if first == "net" else "eom", days=days)
    elif first == "day":
        base = _parse_day(text, words)
    else:
        raise _fail(text, f"unknown terms {_shown(first)}: {_START}")
    return _parse_options(text, words, base)


def _parse_day(text: str, words: _Words) -> Terms:
    word = words.next()
    day: int | Literal["last"]
    if word == LAST:
        day = LAST
    else:
        day = _number(text, word, "day", 1, 31, "a day of the month (or 'last')")
    after = words.done_so_far()
    word = words.next()
    if word != "month":
        detail = "" if word is None else f", not {_shown(word)}"
        raise _fail(text, f"expected 'month +M' after '{after}'{detail}")
    months = _number(text, words.next(), "month", 1, MAX_MONTHS, "a number of months (+1)")
    return Terms(kind="day", day=day, months=months)


def _parse_options(text: str, words: _Words, terms: Terms) -> Terms:
    cutoff: int | None = None
    roll: Roll | None = None
    while True:
        before = words.done_so_far()
        word = words.next()
        if word is None:
            break
        if word == "cutoff" and terms.kind != "net":
            if cutoff is not None:
                raise _fail(text, "'cutoff' is given twice")
            cutoff = _number(text, words.next(), "cutoff", 1, 31, "a day of the month")
        elif word == "cutoff":
            raise _fail(text, "'cutoff' only applies to 'eom' and 'day' terms, not to 'net'")
        elif word == "roll":
            if roll is not None:
                raise _fail(text, "'roll' is given twice")
            roll = _parse_roll(text, words.next())
        else:
            allowed = "'roll R'" if terms.kind == "net" else "'cutoff C' or 'roll R'"
            raise _fail(text, f"unexpected {_shown(word)} after '{before}': expected {allowed}")
    return Terms(
        kind=terms.kind, days=terms.days, day=terms.day, months=terms.months, cutoff=cutoff,
        roll=roll or Roll.NONE,
    )


def _parse_roll(text: str, word: str | None) -> Roll:
    expected = "'roll' must be followed by " + ", ".join(ROLL_WORDS[:-1]) + " or none"
    if word is None:
        raise _fail(text, expected)
    if word not in ROLL_WORDS:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    return Roll(word)
