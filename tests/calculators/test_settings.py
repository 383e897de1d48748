"""calculators.settings: BILLING_*, ACCOUNT_TYPES_FILE and CLOSURES_FILE checked when read,
file edits picked up."""

from __future__ import annotations

import os

import pytest

from calculators import DEFAULT_ACCOUNT_TYPES_FILE
from calculators.errors import SettingsError
from calculators.settings import load_settings

CUSTOM = """
[fortnightly]
label = "Fortnightly"
invoicing = "weekly"
weekday = "monday"
time = "09:00"
roll = "following"
terms = "eom 30"
"""


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"BILLING_CURRENCY": "EURO"}, "BILLING_CURRENCY: unknown currency 'EURO'"),
        ({"BILLING_COUNTRY": "XX"}, "BILLING_COUNTRY: no public holiday calendar for country"),
        ({"BILLING_TZ": "Mars/Olympus"}, "BILLING_TZ: unknown time zone 'Mars/Olympus'"),
        ({"BILLING_TZ": "../../etc/passwd"}, "BILLING_TZ: unknown time zone"),
        ({"ACCOUNT_TYPES_FILE": "/no/such/file.toml"}, "ACCOUNT_TYPES_FILE: cannot read"),
        ({"CLOSURES_FILE": "/no/such/closures.toml"}, "CLOSURES_FILE: cannot read"),
    ],
)
def test_unusable_settings_stop_the_start(config, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert f"{caught.value.field}: {caught.value.message}".startswith(message)


def test_defaults():
    settings = load_settings({})
    assert settings.currency.code == "USD"
    assert settings.calendar.name == "ZA"
    assert str(settings.tz) == "Africa/Johannesburg"
    assert settings.account_types_file == DEFAULT_ACCOUNT_TYPES_FILE


def test_a_broken_account_types_file_stops_the_start(tmp_path):
    path = tmp_path / "types.toml"
    path.write_text("[eft]\ninvoicing = 'hourly'\n")
    with pytest.raises(SettingsError, match=r"\[eft\] invoicing must be"):
        load_settings({"ACCOUNT_TYPES_FILE": str(path)})


def test_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_file(tmp_path, caplog):
    path = tmp_path / "types.toml"
    path.write_text(CUSTOM)
    settings = load_settings({"ACCOUNT_TYPES_FILE": str(path)})
    assert list(settings.account_types()) == ["fortnightly"]

    path.write_text(CUSTOM + CUSTOM.replace("[fortnightly]", "[monthly]"))
    os.utime(path, ns=(1, 10**18))
    assert list(settings.account_types()) == ["fortnightly", "monthly"]

    path.write_text("this is not toml")
    os.utime(path, ns=(1, 2 * 10**18))
    assert list(settings.account_types()) == ["fortnightly", "monthly"]
    assert "keeping the previous account types" in caplog.text


SHUTDOWN = '[[closure]]\nname = "Year-end shutdown"\nstart = 2026-12-21\nend = 2027-01-08\n'


def test_a_broken_closures_file_stops_the_start_with_its_line(tmp_path):
    path = tmp_path / "closures.toml"
    path.write_text("# closures\n" + SHUTDOWN.replace("2027-01-08", "2026-12-01"))
    with pytest.raises(SettingsError) as caught:
        load_settings({"CLOSURES_FILE": str(path)})
    assert caught.value.field == "CLOSURES_FILE"
    assert str(caught.value) == (f"{path}, line 2: closure 'Year-end shutdown': "
                                 "end 2026-12-01 is before start 2026-12-21")


def test_closure_edits_are_picked_up(tmp_path, caplog):
    path = tmp_path / "closures.toml"
    path.write_text(SHUTDOWN)
    settings = load_settings({"CLOSURES_FILE": str(path)})
    assert [c.name for c in settings.calendar.closures] == ["Year-end shutdown"]
    path.write_text(SHUTDOWN.replace("Year-end shutdown", "Summer break"))
    os.utime(path, ns=(1, 10**18))
    assert [c.name for c in settings.calendar.closures] == ["Summer break"]
    path.write_text("[[closure]\n")
    os.utime(path, ns=(1, 2 * 10**18))
    assert [c.name for c in settings.calendar.closures] == ["Summer break"]
    assert "keeping the previous closures" in caplog.text
