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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from calculators.business_days import BusinessCalendar, Holiday, Roll
from calculators.dates import add_months, clamped_date, month_end
from calculators.money import Currency, percent_of, split_amount

MAX_DAYS = 3650
MAX_MONTHS = 12
MAX_TERMS_LENGTH = 200
MAX_INSTALMENTS = 12
LAST: Literal["last"] = "last"

Kind = Literal["net", "eom", "day"]
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
