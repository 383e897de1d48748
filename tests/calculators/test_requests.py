"""calculators.requests: named text inputs become calculator calls, bad ones name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculators.errors import CalculatorError
from calculators.requests import account_types_body, run_due_date, run_prorate, run_prorate_change
from calculators.settings import CalculatorSettings, load_settings


@pytest.fixture(scope="module")
def settings() -> CalculatorSettings:
    return load_settings({})


@pytest.mark.parametrize(
    ("params", "credit"),
    [
        ({"monthly_fee": "2000", "go_live": "2026-01-07"}, Decimal("387.10")),
        ({"monthly_fee": "2,000.00", "go_live": "2026-01-07", "method": "thirty"},
         Decimal("400.00")),
    ],
)
def test_run_prorate(settings, params, credit):
    assert run_prorate(params, settings).credit == credit


def test_run_prorate_change_cancellation(settings):
    result = run_prorate_change(
        {"old_fee": "2000", "new_fee": "0", "change_date": "2026-03-15"}, settings)
    assert result.new_fee == 0 and result.net < 0


def test_run_due_date_from_terms(settings):
    result = run_due_date({"terms": "net 30", "invoice_date": "2026-03-02"}, settings)
    assert result.due.due.isoformat() == "2026-04-01"


@pytest.mark.parametrize(
    ("run", "params", "field", "code"),
    [
        (run_prorate, {"go_live": "2026-01-07"}, "monthly_fee", "missing_input"),
        (run_prorate, {"monthly_fee": "-5", "go_live": "2026-01-07"}, "monthly_fee",
         "invalid_amount"),
        (run_prorate, {"monthly_fee": "2000", "go_live": "2026-02-30"}, "go_live",
         "invalid_date"),
        (run_prorate, {"monthly_fee": "2000", "go_live": "2026-01-07", "method": "lunar"},
         "method", "invalid_choice"),
        (run_due_date, {"completed": "2026-11-18T10:00"}, "account_type", "missing_input"),
        (run_due_date, {"account_type": "eft", "terms": "net 30",
                        "completed": "2026-11-18T10:00"}, "terms", "conflicting_inputs"),
        (run_due_date, {"account_type": "nope", "completed": "2026-11-18T10:00"},
         "account_type", "unknown_account_type"),
        (run_due_date, {"terms": "net thirty", "invoice_date": "2026-03-02"}, "terms",
         "invalid_terms"),
    ],
)
def test_bad_inputs_name_the_field(settings, run, params, field, code):
    with pytest.raises(CalculatorError) as caught:
        run(params, settings)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_account_types_body(settings):
    names = [kind["name"] for kind in account_types_body(settings)["account_types"]]
    assert names == list(settings.account_types())
