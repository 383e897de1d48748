"""gate.api.services: the app's calculator settings, read by the engine's one reader."""

from __future__ import annotations

import os

import pytest

from gate.api.services import (
    account_type_names,
    api_json,
    calculator_settings,
    settings_from_config,
    settings_from_environ,
)
from gate.config import ConfigError
from tests.calculators.test_settings import CUSTOM

SHUTDOWN = '[[closure]]\nname = "Year-end shutdown"\nstart = 2026-12-21\nend = 2027-01-08\n'


@pytest.mark.parametrize(
    ("config", "message"),
    [  # every setting's checks are tests/calculators/test_settings.py's; here the conversion
        ({"ACCOUNT_TYPES_FILE": "/no/such/file.toml"}, "ACCOUNT_TYPES_FILE: cannot read"),
    ],
)
def test_a_settings_problem_is_a_config_error_naming_the_setting(config, message):
    with pytest.raises(ConfigError) as caught:
        settings_from_config(config)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("environ", "message"),
    [({"BILLING_TZ": "Mars/Olympus"}, "BILLING_TZ: unknown time zone"),
     ({"BILLING_CURRENCY": "zar"}, None)],
)
def test_settings_from_the_environment(environ, message):
    if message is None:
        assert settings_from_environ(environ).currency.code == "ZAR"
        return
    with pytest.raises(ConfigError, match=message):
        settings_from_environ(environ)


def test_api_json_is_compact_sorted_ascii():
    assert api_json({"b": 1, "a": "é"}) == '{"a":"\\u00e9","b":1}\n'


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


def test_one_reader_for_the_app_and_the_cli(calc_app, tmp_path):
    """The CLI's settings (from the environment) match the app's for the same variables."""
    from gate import create_app
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


@pytest.mark.parametrize(("content", "expected"), [
    (None, {"eft", "weekly_retainer", "debit_order"}),
    (CUSTOM, {"fortnightly"}),
    ("this is not toml", ConfigError),
])
def test_account_type_names_come_from_the_calculators_reader(tmp_path, content, expected):
    """Staff pages offer exactly the types the calculators know; a broken file is a setting
    error naming ACCOUNT_TYPES_FILE, never a silent fallback."""
    config = {"ACCOUNT_TYPES_FILE": ""}
    if content is not None:
        path = tmp_path / "types.toml"
        path.write_text(content, encoding="utf-8")
        config["ACCOUNT_TYPES_FILE"] = str(path)
    if expected is ConfigError:
        with pytest.raises(ConfigError, match="ACCOUNT_TYPES_FILE"):
            account_type_names(config)
    else:
        assert account_type_names(config) == expected
