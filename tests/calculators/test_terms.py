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
    ],
)
def test_terms_vectors(za, expression, invoice, unadjusted, due):
    result = due_date(parse_terms(expression), d(invoice), za)
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
    terms = parse_terms("day 1 month +1 roll following")
    assert (terms.kind, terms.day, terms.months, terms.cutoff, terms.roll) == (
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
        ("net14", f"unknown terms 'net14': {START}"),
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
        ("net 14 days", "unexpected 'days' after 'net 14': expected 'roll R'"),
        ("eom 0 please", "unexpected 'please' after 'eom 0': expected 'cutoff C' or 'roll R'"),
        ("day 1 month +1 roll following extra",
         "unexpected 'extra' after 'day 1 month +1 roll following': expected 'cutoff C' or "
         "'roll R'"),
        ("x" * 101, "terms is too long: at most 100 characters"),
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
