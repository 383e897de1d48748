"""The payment-terms language.

One due-date rule is ``BASE [cutoff C] [paydays A,B,...] [roll R]``:

- ``BASE`` is ``net N`` (N days after the invoice date), ``eom N`` (N days after the end of
  the invoice month) or ``day D month +M`` (day D, 1-31 or ``last``, of the month M months
  after the invoice month, clamped to that month's length);
- ``cutoff C`` (eom and day only) counts from the next month when the invoice is dated after
  day C;
- ``paydays A,B`` moves the date to the first listed day of the month on or after it;
- ``roll`` moves a due date that is not a business day, but never before the invoice date.

Terms are one rule, a rule with an early-payment discount (``2/10 net 30``: 2% off when paid
within 10 days), or instalments (``50% net 0; 50% net 30``). Words are case-insensitive and a
number may be glued to its word (``NET30``). The parser names the word that is wrong and what
it expected there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from calculators.business_days import ROLL_WORDS, BusinessCalendar, Holiday, Roll
from calculators.dates import add_months, clamped_date, month_end
from calculators.errors import InvalidTerms
from calculators.money import Currency, percent_of, split_amount

MAX_DAYS = 3650
MAX_MONTHS = 12
MAX_TERMS_LENGTH = 200
MAX_INSTALMENTS = 12
LAST: Literal["last"] = "last"

Kind = Literal["net", "eom", "day"]
_NUMBER = re.compile(r"[0-9]{1,5}", re.ASCII)
_MONTHS = re.compile(r"\+?[0-9]{1,3}", re.ASCII)
_GLUED = re.compile(r"(net|eom|day|month|cutoff)(\+?[0-9]+)", re.ASCII)
_PERCENT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,2})?)%", re.ASCII)
_DISCOUNT = re.compile(r"([0-9]{1,2}(?:\.[0-9]{1,2})?)/([0-9]{1,4})", re.ASCII)
_PAYDAYS = re.compile(r"[0-9]{1,2}(?:,[0-9]{1,2})*", re.ASCII)
_COMMA = re.compile(r"\s*,\s*")
_HUNDRED = Decimal(100)


def percent_text(percent: Decimal) -> str:
    """A percentage as the terms language writes it: ``50``, ``33.33``, ``2.5``."""
    return f"{percent.normalize():f}"


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True)
class DueRule:
    """One due-date rule: a base, then optional cutoff, payment days and roll."""

    kind: Kind
    days: int = 0
    day: int | Literal["last"] = 1
    months: int = 1
    cutoff: int | None = None
    roll: Roll = Roll.NONE
    paydays: tuple[int, ...] = ()

    @property
    def expression(self) -> str:
        """The canonical spelling (``day 1 month +1 roll following``)."""
        if self.kind == "day":
            words = [f"day {self.day} month +{self.months}"]
        else:
            words = [f"{self.kind} {self.days}"]
        if self.cutoff is not None:
            words.append(f"cutoff {self.cutoff}")
        if self.paydays:
            words.append("paydays " + ",".join(str(day) for day in self.paydays))
        if self.roll is not Roll.NONE:
            words.append(f"roll {self.roll.value}")
        return " ".join(words)

    def __str__(self) -> str:
        return self.expression

    def _anchor_month(self, invoice_date: date) -> tuple[int, int]:
        shift = 1 if self.cutoff is not None and invoice_date.day > self.cutoff else 0
        return add_months(invoice_date.year, invoice_date.month, shift)

    def _base_due(self, invoice_date: date) -> date:
        if self.kind == "net":
            return invoice_date + timedelta(days=self.days)
        year, month = self._anchor_month(invoice_date)
        if self.kind == "eom":
            return month_end(year, month) + timedelta(days=self.days)
        year, month = add_months(year, month, self.months)
        if self.day == LAST:
            return month_end(year, month)
        return clamped_date(year, month, int(self.day))

    def unadjusted_due(self, invoice_date: date) -> date:
        """The due date the rule gives before any roll (payment days applied)."""
        base = self._base_due(invoice_date)
        return next_payday(base, self.paydays) if self.paydays else base

    def describe(self) -> str:
        """The rule in words, e.g. ``14 days after the invoice date``."""
        text = self._describe_base()
        if self.cutoff is not None:
            text += (
                f", counted from the next month when the invoice is dated after day {self.cutoff}"
            )
        if self.paydays:
            days = _or_list([_ordinal(day) for day in self.paydays])
            text += f", then on the next payment day (the {days} of a month)"
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


def next_payday(day: date, paydays: Sequence[int]) -> date:
    """The first of ``paydays`` (days of the month, clamped to short months) on or after
    ``day``."""
    for ahead in (0, 1):
        year, month = add_months(day.year, day.month, ahead)
        for payday in sorted(paydays):
            candidate = clamped_date(year, month, payday)
            if candidate >= day:
                return candidate
    raise ValueError("paydays must not be empty")


@dataclass(frozen=True)
class Discount:
    """An early-payment discount: ``percent`` off when paid within ``days`` days."""

    percent: Decimal
    days: int

    @property
    def expression(self) -> str:
        """``2/10``."""
        return f"{percent_text(self.percent)}/{self.days}"


@dataclass(frozen=True)
class Instalment:
    """One part of the terms: ``percent`` of the amount, due by ``rule``."""

    percent: Decimal
    rule: DueRule


@dataclass(frozen=True)
class Terms:
    """What a terms expression says: one or more instalments, and an optional discount."""

    instalments: tuple[Instalment, ...]
    discount: Discount | None = None

    @classmethod
    def single(cls, rule: DueRule, discount: Discount | None = None) -> Terms:
        """Terms with one rule for the whole amount."""
        return cls((Instalment(_HUNDRED, rule),), discount)

    @property
    def is_split(self) -> bool:
        """True when the amount is paid in more than one instalment."""
        return len(self.instalments) > 1

    @property
    def rule(self) -> DueRule:
        """The rule of the last instalment (the only one unless the terms are split)."""
        return self.instalments[-1].rule

    @property
    def expression(self) -> str:
        """The canonical spelling (``50% net 0; 50% net 30``, ``2/10 net 30``)."""
        if self.is_split:
            return "; ".join(f"{percent_text(part.percent)}% {part.rule.expression}"
                             for part in self.instalments)
        prefix = f"{self.discount.expression} " if self.discount else ""
        return prefix + self.rule.expression

    def __str__(self) -> str:
        return self.expression

    def describe(self) -> str:
        """The terms in words."""
        if self.is_split:
            return "; ".join(f"{percent_text(part.percent)}% {part.rule.describe()}"
                             for part in self.instalments)
        text = self.rule.describe()
        if self.discount is not None:
            text += (f"; {percent_text(self.discount.percent)}% off when paid within "
                     f"{_count(self.discount.days, 'day')}")
        return text


# ---------------------------------------------------------------- due dates

@dataclass(frozen=True)
class DueDate:
    """The due date a rule gives for an invoice date, before and after the roll."""

    invoice_date: date
    unadjusted: date
    due: date
    is_business_day: bool
    holidays: tuple[Holiday, ...]


def due_date(rule: DueRule, invoice_date: date, calendar: BusinessCalendar) -> DueDate:
    """Apply ``rule`` to ``invoice_date``: the unadjusted and the rolled due date."""
    unadjusted = rule.unadjusted_due(invoice_date)
    moved = calendar.roll(unadjusted, rule.roll, not_before=invoice_date)
    return DueDate(
        invoice_date=invoice_date,
        unadjusted=unadjusted,
        due=moved.date,
        is_business_day=calendar.is_business_day(moved.date),
        holidays=moved.holidays,
    )


@dataclass(frozen=True)
class InstalmentDue:
    """One instalment: its share, its amount (when an amount was given) and its due date."""

    percent: Decimal
    amount: Decimal | None
    due: DueDate


@dataclass(frozen=True)
class DiscountOffer:
    """The discount for paying early: until when, and how much (when an amount was given)."""

    percent: Decimal
    until: date
    amount: Decimal | None


@dataclass(frozen=True)
class Schedule:
    """When an invoice is due: its instalments and any early-payment discount."""

    instalments: tuple[InstalmentDue, ...]
    discount: DiscountOffer | None

    @property
    def final(self) -> DueDate:
        """The due date of the instalment that falls due last."""
        return max((part.due for part in reversed(self.instalments)), key=lambda due: due.due)

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        """Every holiday that moved, or is the day of, any instalment's due date."""
        return tuple(sorted({h for part in self.instalments for h in part.due.holidays}))


def schedule(terms: Terms, invoice_date: date, calendar: BusinessCalendar, *,
             amount: Decimal | None = None, currency: Currency | None = None) -> Schedule:
    """The instalments and discount of ``terms`` for an invoice dated ``invoice_date``.

    With ``amount`` (and its ``currency``) every instalment and the discount get amounts:
    each rounded half-up, the last instalment taking the remainder.
    """
    percents = [part.percent for part in terms.instalments]
    amounts: Sequence[Decimal | None] = [None] * len(percents)
    if amount is not None:
        if currency is None:
            raise TypeError("an amount needs its currency")
        amounts = split_amount(amount, percents, currency)
    parts = tuple(
        InstalmentDue(part.percent, share, due_date(part.rule, invoice_date, calendar))
        for part, share in zip(terms.instalments, amounts, strict=True)
    )
    offer = None
    if terms.discount is not None:
        off = None
        if amount is not None and currency is not None:
            off = percent_of(amount, terms.discount.percent, currency)
        offer = DiscountOffer(terms.discount.percent,
                              invoice_date + timedelta(days=terms.discount.days), off)
    return Schedule(parts, offer)


# ---------------------------------------------------------------- parser

_START = "expected 'net N', 'eom N' or 'day D month +M'"


class _Words:
    """The words of one rule, consumed left to right."""

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


def _words(part: str) -> list[str]:
    """The words of a part, lower-cased, with a number glued to its keyword split off."""
    words: list[str] = []
    for word in _COMMA.sub(",", part.strip().lower()).split():
        glued = _GLUED.fullmatch(word)
        words.extend(glued.groups() if glued else (word,))
    return words


def parse_terms(text: str) -> Terms:
    """Parse a payment-terms expression; :class:`InvalidTerms` names what is wrong."""
    if not isinstance(text, str):
        raise TypeError("parse_terms expects text")
    if len(text) > MAX_TERMS_LENGTH:
        raise _fail(text, f"terms is too long: at most {MAX_TERMS_LENGTH} characters")
    parts = text.split(";")
    if len(parts) == 1 and not _starts_with_percent(parts[0]):
        return _parse_single(text, parts[0])
    return _parse_instalments(text, parts)


def _starts_with_percent(part: str) -> bool:
    words = part.split()
    return bool(words) and words[0].endswith("%")


def _parse_single(text: str, part: str) -> Terms:
    words = _Words(_words(part))
    first = words.next()
    if first is None:
        raise _fail(text, f"terms is empty: {_START}")
    discount = _DISCOUNT.fullmatch(first)
    if discount is None:
        words.position = 0
        return Terms.single(_parse_rule(text, words))
    offer = _discount(text, first, discount)
    if words.words[1:2] != ["net"]:
        raise _fail(text, f"an early-payment discount {_shown(first)} must be followed by "
                          "'net N' (for example '2/10 net 30')")
    return Terms.single(_parse_rule(text, words), offer)


def _discount(text: str, word: str, match: re.Match[str]) -> Discount:
    percent, days = Decimal(match.group(1)), int(match.group(2))
    if not Decimal(0) < percent < _HUNDRED or days > MAX_DAYS:
        raise _fail(text, f"the discount {_shown(word)} must be 'D/E': a percentage above 0 and "
                          f"below 100 (at most 2 decimals), then 0 to {MAX_DAYS} days")
    return Discount(percent, days)


def _parse_instalments(text: str, parts: list[str]) -> Terms:
    if len(parts) > MAX_INSTALMENTS:
        raise _fail(text, f"at most {MAX_INSTALMENTS} instalments")
    instalments = tuple(_instalment(text, part, number)
                        for number, part in enumerate(parts, start=1))
    total = sum((part.percent for part in instalments), Decimal(0))
    if total != _HUNDRED:
        raise _fail(text, f"the instalment percentages add up to {percent_text(total)}, "
                          "not 100")
    if len(instalments) == 1:
        return Terms.single(instalments[0].rule)
    return Terms(instalments)


def _instalment(text: str, part: str, number: int) -> Instalment:
    words = _Words(_words(part))
    first = words.next()
    example = "each instalment is 'P% TERMS', such as '50% net 30'"
    if first is None:
        raise _fail(text, f"instalment {number} is empty: {example}")
    match = _PERCENT.fullmatch(first)
    if match is None:
        if _DISCOUNT.fullmatch(first):
            raise _fail(text, "an early-payment discount cannot be combined with instalments")
        raise _fail(text, f"instalment {number} starts with {_shown(first)}: {example}, with a "
                          "percentage of at most 2 decimals")
    percent = Decimal(match.group(1))
    if not Decimal(0) < percent <= _HUNDRED:
        raise _fail(text, f"instalment {number} is {percent_text(percent)}%: each must be "
                          "above 0 and at most 100")
    if words.words[1:] and _DISCOUNT.fullmatch(words.words[1]):
        raise _fail(text, "an early-payment discount cannot be combined with instalments")
    try:
        rule = _parse_rule(text, words)
    except InvalidTerms as exc:
        raise _fail(text, f"instalment {number}: {exc.message}") from None
    return Instalment(percent, rule)


def _parse_rule(text: str, words: _Words) -> DueRule:
    first = words.next()
    if first is None:
        raise _fail(text, f"terms is empty: {_START}")
    if first in {"net", "eom"}:
        days = _number(text, words.next(), first, 0, MAX_DAYS, "a number of days")
        base = DueRule(kind="net" if first == "net" else "eom", days=days)
    elif first == "day":
        base = _parse_day(text, words)
    else:
        raise _fail(text, f"unknown terms {_shown(first)}: {_START}")
    return _parse_options(text, words, base)


def _parse_day(text: str, words: _Words) -> DueRule:
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
    return DueRule(kind="day", day=day, months=months)


def _parse_options(text: str, words: _Words, rule: DueRule) -> DueRule:
    cutoff: int | None = None
    paydays: tuple[int, ...] = ()
    roll = Roll.NONE
    seen: set[str] = set()
    while True:
        before = words.done_so_far()
        word = words.next()
        if word is None:
            break
        if word in seen:
            raise _fail(text, f"'{word}' is given twice")
        seen.add(word)
        if word == "cutoff" and rule.kind == "net":
            raise _fail(text, "'cutoff' only applies to 'eom' and 'day' terms, not to 'net'")
        if word == "cutoff":
            cutoff = _number(text, words.next(), "cutoff", 1, 31, "a day of the month")
        elif word == "paydays":
            paydays = _parse_paydays(text, words.next())
        elif word == "roll":
            roll = _parse_roll(text, words.next())
        else:
            allowed = "'paydays A,B' or 'roll R'" if rule.kind == "net" else (
                "'cutoff C', 'paydays A,B' or 'roll R'")
            raise _fail(text, f"unexpected {_shown(word)} after '{before}': expected {allowed}")
    return DueRule(kind=rule.kind, days=rule.days, day=rule.day, months=rule.months,
                   cutoff=cutoff, roll=roll, paydays=paydays)


def _parse_paydays(text: str, word: str | None) -> tuple[int, ...]:
    expected = ("'paydays' must be followed by days of the month from 1 to 31, separated by "
                "commas (for example 'paydays 5,20')")
    if word is None:
        raise _fail(text, expected)
    if _PAYDAYS.fullmatch(word) is None:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    days = [int(part) for part in word.split(",")]
    for day in days:
        if not 1 <= day <= 31:
            raise _fail(text, f"{expected}, not {day}")
    return tuple(sorted(set(days)))


def _parse_roll(text: str, word: str | None) -> Roll:
    expected = "'roll' must be followed by " + ", ".join(ROLL_WORDS[:-1]) + " or none"
    if word is None:
        raise _fail(text, expected)
    if word not in ROLL_WORDS:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    return Roll(word)
