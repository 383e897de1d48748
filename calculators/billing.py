"""Billing dates: from a sign-off to its billing run or monthly close, invoice and due date.

A sign-off at instant ``t`` lands on the first run or close at or after ``t`` (after moving
runs that fall on non-business days). The invoice covers ``(previous event, this event]`` and
is dated the event's local date; the account type's payment terms give the due date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from calculators.account_types import AccountType, InvoicingRule, WeeklyRun
from calculators.business_days import BusinessCalendar, Holiday
from calculators.dates import add_months, clamped_date, human_date, human_datetime, iso_datetime
from calculators.errors import ConflictingInputs, MissingInput
from calculators.money import Currency, display_amount, format_amount
from calculators.terms import DueDate, Schedule, Terms, percent_text, schedule

TERMS_MARGIN_YEARS = 12
"""Due dates may fall this many years after the invoice (net 3650, day D month +12 ...)."""


@dataclass(frozen=True)
class BillingEvent:
    """One billing run or monthly close: when it happens and the holidays that moved it."""

    at: datetime
    nominal: date
    holidays: tuple[Holiday, ...]

    @property
    def moved(self) -> bool:
        """True when the event was moved off its nominal day."""
        return self.at.date() != self.nominal


def _local(day: date, rule: InvoicingRule, tz: tzinfo) -> datetime:
    naive = datetime.combine(day, rule.at)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _event(rule: InvoicingRule, nominal: date, calendar: BusinessCalendar, tz: tzinfo
           ) -> BillingEvent:
    moved = calendar.roll(nominal, rule.roll)
    holidays = moved.holidays if moved.moved else ()
    return BillingEvent(at=_local(moved.date, rule, tz), nominal=nominal, holidays=holidays)


def _nominal_days(rule: InvoicingRule, start: date, look_back: int) -> Iterator[date]:
    """The rule's nominal days from ``look_back`` days or two months before ``start`` on."""
    if isinstance(rule, WeeklyRun):
        day = start - timedelta(days=look_back)
        day += timedelta(days=(rule.weekday - day.weekday()) % 7)
        while True:
            yield day
            day += timedelta(days=7)
    year, month = add_months(start.year, start.month, -2)
    while True:
        yield clamped_date(year, month, rule.day)
        year, month = add_months(year, month, 1)


def billing_events(rule: InvoicingRule, signed_off: datetime, calendar: BusinessCalendar,
                   tz: tzinfo) -> tuple[BillingEvent, BillingEvent]:
    """The event a sign-off lands on (first at or after it) and the event before that one."""
    previous: BillingEvent | None = None
    # A closure can move a run by up to its length: look back that much further.
    look_back = 14 + (calendar.longest_closure + 7 if calendar.closures else 0)
    for nominal in _nominal_days(rule, signed_off.astimezone(tz).date(), look_back):
        event = _event(rule, nominal, calendar, tz)
        if event.at >= signed_off and previous is not None:
            return event, previous
        previous = event
    raise AssertionError("unreachable: the nominal days never end")  # pragma: no cover


@dataclass(frozen=True)
class DueDateResult:
    """Everything the due-date calculator answers."""

    account_type: AccountType | None
    terms: Terms
    completed: datetime | None
    event: BillingEvent | None
    previous_event: BillingEvent | None
    schedule: Schedule
    amount: Decimal | None = None
    currency: Currency | None = None

    @property
    def due(self) -> DueDate:
        """The final due date (the last instalment's)."""
        return self.schedule.final

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        """Holidays that moved the run or close or a due date, or that a due date is on."""
        moved_event = self.event.holidays if self.event else ()
        return tuple(sorted(set(moved_event + self.schedule.holidays)))

    def _money(self, value: Decimal | None) -> str | None:
        if value is None or self.currency is None:
            return None
        return format_amount(value, self.currency)

    def _instalments(self) -> list[dict[str, Any]] | None:
        if not self.terms.is_split:
            return None
        return [{"percent": percent_text(part.percent), "amount": self._money(part.amount),
                 "due_date": part.due.due.isoformat(),
                 "unadjusted_due_date": part.due.unadjusted.isoformat()}
                for part in self.schedule.instalments]

    def _discount(self) -> dict[str, Any] | None:
        offer = self.schedule.discount
        if offer is None:
            return None
        return {"percent": percent_text(offer.percent), "until": offer.until.isoformat(),
                "amount": self._money(offer.amount)}

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of ``GET /api/v1/due-date``."""
        return {
            "amount": self._money(self.amount),
            "currency": self.currency.code if self.currency else None,
            "instalments": self._instalments(),
            "discount": self._discount(),
            "account_type": self.account_type.name if self.account_type else None,
            "terms": self.terms.expression,
            "completed": iso_datetime(self.completed) if self.completed else None,
            "period_start": iso_datetime(self.previous_event.at) if self.previous_event else None,
            "period_end": iso_datetime(self.event.at) if self.event else None,
            "invoice_date": self.due.invoice_date.isoformat(),
            "unadjusted_due_date": self.due.unadjusted.isoformat(),
            "due_date": self.due.due.isoformat(),
            "due_date_is_business_day": self.due.is_business_day,
            "holidays": [holiday.as_dict() for holiday in self.holidays],
            "explanation": self.explanation,
        }

    @property
    def explanation(self) -> str:
        """One sentence a person can read."""
        return _explain_subject(self) + " " + _explain_due(self) + "."


def compute_due_date(
    *,
    account_type: AccountType | None = None,
    terms: Terms | None = None,
    completed: datetime | None = None,
    invoice_date: date | None = None,
    calendar: BusinessCalendar,
    tz: tzinfo,
    amount: Decimal | None = None,
    currency: Currency | None = None,
) -> DueDateResult:
    """The billing event, invoice date and due dates for a sign-off or an invoice date.

    Give exactly one of ``account_type`` and ``terms``, and exactly one of ``completed`` (an
    aware date-time) and ``invoice_date``. With ``terms`` and ``completed`` there is no
    invoicing rule: the invoice is dated the sign-off's local date. With ``amount`` (and its
    ``currency``) the instalments and the discount get amounts too.
    """
    _exactly_one(account_type, terms, "account_type", "terms")
    _exactly_one(completed, invoice_date, "completed", "invoice_date")
    chosen_terms = terms if terms is not None else _terms_of(account_type)
    event = previous = None
    if completed is not None:
        completed = completed.astimezone(tz)
        invoiced = completed.date()
        if account_type is not None:
            event, previous = billing_events(account_type.rule, completed, calendar, tz)
            invoiced = event.at.date()
    else:
        invoiced = _required_date(invoice_date)
    return DueDateResult(
        account_type=account_type, terms=chosen_terms, completed=completed, event=event,
        previous_event=previous, amount=amount, currency=currency,
        schedule=schedule(chosen_terms, invoiced, calendar, amount=amount, currency=currency),
    )


def _terms_of(account_type: AccountType | None) -> Terms:
    if account_type is None:
        raise MissingInput("account_type", None, "give account_type or terms")
    return account_type.terms


def _required_date(day: date | None) -> date:
    if day is None:
        raise MissingInput("completed", None, "give completed or invoice_date")
    return day


def _exactly_one(first: object, second: object, first_name: str, second_name: str) -> None:
    if first is None and second is None:
        raise MissingInput(first_name, None, f"give {first_name} or {second_name}")
    if first is not None and second is not None:
        raise ConflictingInputs(
            second_name, second, f"give {first_name} or {second_name}, not both"
        )


def _holiday_note(holidays: tuple[Holiday, ...], on: date) -> str:
    """``Good Friday`` for a holiday on ``on``; ``Christmas Day, December 25, 2026`` otherwise.

    Days of one closure are named once, with their first and last date.
    """
    by_name: dict[str, list[date]] = {}
    for holiday in holidays:
        by_name.setdefault(holiday.name, []).append(holiday.date)
    notes = []
    for name, days in by_name.items():
        if days == [on]:
            notes.append(name)
        elif len(days) == 1:
            notes.append(f"{name}, {human_date(days[0])}")
        else:
            notes.append(f"{name}, {human_date(days[0])} to {human_date(days[-1])}")
    if len(notes) <= 1:
        return "".join(notes)
    return ", ".join(notes[:-1]) + " and " + notes[-1]


def _explain_subject(result: DueDateResult) -> str:
    invoice = human_date(result.due.invoice_date)
    event, completed = result.event, result.completed
    if completed is None:
        return f"An invoice dated {invoice}"
    if event is None or result.previous_event is None or result.account_type is None:
        return (
            f"Without an account type there is no billing run, so the invoice for work signed "
            f"off on {human_datetime(completed)} is dated {invoice}; it"
        )
    account = result.account_type
    what = "weekly billing run" if isinstance(account.rule, WeeklyRun) else "monthly close"
    text = (
        f"Work signed off on {human_datetime(completed)} goes into the {account.label} {what} "
        f"on {human_datetime(event.at)}"
    )
    if event.moved:
        reason = _holiday_note(event.holidays, event.nominal) or "not a business day"
        text += f" (moved from {human_date(event.nominal, weekday=True)}, {reason})"
    return (
        f"{text}, which covers sign-offs after {human_datetime(result.previous_event.at)}; "
        f"its invoice, dated {invoice},"
    )


def _explain_due(result: DueDateResult) -> str:
    if result.terms.is_split:
        return _explain_instalments(result)
    text = _explain_one(result.due, result.terms)
    offer = result.schedule.discount
    if offer is not None:
        off = "" if offer.amount is None or result.currency is None else (
            f" ({display_amount(offer.amount, result.currency)})")
        text += (f"; {percent_text(offer.percent)}%{off} comes off when it is paid by "
                 f"{human_date(offer.until, weekday=True)}")
    return text


def _explain_instalments(result: DueDateResult) -> str:
    parts = []
    for part in result.schedule.instalments:
        share = f"{percent_text(part.percent)}%"
        if part.amount is not None and result.currency is not None:
            share += f" ({display_amount(part.amount, result.currency)})"
        due = part.due
        moved = ""
        if due.due != due.unadjusted:
            reason = _holiday_note(due.holidays, due.unadjusted) or "a weekend"
            moved = f", rolled from {human_date(due.unadjusted, weekday=True)} ({reason})"
        parts.append(f"{share} on {human_date(due.due, weekday=True)}{moved}")
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"is due in {len(parts)} instalments: {listed} ({result.terms.expression})"


def _explain_one(due: DueDate, terms: Terms) -> str:
    text = (
        f"is due on {human_date(due.due, weekday=True)} "
        f"({terms.expression}: {terms.rule.describe()})"
    )
    if due.due != due.unadjusted:
        reason = _holiday_note(due.holidays, due.unadjusted) or "a weekend"
        text += f", rolled from {human_date(due.unadjusted, weekday=True)} ({reason})"
    elif not due.is_business_day:
        reason = _holiday_note(due.holidays, due.due) or "a weekend"
        text += f", which is not a business day ({reason})"
    return text
