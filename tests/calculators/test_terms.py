"""The payment-terms language: vectors, month-end clamping, rolls and exact error messages."""

from __future__ import annotations

import pytest

from calculators import InvalidTerms, Roll, due_date, parse_terms
from tests.calculators.conftest import d


@pytest.mark.parametrize(
    ("expression", "invoice", "unadjusted", "due"),
    [
        ("net 14", "2026-11-20", "2026-12-04", "2026-12-04"),
        ("net 0", "2026-11-20", "2026-11-20", "2026-11-20"),
        ("net 30", "2026-01-31", "2026-03-02", "2026-03-02"),
        ("net 3650", "2026-01-01", "2035-12-30", "2035-12-30"),
        # DESIGN.md: eom 45 from 2019-01-15 is 2019-03-17 (January 31 + 45 days)
        ("eom 45", "2019-01-15", "2019-03-17", "2019-03-17"),
        ("eom 0", "2024-02-10", "2024-02-29", "2024-02-29"),
        ("eom 0", "2026-02-10", "2026-02-28", "2026-02-28"),
        ("eom 30", "2026-12-05", "2027-01-30", "2027-01-30"),
        # day D month +M, clamped to the target month's length
        ("day 31 month +1", "2024-05-23", "2024-06-30", "2024-06-30"),
        ("day 31 month 1", "2024-05-23", "2024-06-30", "2024-06-30"),
        ("day 30 month +1", "2024-01-31", "2024-02-29", "2024-02-29"),
        ("day 30 month +1", "2026-01-31", "2026-02-28", "2026-02-28"),
        ("day last month +1", "2026-03-10", "2026-04-30", "2026-04-30"),
        ("day 15 month +12", "2026-12-20", "2027-12-15", "2027-12-15"),
        ("day 1 month +1", "2026-12-19", "2027-01-01", "2027-01-01"),
        # clamping counts from the invoice month each time (no chained additions)
        ("day 31 month +2", "2026-01-31", "2026-03-31", "2026-03-31"),
        # cutoff: invoices after day C count from the next month
        ("eom 0 cutoff 25", "2026-01-25", "2026-01-31", "2026-01-31"),
        ("eom 0 cutoff 25", "2026-01-26", "2026-02-28", "2026-02-28"),
        ("day 10 month +1 cutoff 20", "2026-01-20", "2026-02-10", "2026-02-10"),
        ("day 10 month +1 cutoff 20", "2026-01-21", "2026-03-10", "2026-03-10"),
        ("day 31 month +1 cutoff 15", "2026-12-16", "2027-02-28", "2027-02-28"),
        # rolls (South African holidays)
        ("day 1 month +1 roll following", "2026-12-19", "2027-01-01", "2027-01-04"),
        ("day 1 month +1 roll following", "2026-10-19", "2026-11-01", "2026-11-02"),
        ("net 14 roll following", "2026-03-20", "2026-04-03", "2026-04-07"),
        ("net 14 roll preceding", "2026-03-20", "2026-04-03", "2026-04-02"),
        ("net 14 roll modified_following", "2026-03-20", "2026-04-03", "2026-04-07"),
        ("eom 0 roll modified_following", "2026-10-05", "2026-10-31", "2026-10-30"),
        ("net 14 roll none", "2026-03-20", "2026-04-03", "2026-04-03"),
        # preceding never goes before the invoice date: it rolls forward instead
        ("net 0 roll preceding", "2026-04-04", "2026-04-04", "2026-04-07"),
        ("eom 0 roll preceding", "2026-10-31", "2026-10-31", "2026-11-02"),
        # Odoo's "payment days" (OCA account_payment_term_extension README: "allow to set more
        # than one day of payment in payment terms"): the first listed day on or after the date.
        ("net 30 paydays 5,20", "2026-03-02", "2026-04-05", "2026-04-05"),
        ("net 30 paydays 5,20", "2026-03-10", "2026-04-20", "2026-04-20"),
        ("net 30 paydays 5,20", "2026-03-22", "2026-05-05", "2026-05-05"),
        ("net 0 paydays 20", "2026-03-20", "2026-03-20", "2026-03-20"),  # on the day itself
        # clamped to short months, dateutil-style (relativedelta(day=31) is the month's last day)
        ("net 0 paydays 30", "2026-02-25", "2026-02-28", "2026-02-28"),
        ("net 0 paydays 31", "2024-02-25", "2024-02-29", "2024-02-29"),
        ("net 0 paydays 31", "2026-04-30", "2026-04-30", "2026-04-30"),
        # paydays first, then the roll: Sunday 2026-04-05, Monday 2026-04-06 is Family Day
        ("net 30 paydays 5,20 roll following", "2026-03-02", "2026-04-05", "2026-04-07"),
        ("net 30 paydays 5,20 roll preceding", "2026-03-02", "2026-04-05", "2026-04-02"),
        ("eom 0 cutoff 25 paydays 10", "2026-01-26", "2026-03-10", "2026-03-10"),
    ],
)
def test_terms_vectors(za, expression, invoice, unadjusted, due):
    result = due_date(parse_terms(expression).rule, d(invoice), za)
    assert result.unadjusted == d(unadjusted)
    assert result.due == d(due)
    assert result.due >= d(invoice)


@pytest.mark.parametrize(
    ("expression", "canonical"),
    [
        ("net 14", "net 14"),
        ("  NET   14  ", "net 14"),
        ("eom 045", "eom 45"),
        ("day 1 month 1 roll following", "day 1 month +1 roll following"),
        ("day last month +3", "day last month +3"),
        ("day 5 month +1 roll none cutoff 20", "day 5 month +1 cutoff 20"),
        ("eom 30 roll preceding cutoff 25", "eom 30 cutoff 25 roll preceding"),
    ],
)
def test_canonical_expression(expression, canonical):
    terms = parse_terms(expression)
    assert terms.expression == canonical
    assert parse_terms(canonical) == terms


def test_parsed_fields():
    rule = parse_terms("day 1 month +1 roll following").rule
    assert (rule.kind, rule.day, rule.months, rule.cutoff, rule.roll) == (
        "day", 1, 1, None, Roll.FOLLOWING)


@pytest.mark.parametrize(
    ("expression", "description"),
    [
        ("net 14", "14 days after the invoice date"),
        ("net 1", "1 day after the invoice date"),
        ("net 0", "on the invoice date"),
        ("eom 0", "at the end of the invoice month"),
        ("eom 45", "45 days after the end of the invoice month"),
        ("day 1 month +1 roll following",
         "on day 1 of the next month, moved to the next business day when it is not one"),
        ("day 31 month +2", "on day 31 of the month 2 months after the invoice month "
                            "(or its last day)"),
        ("day last month +1 cutoff 25",
         "on the last day of the next month, counted from the next month when the invoice is "
         "dated after day 25"),
    ],
)
def test_describe(expression, description):
    assert parse_terms(expression).describe() == description


START = "expected 'net N', 'eom N' or 'day D month +M'"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", f"terms is empty: {START}"),
        ("   ", f"terms is empty: {START}"),
        ("net", "'net' must be followed by a number of days from 0 to 3650"),
        ("net x", "'net' must be followed by a number of days from 0 to 3650, not 'x'"),
        ("net -1", "'net' must be followed by a number of days from 0 to 3650, not '-1'"),
        ("net 3651", "'net' must be followed by a number of days from 0 to 3650, not '3651'"),
        ("net 1.5", "'net' must be followed by a number of days from 0 to 3650, not '1.5'"),
        ("net ١٤", "'net' must be followed by a number of days from 0 to 3650, not '١٤'"),
        ("eom", "'eom' must be followed by a number of days from 0 to 3650"),
        ("eom 99999999", "'eom' must be followed by a number of days from 0 to 3650, "
                         "not '99999999'"),
        ("net14x", f"unknown terms 'net14x': {START}"),
        ("pay 14", f"unknown terms 'pay': {START}"),
        ("day", "'day' must be followed by a day of the month (or 'last') from 1 to 31"),
        ("day 0 month +1", "'day' must be followed by a day of the month (or 'last') from 1 to "
                           "31, not '0'"),
        ("day 32 month +1", "'day' must be followed by a day of the month (or 'last') from 1 "
                            "to 31, not '32'"),
        ("day first month +1", "'day' must be followed by a day of the month (or 'last') from "
                               "1 to 31, not 'first'"),
        ("day 1", "expected 'month +M' after 'day 1'"),
        ("day 1 mont +1", "expected 'month +M' after 'day 1', not 'mont'"),
        ("day 1 month", "'month' must be followed by a number of months (+1) from 1 to 12"),
        ("day 1 month +0", "'month' must be followed by a number of months (+1) from 1 to 12, "
                           "not '+0'"),
        ("day 1 month +13", "'month' must be followed by a number of months (+1) from 1 to 12, "
                            "not '+13'"),
        ("day 1 month -1", "'month' must be followed by a number of months (+1) from 1 to 12, "
                           "not '-1'"),
        ("day 1 month ++1", "'month' must be followed by a number of months (+1) from 1 to 12, "
                            "not '++1'"),
        ("net 14 cutoff 10", "'cutoff' only applies to 'eom' and 'day' terms, not to 'net'"),
        ("eom 0 cutoff", "'cutoff' must be followed by a day of the month from 1 to 31"),
        ("eom 0 cutoff 32", "'cutoff' must be followed by a day of the month from 1 to 31, "
                            "not '32'"),
        ("eom 0 cutoff 10 cutoff 20", "'cutoff' is given twice"),
        ("net 14 roll", "'roll' must be followed by following, preceding, modified_following "
                        "or none"),
        ("net 14 roll forward", "'roll' must be followed by following, preceding, "
                                "modified_following or none, not 'forward'"),
        ("net 14 roll none roll following", "'roll' is given twice"),
        ("net 14 days", "unexpected 'days' after 'net 14': expected 'paydays A,B' or 'roll R'"),
        ("eom 0 please", "unexpected 'please' after 'eom 0': expected 'cutoff C', 'paydays A,B' "
                         "or 'roll R'"),
        ("day 1 month +1 roll following extra",
         "unexpected 'extra' after 'day 1 month +1 roll following': expected 'cutoff C', "
         "'paydays A,B' or 'roll R'"),
        ("x" * 201, "terms is too long: at most 200 characters"),
        ("net " + "9" * 30, "'net' must be followed by a number of days from 0 to 3650, "
                            "not '999999999999999999999...'"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression, message):
    with pytest.raises(InvalidTerms) as caught:
        parse_terms(expression)
    assert caught.value.field == "terms"
    assert caught.value.value == expression
    assert str(caught.value) == message


# ---------------------------------------------------------------- more terms (issue 15)

@pytest.mark.parametrize(
    ("expression", "canonical"),
    [
        # The common spellings of "net 30" on invoices (QuickBooks and Xero print "Net 30",
        # ERPNext's default template is called "Net 30", Odoo's demo term "30 Days").
        ("net30", "net 30"),
        ("NET30", "net 30"),
        ("Net 30", "net 30"),
        ("EOM45", "eom 45"),
        ("Day 1 Month+1 Roll Following", "day 1 month +1 roll following"),
        ("2/10 NET30", "2/10 net 30"),
        ("1.5/10 net 30", "1.5/10 net 30"),
        ("net 30 paydays 20, 5", "net 30 paydays 5,20"),
        ("net 30 PAYDAYS 5,5,20", "net 30 paydays 5,20"),
        ("50% net 0;50% NET30", "50% net 0; 50% net 30"),
        ("30% net 0; 70% eom 60 roll following", "30% net 0; 70% eom 60 roll following"),
        ("100% net 30", "net 30"),  # one instalment of everything is plain terms
        ("33.33% net 0; 33.33% net 30; 33.34% net 60",
         "33.33% net 0; 33.33% net 30; 33.34% net 60"),
    ],
)
def test_spellings_and_canonical_forms(expression, canonical):
    terms = parse_terms(expression)
    assert terms.expression == canonical
    assert parse_terms(canonical) == terms


@pytest.mark.parametrize(
    ("expression", "description"),
    [
        ("2/10 net 30", "30 days after the invoice date; 2% off when paid within 10 days"),
        ("net 30 paydays 5,20", "30 days after the invoice date, then on the next payment day "
                                "(the 5th or 20th of a month)"),
        ("50% net 0; 50% net 30", "50% on the invoice date; 50% 30 days after the invoice date"),
    ],
)
def test_describe_more_terms(expression, description):
    assert parse_terms(expression).describe() == description


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("50% net 0; 40% net 30", "the instalment percentages add up to 90, not 100"),
        ("60% net 0; 60% net 30", "the instalment percentages add up to 120, not 100"),
        ("33.333% net 0; 66.667% net 30",
         "instalment 1 starts with '33.333%': each instalment is 'P% TERMS', such as "
         "'50% net 30', with a percentage of at most 2 decimals"),
        ("0% net 0; 100% net 30", "instalment 1 is 0%: each must be above 0 and at most 100"),
        ("50% net 0; net 30", "instalment 2 starts with 'net': each instalment is 'P% TERMS', "
                              "such as '50% net 30', with a percentage of at most 2 decimals"),
        ("50% net 0;", "instalment 2 is empty: each instalment is 'P% TERMS', such as "
                       "'50% net 30'"),
        ("50% net 0; 50% net x", "instalment 2: 'net' must be followed by a number of days from "
                                 "0 to 3650, not 'x'"),
        ("50% net 0; 50%", "instalment 2: terms is empty: expected 'net N', 'eom N' or "
                           "'day D month +M'"),
        ("; ".join(["10% net 0"] * 13), "at most 12 instalments"),
        # Odoo refuses an early discount on split terms ("The Early Payment Discount
        # functionality can only be used with payment terms using a single 100% line").
        ("50% 2/10 net 30; 50% net 60", "an early-payment discount cannot be combined with "
                                        "instalments"),
        ("2/10 net 30; 50% net 0", "an early-payment discount cannot be combined with "
                                   "instalments"),
        ("2/10 eom 30", "an early-payment discount '2/10' must be followed by 'net N' (for "
                        "example '2/10 net 30')"),
        ("2/10", "an early-payment discount '2/10' must be followed by 'net N' (for example "
                 "'2/10 net 30')"),
        ("0/10 net 30", "the discount '0/10' must be 'D/E': a percentage above 0 and below 100 "
                        "(at most 2 decimals), then 0 to 3650 days"),
        ("net 30 paydays", "'paydays' must be followed by days of the month from 1 to 31, "
                           "separated by commas (for example 'paydays 5,20')"),
        ("net 30 paydays 0", "'paydays' must be followed by days of the month from 1 to 31, "
                             "separated by commas (for example 'paydays 5,20'), not 0"),
        ("net 30 paydays 5,32", "'paydays' must be followed by days of the month from 1 to 31, "
                                "separated by commas (for example 'paydays 5,20'), not 32"),
        ("net 30 paydays five", "'paydays' must be followed by days of the month from 1 to 31, "
                                "separated by commas (for example 'paydays 5,20'), not 'five'"),
        ("net 30 paydays 5 paydays 20", "'paydays' is given twice"),
    ],
)
def test_bad_new_terms_say_what_is_wrong(expression, message):
    with pytest.raises(InvalidTerms) as caught:
        parse_terms(expression)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("expression", "amount", "amounts", "dues"),
    [
        # ERPNext's payment schedule: each portion rounded, the last row takes the balance
        # (erpnext/controllers/accounts_controller.py, "payment_amount" of the last term).
        ("50% net 0; 50% net 30", "1000", ["500.00", "500.00"], ["2026-03-02", "2026-04-01"]),
        ("33.33% net 0; 33.33% net 30; 33.34% net 60", "100",
         ["33.33", "33.33", "33.34"], ["2026-03-02", "2026-04-01", "2026-05-01"]),
        ("50% net 0; 50% net 30", "0.05", ["0.03", "0.02"], ["2026-03-02", "2026-04-01"]),
        # Odoo's test term "30% Now, Balance 60 Days" (test_account_early_payment_discount.py)
        ("30% net 0; 70% net 60", "1000", ["300.00", "700.00"], ["2026-03-02", "2026-05-01"]),
        ("30% net 0; 70% net 60", "99.99", ["30.00", "69.99"], ["2026-03-02", "2026-05-01"]),
    ],
)
def test_instalment_amounts(za, usd, expression, amount, amounts, dues):
    from decimal import Decimal

    from calculators import schedule

    plan = schedule(parse_terms(expression), d("2026-03-02"), za, amount=Decimal(amount),
                    currency=usd)
    assert [f"{part.amount}" for part in plan.instalments] == amounts
    assert [part.due.due.isoformat() for part in plan.instalments] == dues
    assert plan.final.due == d(dues[-1])


def test_an_amount_too_small_to_split_is_refused(za, usd):
    from decimal import Decimal

    from calculators import InvalidAmount, schedule

    with pytest.raises(InvalidAmount) as caught:
        schedule(parse_terms("; ".join(["10% net 0"] * 10)), d("2026-03-02"), za,
                 amount=Decimal("0.05"), currency=usd)
    assert caught.value.field == "amount"
    assert "too small to split into 10 instalments" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "amount", "until", "off"),
    [
        # Odoo's test term "10% discount if paid within 10 days" on a 100% net 0 line: the
        # discount period may outlast the due date.
        ("10/10 net 0", "1000", "2026-03-12", "100.00"),
        ("10/0 net 0", "1000", "2026-03-02", "100.00"),
        # "2/10 net 30", the textbook spelling (DESIGN.md: 2% of 1000 is "20.00")
        ("2/10 net 30", "1000", "2026-03-12", "20.00"),
        ("2/10 net 30", "99.99", "2026-03-12", "2.00"),
        ("2/10 net 30 roll following", "1000", "2026-03-12", "20.00"),  # until is not rolled
    ],
)
def test_early_payment_discount(za, usd, expression, amount, until, off):
    from decimal import Decimal

    from calculators import schedule

    plan = schedule(parse_terms(expression), d("2026-03-02"), za, amount=Decimal(amount),
                    currency=usd)
    assert plan.discount is not None
    assert (plan.discount.until, f"{plan.discount.amount}") == (d(until), off)
