"""Proration: the go-live credit (seed 002) and fee changes or cancellations mid-month.

The first month is paid up front; recurring billing starts on the 1st of the month after
go-live and that first invoice is credited for the prepaid days before go-live. The credit is
``fee * days_before / days_in_month`` (``actual``) or ``fee * (min(day, 30) - 1) / 30``
(``thirty``), multiplied before dividing and rounded once, half-up, to the currency.

When the fee changes mid-month (or the service is cancelled: a new fee of 0), the change day
is billed at the new fee: the unused part of the prepaid old fee is credited and the rest of
the month is charged at the new fee, each multiplied first and rounded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Any

from calculators.dates import (
    add_months,
    days_in_month,
    human_date,
    human_month,
    iso_month,
    month_name,
)
from calculators.errors import InvalidChoice
from calculators.money import Currency, display_amount, format_amount, quantize_money, to_decimal


class Method(StrEnum):
    """How the days of the go-live month are counted."""

    ACTUAL = "actual"
    THIRTY = "thirty"


def parse_method(text: str, *, field: str = "method") -> Method:
    """A :class:`Method` from its word (``actual`` or ``thirty``)."""
    try:
        return Method(text.strip().lower())
    except ValueError:
        raise InvalidChoice(field, text, f"{field} must be actual or thirty") from None


@dataclass(frozen=True)
class Proration:
    """The go-live credit and the first recurring invoice."""

    monthly_fee: Decimal
    currency: Currency
    go_live: date
    method: Method
    days_in_month: int
    days_before_go_live: int
    credit: Decimal
    first_invoice_date: date
    first_invoice_total: Decimal
    first_full_month: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of ``GET /api/v1/prorate/go-live``."""
        return {
            "monthly_fee": format_amount(self.monthly_fee, self.currency),
            "currency": self.currency.code,
            "go_live": self.go_live.isoformat(),
            "method": self.method.value,
            "days_in_month": self.days_in_month,
            "days_before_go_live": self.days_before_go_live,
            "credit": format_amount(self.credit, self.currency),
            "first_invoice_date": self.first_invoice_date.isoformat(),
            "first_invoice_total": format_amount(self.first_invoice_total, self.currency),
            "first_full_month": iso_month(*self.first_full_month),
            "explanation": self.explanation,
        }

    @property
    def explanation(self) -> str:
        """One sentence a person can read."""
        money = self.currency
        fee = display_amount(self.monthly_fee, money)
        month = month_name(self.go_live.month)
        if self.method is Method.ACTUAL:
            days = f"{self.days_before_go_live} of {month}'s {self.days_in_month} days"
        else:
            days = f"{self.days_before_go_live} of a 30-day month"
        credit = display_amount(self.credit, money)
        total = display_amount(self.first_invoice_total, money)
        return (
            f"Going live on {human_date(self.go_live)} leaves {days} prepaid but unused, so the "
            f"invoice of {human_date(self.first_invoice_date)} is credited {credit} ({fee} × "
            f"{self.days_before_go_live} ÷ {self.days_in_month}) and totals {total}; "
            f"{human_month(*self.first_full_month)} is the first full month billed."
        )


def prorate_go_live(
    monthly_fee: Decimal, go_live: date, *, currency: Currency, method: Method = Method.ACTUAL
) -> Proration:
    """The credit on the first recurring invoice for a customer going live on ``go_live``."""
    fee = quantize_money(to_decimal(monthly_fee), currency)
    if fee < 0:
        raise ValueError("monthly_fee must not be negative")
    if method is Method.ACTUAL:
        divisor = days_in_month(go_live.year, go_live.month)
        days_before = go_live.day - 1
    else:
        divisor = 30
        days_before = min(go_live.day, 30) - 1
    with localcontext() as context:
        context.prec = 60
        credit = quantize_money(fee * days_before / divisor, currency)
    first_invoice = date(*add_months(go_live.year, go_live.month, 1), 1)
    full = (first_invoice.year, first_invoice.month)
    if credit != 0:
        full = add_months(first_invoice.year, first_invoice.month, 1)
    return Proration(
        monthly_fee=fee, currency=currency, go_live=go_live, method=method,
        days_in_month=divisor, days_before_go_live=days_before, credit=credit,
        first_invoice_date=first_invoice, first_invoice_total=fee - credit,
        first_full_month=full,
    )


class Change(StrEnum):
    """What a fee change is."""

    INCREASE = "increase"
    DECREASE = "decrease"
    CANCELLATION = "cancellation"
    NONE = "none"


def _change_kind(old_fee: Decimal, new_fee: Decimal) -> Change:
    if new_fee == old_fee:
        return Change.NONE
    if new_fee == 0:
        return Change.CANCELLATION
    return Change.INCREASE if new_fee > old_fee else Change.DECREASE


@dataclass(frozen=True)
class FeeChange:
    """The credit and charge when a monthly fee changes (or the service ends) mid-month."""

    old_fee: Decimal
    new_fee: Decimal
    currency: Currency
    change_date: date
    method: Method
    days_in_month: int
    days_remaining: int
    credit_unused: Decimal
    charge_remaining: Decimal

    @property
    def net(self) -> Decimal:
        """Charge minus credit: negative means a credit note."""
        return self.charge_remaining - self.credit_unused

    @property
    def change(self) -> Change:
        """Increase, decrease, cancellation or none."""
        return _change_kind(self.old_fee, self.new_fee)

    @property
    def next_full_month(self) -> tuple[int, int]:
        """The month after the change: the first billed whole at the new fee."""
        return add_months(self.change_date.year, self.change_date.month, 1)

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of ``GET /api/v1/prorate/change``."""
        money = self.currency
        return {
            "old_fee": format_amount(self.old_fee, money),
            "new_fee": format_amount(self.new_fee, money),
            "currency": money.code,
            "change_date": self.change_date.isoformat(),
            "method": self.method.value,
            "change": self.change.value,
            "days_in_month": self.days_in_month,
            "days_remaining": self.days_remaining,
            "credit_unused": format_amount(self.credit_unused, money),
            "charge_remaining": format_amount(self.charge_remaining, money),
            "net": format_amount(self.net, money),
            "next_full_month": iso_month(*self.next_full_month),
            "explanation": self.explanation,
        }

    @property
    def explanation(self) -> str:
        """One sentence a person can read."""
        money = self.currency
        old, new = display_amount(self.old_fee, money), display_amount(self.new_fee, money)
        month = month_name(self.change_date.month)
        if self.method is Method.ACTUAL:
            days = f"{self.days_remaining} of {month}'s {self.days_in_month} days"
        else:
            days = f"{self.days_remaining} of a 30-day month"
        ratio = f"{self.days_remaining} ÷ {self.days_in_month}"
        credit = (f"{display_amount(self.credit_unused, money)} of the prepaid {old} is "
                  f"credited ({old} × {ratio})")
        next_month = human_month(*self.next_full_month)
        when = human_date(self.change_date)
        if self.change is Change.CANCELLATION:
            return (f"Cancelling on {when} leaves {days} unused: {credit}, a credit note of "
                    f"{display_amount(self.credit_unused, money)}; nothing is billed from "
                    f"{next_month}.")
        charge = (f"{display_amount(self.charge_remaining, money)} is charged at the new fee "
                  f"({new} × {ratio})")
        return (f"Changing the monthly fee from {old} to {new} on {when} leaves {days} at the "
                f"new fee: {credit} and {charge}, {self._net_words()}; {next_month} is the "
                f"first month billed in full at {new}.")

    def _net_words(self) -> str:
        net = display_amount(abs(self.net), self.currency)
        if self.net > 0:
            return f"a net charge of {net}"
        if self.net < 0:
            return f"a net credit of {net}"
        return "which nets to zero"


def remaining_days(change_date: date, method: Method) -> tuple[int, int]:
    """(days from the change day to the month's end inclusive, days in the month) by method."""
    if method is Method.ACTUAL:
        days = days_in_month(change_date.year, change_date.month)
        return days - change_date.day + 1, days
    return 30 - min(change_date.day, 30) + 1, 30


def prorate_change(old_fee: Decimal, new_fee: Decimal, change_date: date, *,
                   currency: Currency, method: Method = Method.ACTUAL) -> FeeChange:
    """The credit for the unused old fee and the charge at the new fee from ``change_date``
    (billed at the new fee) to the end of its month; ``new_fee`` 0 is a cancellation."""
    old, new = (quantize_money(to_decimal(fee), currency) for fee in (old_fee, new_fee))
    if old < 0 or new < 0:
        raise ValueError("fees must not be negative")
    remaining, divisor = remaining_days(change_date, method)
    with localcontext() as context:
        context.prec = 60
        credit = quantize_money(old * remaining / divisor, currency)
        charge = quantize_money(new * remaining / divisor, currency)
    return FeeChange(
        old_fee=old, new_fee=new, currency=currency, change_date=change_date, method=method,
        days_in_month=divisor, days_remaining=remaining, credit_unused=credit,
        charge_remaining=charge,
    )
