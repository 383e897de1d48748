"""Fee changes and cancellations mid-month: credit for the unused old fee, charge at the new."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculators import Change, Method, prorate_change
from tests.calculators.conftest import d


@pytest.mark.parametrize(
    ("old", "new", "change_date", "method", "remaining", "days", "credit", "charge", "net"),
    [
        # Stripe's documented proration (docs.stripe.com/billing/subscriptions/prorations):
        # 10 USD to 20 USD halfway through the period: -5 unused, +10 remaining, +5 net.
        # Halfway through April (30 days) is the 16th: 15 days at the new price.
        ("10", "20", "2026-04-16", Method.ACTUAL, 15, 30, "5.00", "10.00", "5.00"),
        # The same on a 30-day basis (every month counts 30 days).
        ("10", "20", "2026-03-16", Method.THIRTY, 15, 30, "5.00", "10.00", "5.00"),
        # DESIGN.md: 2000 -> 3000 on 2026-03-15 (17 of 31 days at the new fee).
        ("2000", "3000", "2026-03-15", Method.ACTUAL, 17, 31, "1096.77", "1645.16", "548.39"),
        ("2,000.00", "1500", "2026-03-15", Method.ACTUAL, 17, 31, "1096.77", "822.58",
         "-274.19"),
        # Cancellations: the change day is not used any more, so it is credited too.
        ("2000", "0", "2026-03-15", Method.ACTUAL, 17, 31, "1096.77", "0.00", "-1096.77"),
        ("2000", "0", "2026-03-01", Method.ACTUAL, 31, 31, "2000.00", "0.00", "-2000.00"),
        ("2000", "0", "2026-03-31", Method.ACTUAL, 1, 31, "64.52", "0.00", "-64.52"),
        ("2000", "0", "2028-02-29", Method.ACTUAL, 1, 29, "68.97", "0.00", "-68.97"),
        # 30-day months (as Zuora and Kill Bill offer): the 31st counts as the 30th.
        ("2000", "0", "2026-03-31", Method.THIRTY, 1, 30, "66.67", "0.00", "-66.67"),
        ("2000", "3000", "2026-02-28", Method.THIRTY, 3, 30, "200.00", "300.00", "100.00"),
        # Half-cent ties round up, each figure once.
        ("1999.95", "0", "2027-02-15", Method.ACTUAL, 14, 28, "999.98", "0.00", "-999.98"),
        ("0", "3000", "2026-03-15", Method.ACTUAL, 17, 31, "0.00", "1645.16", "1645.16"),
        ("2000", "2000", "2026-03-15", Method.ACTUAL, 17, 31, "1096.77", "1096.77", "0.00"),
    ],
)
def test_fee_change(usd, old, new, change_date, method, remaining, days, credit, charge, net):
    from calculators import parse_amount

    result = prorate_change(parse_amount(old, field="old_fee", money=usd),
                            parse_amount(new, field="new_fee", money=usd), d(change_date),
                            currency=usd, method=method)
    body = result.as_dict()
    assert (body["days_remaining"], body["days_in_month"]) == (remaining, days)
    assert (body["credit_unused"], body["charge_remaining"], body["net"]) == (credit, charge, net)


def test_design_example_body(usd):
    body = prorate_change(Decimal(2000), Decimal(3000), d("2026-03-15"), currency=usd).as_dict()
    assert body == {
        "old_fee": "2000.00", "new_fee": "3000.00", "currency": "USD",
        "change_date": "2026-03-15", "method": "actual", "change": "increase",
        "days_in_month": 31, "days_remaining": 17, "credit_unused": "1096.77",
        "charge_remaining": "1645.16", "net": "548.39", "next_full_month": "2026-04",
        "explanation": (
            "Changing the monthly fee from $2,000.00 to $3,000.00 on March 15, 2026 leaves 17 "
            "of March's 31 days at the new fee: $1,096.77 of the prepaid $2,000.00 is credited "
            "($2,000.00 × 17 ÷ 31) and $1,645.16 is charged at the new fee ($3,000.00 × 17 ÷ "
            "31), a net charge of $548.39; April 2026 is the first month billed in full at "
            "$3,000.00."
        ),
    }


@pytest.mark.parametrize(
    ("old", "new", "change", "words"),
    [
        ("2000", "0", Change.CANCELLATION, "a credit note of $1,096.77; nothing is billed from "
                                           "April 2026."),
        ("2000", "1500", Change.DECREASE, "a net credit of $274.19"),
        ("2000", "2000", Change.NONE, "which nets to zero"),
        ("0", "0", Change.NONE, "which nets to zero"),
        ("2000", "3000", Change.INCREASE, "a net charge of $548.39"),
    ],
)
def test_kinds_and_explanations(usd, old, new, change, words):
    result = prorate_change(Decimal(old), Decimal(new), d("2026-03-15"), currency=usd)
    assert result.change is change
    assert words in result.explanation


def test_next_full_month_crosses_the_year(usd):
    result = prorate_change(Decimal(2000), Decimal(3000), d("2026-12-10"), currency=usd)
    assert result.as_dict()["next_full_month"] == "2027-01"


def test_negative_fees_are_a_programming_error(usd):
    with pytest.raises(ValueError):
        prorate_change(Decimal(-1), Decimal(0), d("2026-03-15"), currency=usd)
