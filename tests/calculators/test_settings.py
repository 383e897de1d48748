"""Configuration: BILLING_* and ACCOUNT_TYPES_FILE, checked at start-up, file edits picked up."""

from __future__ import annotations

import os

import pytest

from calculators import DEFAULT_ACCOUNT_TYPES_FILE
from gate.api.services import settings_from_config
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
        ({"CLOSURES_FILE": "/no/such/closures.toml"}, "CLOSURES_FILE: cannot read"),
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


SHUTDOWN = '[[closure]]\nname = "Year-end shutdown"\nstart = 2026-12-21\nend = 2027-01-08\n'


def test_a_broken_closures_file_stops_the_start_with_its_line(tmp_path):
    path = tmp_path / "closures.toml"
    path.write_text("# closures\n" + SHUTDOWN.replace("2027-01-08", "2026-12-01"))
    with pytest.raises(ConfigError) as caught:
        settings_from_config({"CLOSURES_FILE": str(path)})
    assert str(caught.value) == (f"CLOSURES_FILE: {path}, line 2: closure 'Year-end shutdown': "
                                 "end 2026-12-01 is before start 2026-12-21")


def test_closure_edits_are_picked_up(tmp_path, caplog):
    path = tmp_path / "closures.toml"
    path.write_text(SHUTDOWN)
    settings = settings_from_config({"CLOSURES_FILE": str(path)})
    assert [c.name for c in settings.calendar.closures] == ["Year-end shutdown"]
    path.write_text(SHUTDOWN.replace("Year-end shutdown", "Summer break"))
    os.utime(path, ns=(1, 10**18))
    assert [c.name for c in settings.calendar.closures] == ["Summer break"]
    path.write_text("[[closure]\n")
    os.utime(path, ns=(1, 2 * 10**18))
    assert [c.name for c in settings.calendar.closures] == ["Summer break"]
    assert "keeping the previous closures" in caplog.text


def test_one_reader_for_the_app_and_the_cli(calc_app, tmp_path):
    """The CLI's settings (from the environment) match the app's for the same variables."""
    from gate import create_app
    from gate.api.services import calculator_settings, settings_from_environ

    path = tmp_path / "closures.toml"
    path.write_text(SHUTDOWN)
    environ = {"BILLING_CURRENCY": "zar", "BILLING_TZ": "Europe/London",
               "BILLING_COUNTRY": "gb", "CLOSURES_FILE": str(path)}
    from_cli = settings_from_environ(environ)
    old = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        config = {key: value for key, value in calc_app.config.items()
                  if key not in {*environ, "ACCOUNT_TYPES_FILE"}}
        app = create_app({**config, "INSTANCE_PATH": str(tmp_path / "instance")})
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    from_app = calculator_settings(app)
    for settings in (from_cli, from_app):
        assert settings.currency.code == "ZAR"
        assert str(settings.tz) == "Europe/London"
        assert settings.calendar.name == "GB"
        assert [c.name for c in settings.calendar.closures] == ["Year-end shutdown"]
