"""Configuration: BILLING_* and ACCOUNT_TYPES_FILE, checked at start-up, file edits picked up."""

from __future__ import annotations

import os

import pytest

from calculators import DEFAULT_ACCOUNT_TYPES_FILE
from gate.calc_service import settings_from_config
from gate.config import ConfigError

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
    ],
)
def test_unusable_settings_stop_the_start(config, message):
    with pytest.raises(ConfigError) as caught:
        settings_from_config(config)
    assert str(caught.value).startswith(message)


def test_defaults():
    settings = settings_from_config({})
    assert settings.currency.code == "USD"
    assert settings.calendar.name == "ZA"
    assert str(settings.tz) == "Africa/Johannesburg"
    assert settings.account_types_file == DEFAULT_ACCOUNT_TYPES_FILE


def test_a_broken_account_types_file_stops_the_start(tmp_path):
    path = tmp_path / "types.toml"
    path.write_text("[eft]\ninvoicing = 'hourly'\n")
    with pytest.raises(ConfigError, match=r"\[eft\] invoicing must be"):
        settings_from_config({"ACCOUNT_TYPES_FILE": str(path)})


def test_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_file(tmp_path, caplog):
    path = tmp_path / "types.toml"
    path.write_text(CUSTOM)
    settings = settings_from_config({"ACCOUNT_TYPES_FILE": str(path)})
    assert list(settings.account_types()) == ["fortnightly"]

    path.write_text(CUSTOM + CUSTOM.replace("[fortnightly]", "[monthly]"))
    os.utime(path, ns=(1, 10**18))
    assert list(settings.account_types()) == ["fortnightly", "monthly"]

    path.write_text("this is not toml")
    os.utime(path, ns=(1, 2 * 10**18))
    assert list(settings.account_types()) == ["fortnightly", "monthly"]
    assert "keeping the previous account types" in caplog.text


def test_the_api_uses_the_configured_file(calc_app, tmp_path):
    from gate import create_app

    path = tmp_path / "types.toml"
    path.write_text(CUSTOM)
    app = create_app({**calc_app.config, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "ACCOUNT_TYPES_FILE": str(path), "BILLING_CURRENCY": "ZAR"})
    client = app.test_client()
    body = client.get("/api/v1/account-types").get_json()
    assert [kind["name"] for kind in body["account_types"]] == ["fortnightly"]
    due = client.get("/api/v1/due-date?account_type=fortnightly&completed=2026-04-05T10:00")
    # Monday 2026-04-06 is Family Day: the run rolls to Tuesday; eom 30 from April 7.
    assert due.get_json()["period_end"] == "2026-04-07T09:00:00+02:00"
    assert due.get_json()["due_date"] == "2026-05-30"
    prorate = client.get("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07")
    assert prorate.get_json()["currency"] == "ZAR"
    assert "R387.10" in prorate.get_json()["explanation"]
    missing = client.get("/api/v1/due-date?account_type=eft&completed=2026-04-05T10:00")
    assert missing.status_code == 400
