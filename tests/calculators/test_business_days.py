"""The business calendar: weekends, South African public holidays and the rolls."""

from __future__ import annotations

import pytest

from calculators import BusinessCalendar, Holiday, Roll, SettingsError
from calculators.business_days import parse_roll
from calculators.errors import InvalidChoice, InvalidDate
from tests.calculators.conftest import d


@pytest.mark.parametrize(
    ("day", "business", "holiday"),
    [
        ("2026-04-03", False, "Good Friday"),
        ("2026-04-06", False, "Family Day"),
        ("2026-11-04", False, "Local Government Elections"),
        ("2026-08-10", False, "National Women's Day (observed)"),
        ("2026-12-16", False, "Day of Reconciliation"),
        ("2027-01-01", False, "New Year's Day"),
        ("2026-04-04", False, None),  # a Saturday
        ("2026-04-05", False, None),  # a Sunday
        ("2026-04-02", True, None),
        ("2026-11-20", True, None),
    ],
)
def test_business_days(za, day, business, holiday):
    assert za.is_business_day(d(day)) is business
    assert za.holiday(d(day)) == holiday


@pytest.mark.parametrize(
    ("day", "roll", "not_before", "rolled", "holidays"),
    [
        # A business day never moves.
        ("2026-04-02", Roll.FOLLOWING, None, "2026-04-02", []),
        ("2026-04-02", Roll.PRECEDING, None, "2026-04-02", []),
        # Good Friday 2026: the Monday after is Family Day too.
        ("2026-04-03", Roll.FOLLOWING, None, "2026-04-07", ["2026-04-03", "2026-04-06"]),
        ("2026-04-03", Roll.PRECEDING, None, "2026-04-02", ["2026-04-03"]),
        ("2026-04-03", Roll.MODIFIED_FOLLOWING, None, "2026-04-07",
         ["2026-04-03", "2026-04-06"]),
        ("2026-04-03", Roll.NONE, None, "2026-04-03", ["2026-04-03"]),
        # Saturday 2026-10-31: following crosses into November, so modified goes back.
        ("2026-10-31", Roll.FOLLOWING, None, "2026-11-02", []),
        ("2026-10-31", Roll.MODIFIED_FOLLOWING, None, "2026-10-30", []),
        ("2026-10-31", Roll.NONE, None, "2026-10-31", []),
        # A roll never goes before the invoice date: it rolls forward instead.
        ("2026-04-04", Roll.PRECEDING, "2026-04-04", "2026-04-07",
         ["2026-04-06"]),
        ("2026-10-31", Roll.MODIFIED_FOLLOWING, "2026-10-31", "2026-11-02", []),
        # December to January over the year-end holidays.
        ("2026-12-25", Roll.FOLLOWING, None, "2026-12-28", ["2026-12-25", "2026-12-26"]),
        ("2027-01-01", Roll.FOLLOWING, None, "2027-01-04", ["2027-01-01"]),
        ("2027-01-01", Roll.PRECEDING, None, "2026-12-31", ["2027-01-01"]),
    ],
)
def test_rolls(za, day, roll, not_before, rolled, holidays):
    moved = za.roll(d(day), roll, not_before=d(not_before) if not_before else None)
    assert moved.date == d(rolled)
    assert [h.date.isoformat() for h in moved.holidays] == holidays
    assert all(isinstance(h, Holiday) and h.name for h in moved.holidays)


def test_a_calendar_of_ones_own():
    holidays = {d("2030-05-06"): "Test Day"}
    calendar = BusinessCalendar(lambda year: holidays if year == 2030 else {}, name="TEST",
                                first_year=2000, last_year=2050)
    assert not calendar.is_business_day(d("2030-05-06"))
    assert calendar.following(d("2030-05-06")) == d("2030-05-07")
    assert calendar.holidays_between(d("2030-05-01"), d("2030-05-31")) == (
        Holiday(d("2030-05-06"), "Test Day"),
    )


def test_a_calendar_without_business_days_is_a_settings_error():
    calendar = BusinessCalendar(lambda year: {}, name="NONE", first_year=2000, last_year=2050)
    calendar.is_business_day = lambda day: False  # type: ignore[method-assign]
    with pytest.raises(SettingsError):
        calendar.following(d("2030-01-01"))


@pytest.mark.parametrize("country", ["XX", "", "Narnia"])
def test_unknown_country(country):
    with pytest.raises(SettingsError) as caught:
        BusinessCalendar.for_country(country)
    assert caught.value.field == "BILLING_COUNTRY"


def test_covered_years(za):
    za.check_covered(d("2088-06-01"), field="completed", text="x", years_after=12)
    with pytest.raises(InvalidDate) as caught:
        za.check_covered(d("2089-01-01"), field="completed", text="x", years_after=12)
    assert str(caught.value) == (
        "completed must be between 1911-01-01 and 2088-12-31 (the years the ZA holiday "
        "calendar covers)"
    )


@pytest.mark.parametrize(
    ("text", "roll"),
    [("following", Roll.FOLLOWING), ("Modified_Following", Roll.MODIFIED_FOLLOWING),
     ("none", Roll.NONE)],
)
def test_parse_roll(text, roll):
    assert parse_roll(text, field="roll") is roll


def test_parse_roll_refuses():
    with pytest.raises(InvalidChoice, match="roll must be one of following, preceding"):
        parse_roll("forward", field="roll")


def test_one_country_is_loaded_and_the_holidays_package_still_works():
    """for_country loads one country's module (the package's index imports them all)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, datetime\n"
        "from calculators import BusinessCalendar\n"
        "za = BusinessCalendar.for_country('ZA')\n"
        "assert za.holiday(datetime.date(2026, 4, 27)) == 'Freedom Day'\n"
        "loaded = [m for m in sys.modules if m.startswith('holidays.countries.')]\n"
        "assert loaded == ['holidays.countries.south_africa'], loaded\n"
        "import holidays\n"
        "us = holidays.country_holidays('US', years=2026)\n"
        "assert us[datetime.date(2026, 7, 4)] == 'Independence Day'\n"
        "assert holidays.country_holidays('ZA', years=2026)[datetime.date(2026, 4, 6)] == "
        "'Family Day'\n"
        "assert BusinessCalendar.for_country('zaf').holiday(datetime.date(2026, 4, 3)) == "
        "'Good Friday'\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
