"""Billing dates: the run or close a sign-off lands on, its period, invoice and due date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calculators import (
    ConflictingInputs,
    MissingInput,
    compute_due_date,
    parse_datetime,
    parse_terms,
)
from calculators.errors import InvalidDate
from tests.calculators.conftest import TZ, d, local

# (account type, sign-off, period start, period end = run/close, invoice date, due date,
#  holidays involved)
CASES = [
    # EFT: Friday billing run at 14:00, net 14.
    ("eft", "2026-11-18T10:00", "2026-11-13T14:00", "2026-11-20T14:00", "2026-11-20",
     "2026-12-04", []),
    ("eft", "2026-11-20T13:59", "2026-11-13T14:00", "2026-11-20T14:00", "2026-11-20",
     "2026-12-04", []),
    ("eft", "2026-11-20T14:00", "2026-11-13T14:00", "2026-11-20T14:00", "2026-11-20",
     "2026-12-04", []),  # exactly at the run: still in it
    ("eft", "2026-11-20T14:01", "2026-11-20T14:00", "2026-11-27T14:00", "2026-11-27",
     "2026-12-11", []),
    ("eft", "2026-11-21T09:00", "2026-11-20T14:00", "2026-11-27T14:00", "2026-11-27",
     "2026-12-11", []),  # Saturday
    # Good Friday 2026-04-03: the run moves to Thursday 2026-04-02, 14:00.
    ("eft", "2026-04-01T10:00", "2026-03-27T14:00", "2026-04-02T14:00", "2026-04-02",
     "2026-04-16", [("2026-04-03", "Good Friday")]),
    ("eft", "2026-04-02T13:59", "2026-03-27T14:00", "2026-04-02T14:00", "2026-04-02",
     "2026-04-16", [("2026-04-03", "Good Friday")]),
    ("eft", "2026-04-02T15:00", "2026-04-02T14:00", "2026-04-10T14:00", "2026-04-10",
     "2026-04-24", []),
    ("eft", "2026-04-03T10:00", "2026-04-02T14:00", "2026-04-10T14:00", "2026-04-10",
     "2026-04-24", []),
    # Christmas and the Day of Goodwill 2026 are a Friday and a Saturday.
    ("weekly_retainer", "2026-12-23T12:00", "2026-12-18T14:00", "2026-12-24T14:00",
     "2026-12-24", "2027-01-07", [("2026-12-25", "Christmas Day")]),
    # December to January: Friday 2027-01-01 is New Year's Day, so that run is on Thursday
    # 2026-12-31; a sign-off after it waits for 2027-01-08.
    ("weekly_retainer", "2026-12-31T12:00", "2026-12-24T14:00", "2026-12-31T14:00",
     "2026-12-31", "2027-01-14", [("2027-01-01", "New Year's Day")]),
    ("weekly_retainer", "2026-12-31T15:00", "2026-12-31T14:00", "2027-01-08T14:00",
     "2027-01-08", "2027-01-22", []),
    # Debit order: close on the 19th at 17:00, whatever the weekday.
    ("debit_order", "2026-11-19T16:59", "2026-10-19T17:00", "2026-11-19T17:00", "2026-11-19",
     "2026-12-01", []),
    ("debit_order", "2026-11-19T17:00", "2026-10-19T17:00", "2026-11-19T17:00", "2026-11-19",
     "2026-12-01", []),
    ("debit_order", "2026-11-19T17:01", "2026-11-19T17:00", "2026-12-19T17:00", "2026-12-19",
     "2027-01-04", [("2027-01-01", "New Year's Day")]),
    # The 19th on a Saturday (2026-09-19) and a Sunday (2027-09-19): no move.
    ("debit_order", "2026-09-18T12:00", "2026-08-19T17:00", "2026-09-19T17:00", "2026-09-19",
     "2026-10-01", []),
    ("debit_order", "2027-09-19T16:00", "2027-08-19T17:00", "2027-09-19T17:00", "2027-09-19",
     "2027-10-01", []),
    # The debit day on a holiday: 2027-01-01 (New Year's Day) rolls to Monday 2027-01-04.
    ("debit_order", "2026-12-15T10:00", "2026-11-19T17:00", "2026-12-19T17:00", "2026-12-19",
     "2027-01-04", [("2027-01-01", "New Year's Day")]),
    # The debit day on a Sunday: 2026-11-01 rolls to Monday 2026-11-02.
    ("debit_order", "2026-10-10T10:00", "2026-09-19T17:00", "2026-10-19T17:00", "2026-10-19",
     "2026-11-02", []),
]


@pytest.mark.parametrize(
    ("kind", "signed_off", "start", "end", "invoice", "due", "holidays"), CASES
)
def test_sign_off_to_due_date(za, account_types, kind, signed_off, start, end, invoice, due,
                              holidays):
    result = compute_due_date(account_type=account_types[kind], completed=local(signed_off),
                              calendar=za, tz=TZ)
    body = result.as_dict()
    assert body["period_start"] == local(start).isoformat()
    assert body["period_end"] == local(end).isoformat()
    assert body["invoice_date"] == invoice
    assert body["due_date"] == due
    assert [(h["date"], h["name"]) for h in body["holidays"]] == holidays
    assert local(start) < local(signed_off) <= local(end)
    assert body["due_date_is_business_day"] is True


def test_design_example_body(za, account_types):
    body = compute_due_date(account_type=account_types["eft"],
                            completed=local("2026-11-18T10:00"), calendar=za, tz=TZ).as_dict()
    assert body == {
        "amount": None,
        "currency": None,
        "instalments": None,
        "discount": None,
        "account_type": "eft",
        "terms": "net 14",
        "completed": "2026-11-18T10:00:00+02:00",
        "period_start": "2026-11-13T14:00:00+02:00",
        "period_end": "2026-11-20T14:00:00+02:00",
        "invoice_date": "2026-11-20",
        "unadjusted_due_date": "2026-12-04",
        "due_date": "2026-12-04",
        "due_date_is_business_day": True,
        "holidays": [],
        "explanation": (
            "Work signed off on Wednesday, November 18, 2026 at 10:00 goes into the EFT weekly "
            "billing run on Friday, November 20, 2026 at 14:00, which covers sign-offs after "
            "Friday, November 13, 2026 at 14:00; its invoice, dated November 20, 2026, is due "
            "on Friday, December 4, 2026 (net 14: 14 days after the invoice date)."
        ),
    }


def test_explanations_name_the_holidays(za, account_types):
    moved = compute_due_date(account_type=account_types["eft"],
                             completed=local("2026-04-01T10:00"), calendar=za, tz=TZ)
    assert "(moved from Friday, April 3, 2026, Good Friday)" in moved.explanation
    rolled = compute_due_date(account_type=account_types["debit_order"],
                              completed=local("2026-12-15T10:00"), calendar=za, tz=TZ)
    assert "rolled from Friday, January 1, 2027 (New Year's Day)" in rolled.explanation


def test_a_sign_off_with_an_offset_is_converted_to_local_time(za, account_types):
    # 12:30 UTC is 14:30 in Johannesburg: after the Friday run.
    completed = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    body = compute_due_date(account_type=account_types["eft"], completed=completed,
                            calendar=za, tz=TZ).as_dict()
    assert body["completed"] == "2026-11-20T14:30:00+02:00"
    assert body["invoice_date"] == "2026-11-27"


def test_invoice_date_instead_of_a_sign_off(za, account_types):
    body = compute_due_date(account_type=account_types["debit_order"],
                            invoice_date=d("2026-12-19"), calendar=za, tz=TZ).as_dict()
    assert (body["completed"], body["period_start"], body["period_end"]) == (None, None, None)
    assert body["account_type"] == "debit_order"
    assert body["due_date"] == "2027-01-04"
    assert body["unadjusted_due_date"] == "2027-01-01"


def test_terms_instead_of_an_account_type(za):
    body = compute_due_date(terms=parse_terms("eom 45"), invoice_date=d("2019-01-15"),
                            calendar=za, tz=TZ).as_dict()
    assert body["account_type"] is None
    assert body["due_date"] == "2019-03-17"
    assert body["due_date_is_business_day"] is False  # a Sunday, and no roll
    assert body["explanation"] == (
        "An invoice dated January 15, 2019 is due on Sunday, March 17, 2019 (eom 45: 45 days "
        "after the end of the invoice month), which is not a business day (a weekend)."
    )


def test_terms_with_a_sign_off_invoice_on_the_sign_off_date(za):
    body = compute_due_date(terms=parse_terms("net 7"), completed=local("2026-11-18T22:00"),
                            calendar=za, tz=TZ).as_dict()
    assert body["invoice_date"] == "2026-11-18"
    assert body["period_start"] is None and body["period_end"] is None
    assert body["due_date"] == "2026-11-25"


@pytest.mark.parametrize(
    ("inputs", "error", "field"),
    [
        ({"invoice_date": d("2026-01-01")}, MissingInput, "account_type"),
        ({"terms": parse_terms("net 1")}, MissingInput, "completed"),
        ({"terms": parse_terms("net 1"), "account_type": "eft", "invoice_date": d("2026-01-01")},
         ConflictingInputs, "terms"),
        ({"terms": parse_terms("net 1"), "invoice_date": d("2026-01-01"),
          "completed": local("2026-01-01T10:00")}, ConflictingInputs, "invoice_date"),
    ],
)
def test_inputs_that_do_not_fit_together(za, account_types, inputs, error, field):
    if inputs.get("account_type"):
        inputs["account_type"] = account_types[inputs["account_type"]]
    with pytest.raises(error) as caught:
        compute_due_date(calendar=za, tz=TZ, **inputs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-18T10:00", "2026-11-18T10:00:00+02:00"),
        ("2026-11-18 10:00:30", "2026-11-18T10:00:30+02:00"),
        ("2026-11-18T10:00Z", "2026-11-18T12:00:00+02:00"),
        ("2026-11-18T10:00:00.5-05:00", "2026-11-18T17:00:00.500000+02:00"),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text, field="completed", tz=TZ).isoformat() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "completed is empty: expected a date and time like 2026-11-18T10:00"),
        ("2026-11-18", "completed must be a date and time like 2026-11-18T10:00 or "
                       "2026-11-18T10:00+02:00 (YYYY-MM-DDTHH:MM, optional seconds and offset)"),
        ("2026-02-30T10:00", "completed is not a real calendar date: 2026-02-30T10:00"),
        ("2026-11-18T24:00", "completed has an impossible time of day: 2026-11-18T24:00"),
        ("2026-11-18T10:00+24:00", "completed has an impossible UTC offset: +24:00"),
        ("9999-12-31T23:59", "completed must be between 1900-01-01 and 2200-12-31"),
        ("0001-01-01T00:00", "completed must be between 1900-01-01 and 2200-12-31"),
        ("2026-11-18T10:00" + "0" * 50, "completed is too long: expected a value like "
                                        "2026-11-18T10:00"),
    ],
)
def test_parse_datetime_refuses(text, message):
    with pytest.raises(InvalidDate) as caught:
        parse_datetime(text, field="completed", tz=TZ)
    assert str(caught.value) == message
