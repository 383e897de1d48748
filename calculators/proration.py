"""Go-live proration (seed 002): the credit for prepaid days before a customer goes live.

The first month is paid up front; recurring billing starts on the 1st of the month after
go-live and that first invoice is credited for the prepaid days before go-live. The credit is
``fee * days_before / days_in_month`` (``actual``) or ``fee * (min(day, 30) - 1) / 30``
(``thirty``), multiplied before dividing and rounded once, half-up, to the currency.
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
