"""Company closures (CLOSURES_FILE): parsing, errors with file and line, and their effect."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from calculators import BusinessCalendar, Roll, SettingsError, parse_closures, parse_terms
from calculators.terms import due_date
from tests.calculators.conftest import d

SHUTDOWN = """\
# Our year-end shutdown
[[closure]]
name = "Year-end shutdown"
start = 2026-12-21
end = 2027-01-08      # inclusive
"""


@pytest.fixture(scope="module")
def closed(za: BusinessCalendar) -> BusinessCalendar:
    return za.with_closures(parse_closures(SHUTDOWN))


def test_parse(closed):
    (closure,) = closed.closures
    assert (closure.name, closure.start, closure.end, closure.days) == (
        "Year-end shutdown", date(2026, 12, 21), date(2027, 1, 8), 19)


@pytest.mark.parametrize(
    ("day", "business", "name"),
    [
        ("2026-12-18", True, None),
        ("2026-12-21", False, "Year-end shutdown"),
        ("2026-12-25", False, "Christmas Day"),  # the public holiday keeps its own name
        ("2026-12-27", False, None),  # a Sunday is not a business day anyway
        ("2027-01-08", False, "Year-end shutdown"),
        ("2027-01-11", True, None),
    ],
)
def test_closed_days(closed, day, business, name):
    assert closed.is_business_day(d(day)) is business
    assert closed.holiday(d(day)) == name


@pytest.mark.parametrize(
    ("terms", "invoice", "unadjusted", "due"),
    [
        ("net 14 roll following", "2026-12-10", "2026-12-24", "2027-01-11"),
        ("net 14 roll preceding", "2026-12-10", "2026-12-24", "2026-12-18"),
        ("net 14 roll modified_following", "2026-12-10", "2026-12-24", "2026-12-18"),
        ("net 14 roll none", "2026-12-10", "2026-12-24", "2026-12-24"),
        # preceding never goes before the invoice date: it rolls forward instead
        ("net 1 roll preceding", "2026-12-21", "2026-12-22", "2027-01-11"),
        ("day 1 month +1 roll following", "2026-12-19", "2027-01-01", "2027-01-11"),
    ],
)
def test_closures_move_due_dates(closed, terms, invoice, unadjusted, due):
    result = due_date(parse_terms(terms).rule, d(invoice), closed)
    assert (result.unadjusted, result.due) == (d(unadjusted), d(due))


def test_the_weekly_run_before_a_shutdown(closed, account_types):
    from calculators import compute_due_date
    from tests.calculators.conftest import TZ, local

    result = compute_due_date(account_type=account_types["eft"],
                              completed=local("2026-12-22T10:00"), calendar=closed, tz=TZ)
    # The runs of Jan 1 and Jan 8 fall in the shutdown and move back to Friday Dec 18.
    assert result.previous_event is not None and result.event is not None
    assert result.previous_event.at == local("2026-12-18T14:00")
    assert result.event.at == local("2027-01-15T14:00")


def test_closures_are_named_once_in_explanations(closed):
    from calculators import compute_due_date
    from tests.calculators.conftest import TZ

    result = compute_due_date(terms=parse_terms("net 14 roll following"),
                              invoice_date=d("2026-12-10"), calendar=closed, tz=TZ)
    assert ("rolled from Thursday, December 24, 2026 (Year-end shutdown, December 24, 2026 to "
            "January 8, 2027, Christmas Day, December 25, 2026, Day of Goodwill, December 26, "
            "2026 and New Year's Day, January 1, 2027)") in result.explanation
    names = {holiday["name"] for holiday in result.as_dict()["holidays"]}
    assert names == {"Year-end shutdown", "Christmas Day", "Day of Goodwill", "New Year's Day"}


def test_an_empty_file_has_no_closures():
    assert parse_closures("# nothing planned yet\n") == ()


def test_closures_are_sorted():
    text = SHUTDOWN + textwrap.dedent("""\
        [[closure]]
        name = "Stocktake"
        start = 2026-06-29
        end = 2026-06-30
        """)
    assert [closure.name for closure in parse_closures(text)] == ["Stocktake",
                                                                 "Year-end shutdown"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[closure]]\nname = \"Shutdown\"\nstart = 2026-12-21\nend = \n",
         "closures.toml, line 4: not valid TOML: Invalid value (column 7)"),
        ("[[closure]\nname = \"x\"\n", "closures.toml, line 1: not valid TOML:"),
        (SHUTDOWN.replace("end = 2027-01-08", "end = 2026-12-01"),
         "closures.toml, line 2: closure 'Year-end shutdown': end 2026-12-01 is before start "
         "2026-12-21"),
        (SHUTDOWN.replace("start = 2026-12-21", 'start = "2026-12-21"'),
         "closures.toml, line 2: closure 'Year-end shutdown': start must be a date such as "
         "2026-12-21 (without quotes)"),
        (SHUTDOWN.replace("start = 2026-12-21", "start = 2026-12-21T08:00:00"),
         "closures.toml, line 2: closure 'Year-end shutdown': start must be a date"),
        (SHUTDOWN.replace("end = 2027-01-08", "end = 2027-03-08"),
         "closures.toml, line 2: closure 'Year-end shutdown' is 78 days long: at most 42"),
        (SHUTDOWN.replace('name = "Year-end shutdown"', 'name = ""'),
         "closures.toml, line 2: name must be text of 1 to 80 characters"),
        (SHUTDOWN + "colour = \"red\"\n",
         "closures.toml, line 2: unknown setting 'colour' (expected name, start, end)"),
        ("[holiday]\nname = \"x\"\n", "closures.toml: unknown key 'holiday': expected only "
                                      "[[closure]] tables with name, start and end"),
        ("[closure]\nname = \"x\"\n", "closures.toml: closure must be written [[closure]]"),
        (SHUTDOWN + SHUTDOWN.replace("Year-end shutdown", "Holidays").replace(
            "2026-12-21", "2027-01-04").replace("2027-01-08", "2027-01-15").replace(
            "# Our year-end shutdown\n", ""),
         "closures.toml, line 6: closure 'Holidays' overlaps closure 'Year-end shutdown': "
         "join them into one"),
        (SHUTDOWN.replace("2026-12-21", "1899-12-21"),
         "closures.toml, line 2: closure 'Year-end shutdown': start must be between 1900-01-01 "
         "and 2200-12-31"),
    ],
)
def test_a_broken_file_names_the_file_and_line(text, message):
    with pytest.raises(SettingsError) as caught:
        parse_closures(text, source="closures.toml")
    assert caught.value.field == "CLOSURES_FILE"
    assert str(caught.value).startswith(message)


def test_rolls_are_unchanged_without_closures(za):
    assert za.with_closures(()).roll(d("2026-04-03"), Roll.FOLLOWING).date == d("2026-04-07")
