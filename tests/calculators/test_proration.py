"""Go-live proration (seed 002 and DESIGN.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculators import InvalidChoice, Method, currency, parse_method, prorate_go_live
from tests.calculators.conftest import d


@pytest.mark.parametrize(
    ("go_live", "days_before", "credit", "total"),
    [
        ("2026-01-07", 6, "387.10", "1612.90"),  # seed example 2, exactly
        ("2026-01-22", 21, "1354.84", "645.16"),  # seed example 3, exactly
        ("2026-01-15", 14, "903.23", "1096.77"),  # seed example 1: the source's $1,000 is rounded
    ],
)
def test_seed_examples(usd, go_live, days_before, credit, total):
    result = prorate_go_live(Decimal("2000"), d(go_live), currency=usd)
    assert result.days_in_month == 31
    assert result.days_before_go_live == days_before
    assert result.credit == Decimal(credit)
    assert result.first_invoice_total == Decimal(total)
    assert result.first_invoice_date == d("2026-02-01")
    assert result.first_full_month == (2026, 3)


def test_design_json_body(usd):
    body = prorate_go_live(Decimal("2000"), d("2026-01-07"), currency=usd).as_dict()
    explanation = body.pop("explanation")
    assert body == {
        "monthly_fee": "2000.00", "currency": "USD", "go_live": "2026-01-07", "method": "actual",
        "days_in_month": 31, "days_before_go_live": 6, "credit": "387.10",
        "first_invoice_date": "2026-02-01", "first_invoice_total": "1612.90",
        "first_full_month": "2026-03",
    }
    assert explanation == (
        "Going live on January 7, 2026 leaves 6 of January's 31 days prepaid but unused, so the "
        "invoice of February 1, 2026 is credited $387.10 ($2,000.00 × 6 ÷ 31) and totals "
        "$1,612.90; March 2026 is the first full month billed."
    )


def test_half_cent_tie_multiplies_before_dividing(usd):
    # 1999.95 * 14 / 28 = 999.975 exactly: half-up gives 999.98. Dividing first
    # (1999.95 / 28 * 14) gives 999.97499... and loses the cent.
    result = prorate_go_live(Decimal("1999.95"), d("2027-02-15"), currency=usd)
    assert result.days_in_month == 28
    assert result.credit == Decimal("999.98")
    assert result.first_invoice_total == Decimal("999.97")


@pytest.mark.parametrize(
    ("fee", "go_live", "method", "days_in_month", "days_before", "credit", "invoice", "full"),
    [
        # go-live on the 1st: no credit, the first invoice is already a full month
        ("2000", "2026-01-01", "actual", 31, 0, "0.00", "2026-02-01", "2026-02"),
        # last day of 31-, 30-, 29- and 28-day months
        ("2000", "2026-01-31", "actual", 31, 30, "1935.48", "2026-02-01", "2026-03"),
        ("2000", "2026-04-30", "actual", 30, 29, "1933.33", "2026-05-01", "2026-06"),
        ("2000", "2028-02-29", "actual", 29, 28, "1931.03", "2028-03-01", "2028-04"),
        ("2000", "2026-02-28", "actual", 28, 27, "1928.57", "2026-03-01", "2026-04"),
        # leap-year February, mid-month
        ("2000", "2028-02-15", "actual", 29, 14, "965.52", "2028-03-01", "2028-04"),
        # year end: the first invoice is in January of the next year
        ("2000", "2026-12-15", "actual", 31, 14, "903.23", "2027-01-01", "2027-02"),
        ("2000", "2026-12-31", "actual", 31, 30, "1935.48", "2027-01-01", "2027-02"),
        # thirty: every month counts 30 days; the 31st counts as the 30th
        ("2000", "2026-01-07", "thirty", 30, 6, "400.00", "2026-02-01", "2026-03"),
        ("2000", "2026-01-31", "thirty", 30, 29, "1933.33", "2026-02-01", "2026-03"),
        ("2000", "2026-02-28", "thirty", 30, 27, "1800.00", "2026-03-01", "2026-04"),
        ("2000", "2026-01-01", "thirty", 30, 0, "0.00", "2026-02-01", "2026-02"),
        # a zero fee, and a credit too small to reach a cent
        ("0", "2026-01-20", "actual", 31, 19, "0.00", "2026-02-01", "2026-02"),
        ("0.01", "2026-01-02", "actual", 31, 1, "0.00", "2026-02-01", "2026-02"),
        ("10000000", "2026-01-31", "actual", 31, 30, "9677419.35", "2026-02-01", "2026-03"),
    ],
)
def test_edge_cases(usd, fee, go_live, method, days_in_month, days_before, credit, invoice, full):
    result = prorate_go_live(Decimal(fee), d(go_live), currency=usd, method=Method(method))
    assert result.days_in_month == days_in_month
    assert result.days_before_go_live == days_before
    assert result.credit == Decimal(credit)
    assert result.credit + result.first_invoice_total == result.monthly_fee
    assert result.first_invoice_date == d(invoice)
    assert result.as_dict()["first_full_month"] == full


def test_zero_minor_unit_currency():
    result = prorate_go_live(Decimal("2000"), d("2026-01-07"), currency=currency("JPY"))
    assert result.as_dict()["credit"] == "387"
    assert result.as_dict()["first_invoice_total"] == "1613"


@pytest.mark.parametrize(
    ("text", "method"),
    [("actual", Method.ACTUAL), ("thirty", Method.THIRTY), (" THIRTY ", Method.THIRTY)],
)
def test_parse_method(text, method):
    assert parse_method(text) is method


@pytest.mark.parametrize("text", ["", "30", "actual/360", "thirty "[:3]])
def test_parse_method_refuses(text):
    with pytest.raises(InvalidChoice) as caught:
        parse_method(text)
    assert caught.value.field == "method"
    assert str(caught.value) == "method must be actual or thirty"


def test_floats_are_refused(usd):
    with pytest.raises(TypeError):
        prorate_go_live(2000.0, d("2026-01-07"), currency=usd)  # type: ignore[arg-type]
