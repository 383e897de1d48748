"""Calculator requests: named text inputs become calculator calls.

The API's query parameters, the CLI's options and the MkDocs markers' options are all a
mapping of names to text. The ``run_*`` functions check and parse them with the settings of
one deployment and call the engine; a bad input is a :class:`CalculatorError` naming the
field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from calculators.account_types import get_account_type
from calculators.billing import TERMS_MARGIN_YEARS, DueDateResult, compute_due_date
from calculators.dates import parse_date, parse_datetime
from calculators.errors import ConflictingInputs, MissingInput
from calculators.money import parse_amount
from calculators.proration import (
    FeeChange,
    Method,
    Proration,
    parse_method,
    prorate_change,
    prorate_go_live,
)
from calculators.settings import CalculatorSettings
from calculators.terms_parser import parse_terms

PRORATE_FIELDS = ("monthly_fee", "go_live", "method")
PRORATE_CHANGE_FIELDS = ("old_fee", "new_fee", "change_date", "method")
DUE_DATE_FIELDS = ("account_type", "terms", "completed", "invoice_date", "amount")


def _text(params: Mapping[str, str | None], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _required(params: Mapping[str, str | None], name: str, example: str) -> str:
    value = _text(params, name)
    if value is None:
        raise MissingInput(name, None, f"{name} is required, for example {name}={example}")
    return value


def _amount(params: Mapping[str, str | None], name: str, example: str,
            settings: CalculatorSettings) -> Decimal:
    return parse_amount(_required(params, name, example), field=name, money=settings.currency)


def _method(params: Mapping[str, str | None]) -> Method:
    text = _text(params, "method")
    return parse_method(text if text is not None else "actual")


def run_prorate(params: Mapping[str, str | None], settings: CalculatorSettings) -> Proration:
    """The go-live proration for text inputs ``monthly_fee``, ``go_live`` and ``method``."""
    fee = _amount(params, "monthly_fee", "2000", settings)
    go_live = parse_date(_required(params, "go_live", "2026-01-07"), field="go_live")
    return prorate_go_live(fee, go_live, currency=settings.currency, method=_method(params))


def run_prorate_change(params: Mapping[str, str | None], settings: CalculatorSettings
                       ) -> FeeChange:
    """A fee change or cancellation for ``old_fee``, ``new_fee``, ``change_date``, ``method``."""
    old_fee = _amount(params, "old_fee", "2000", settings)
    new_fee = _amount(params, "new_fee", "3000", settings)
    change = parse_date(_required(params, "change_date", "2026-03-15"), field="change_date")
    return prorate_change(old_fee, new_fee, change, currency=settings.currency,
                          method=_method(params))


def _covered(settings: CalculatorSettings, day: date, name: str, text: str) -> None:
    settings.calendar.check_covered(
        day, field=name, text=text, years_before=1, years_after=TERMS_MARGIN_YEARS
    )


def _one_of_each(params: Mapping[str, str | None]) -> None:
    for first, second in (("account_type", "terms"), ("completed", "invoice_date")):
        if params.get(first) is None and params.get(second) is None:
            raise MissingInput(first, None, f"give {first} or {second}")
        if params.get(first) is not None and params.get(second) is not None:
            raise ConflictingInputs(second, params.get(second),
                                    f"give {first} or {second}, not both")


def run_due_date(params: Mapping[str, str | None], settings: CalculatorSettings) -> DueDateResult:
    """The billing event and due dates for text inputs (see DESIGN.md, due dates)."""
    _one_of_each(params)
    type_text, terms_text = _text(params, "account_type"), _text(params, "terms")
    completed_text, invoice_text = _text(params, "completed"), _text(params, "invoice_date")
    account_type = terms = None
    if type_text is not None:
        account_type = get_account_type(settings.account_types(), type_text, field="account_type")
    if terms_text is not None:
        terms = parse_terms(terms_text)
    amount = None
    if _text(params, "amount") is not None:
        amount = _amount(params, "amount", "1000", settings)
    completed: datetime | None = None
    invoice_date: date | None = None
    # The calendar's own range, named in the message (the widget's boxes allow the same).
    bounds = settings.calendar.covered(years_before=1, years_after=TERMS_MARGIN_YEARS)
    why = settings.calendar.coverage_note()
    if completed_text is not None:
        completed = parse_datetime(completed_text, field="completed", tz=settings.tz,
                                   bounds=bounds, why=why)
        _covered(settings, completed.date(), "completed", completed_text)
    if invoice_text is not None:
        invoice_date = parse_date(invoice_text, field="invoice_date", bounds=bounds, why=why)
        _covered(settings, invoice_date, "invoice_date", invoice_text)
    return compute_due_date(
        account_type=account_type, terms=terms, completed=completed, invoice_date=invoice_date,
        calendar=settings.calendar, tz=settings.tz, amount=amount, currency=settings.currency,
    )


def account_types_body(settings: CalculatorSettings) -> dict[str, Any]:
    """The JSON body of ``GET /api/v1/account-types``."""
    return {"account_types": [kind.as_dict() for kind in settings.account_types().values()]}


__all__ = [
    "DUE_DATE_FIELDS", "PRORATE_CHANGE_FIELDS", "PRORATE_FIELDS", "account_types_body",
    "run_due_date", "run_prorate", "run_prorate_change",
]
