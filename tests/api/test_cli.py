"""CLI: ``sop-portal prorate``, ``prorate-change`` and ``due-date``, with and without the app."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from gate.console import main as console

ROOT = Path(__file__).resolve().parents[2]
PORTAL_SETTINGS = ("BILLING_CURRENCY", "BILLING_TZ", "BILLING_COUNTRY", "ACCOUNT_TYPES_FILE",
                   "CLOSURES_FILE")


def plain(*args: str, **env: str):
    """Run the console script's plain group (no app) in this process."""
    settings = {name: None for name in PORTAL_SETTINGS} | env
    return CliRunner().invoke(console, list(args), env=settings)


@pytest.mark.parametrize(
    ("args", "path", "params"),
    [
        (["prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07"],
         "/api/v1/prorate/go-live", {"monthly_fee": "2000", "go_live": "2026-01-07"}),
        (["prorate", "--monthly-fee", "1,999.95", "--go-live", "2027-02-15", "--method",
          "thirty"], "/api/v1/prorate/go-live",
         {"monthly_fee": "1,999.95", "go_live": "2027-02-15", "method": "thirty"}),
        (["due-date", "--account-type", "eft", "--completed", "2026-04-01T10:00"],
         "/api/v1/due-date", {"account_type": "eft", "completed": "2026-04-01T10:00"}),
        (["due-date", "--terms", "eom 45", "--invoice-date", "2019-01-15"],
         "/api/v1/due-date", {"terms": "eom 45", "invoice_date": "2019-01-15"}),
        (["due-date", "--account-type", "debit_order", "--completed",
          "2026-12-15T10:00+02:00"], "/api/v1/due-date",
         {"account_type": "debit_order", "completed": "2026-12-15T10:00+02:00"}),
        (["due-date", "--terms", "50% net 0; 50% NET30", "--invoice-date", "2026-03-02",
          "--amount", "1,000.00"], "/api/v1/due-date",
         {"terms": "50% net 0; 50% NET30", "invoice_date": "2026-03-02", "amount": "1,000.00"}),
        (["due-date", "--terms", "2/10 net 30 paydays 5,20", "--invoice-date", "2026-03-02",
          "--amount", "999.99"], "/api/v1/due-date",
         {"terms": "2/10 net 30 paydays 5,20", "invoice_date": "2026-03-02", "amount": "999.99"}),
        (["prorate-change", "--old-fee", "2000", "--new-fee", "3000", "--change-date",
          "2026-03-15"], "/api/v1/prorate/change",
         {"old_fee": "2000", "new_fee": "3000", "change_date": "2026-03-15"}),
        (["prorate-change", "--old-fee", "2000", "--new-fee", "0", "--change-date",
          "2026-03-31", "--method", "thirty"], "/api/v1/prorate/change",
         {"old_fee": "2000", "new_fee": "0", "change_date": "2026-03-31", "method": "thirty"}),
    ],
)
def test_json_is_exactly_the_api_body(api, calc_runner, args, path, params):
    response = api.get(f"{path}?{urlencode(params)}")
    assert response.status_code == 200
    in_app = calc_runner.invoke(args=[*args, "--json"])
    assert in_app.exit_code == 0, in_app.output
    assert in_app.stdout == response.get_data(as_text=True)
    without_app = plain(*args, "--json")
    assert without_app.exit_code == 0, without_app.output
    assert without_app.stdout == response.get_data(as_text=True)


def test_readable_fee_change():
    result = plain("prorate-change", "--old-fee", "2000", "--new-fee", "0", "--change-date",
                   "2026-03-15")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Fee change mid-month (cancellation, actual days)"
    assert "  Credit (unused)      $1,096.77" in lines
    assert "  Net                  $1,096.77 (credit note)" in lines
    assert lines[-1].startswith("Cancelling on March 15, 2026 leaves 17 of March's 31 days")


def test_readable_instalments():
    result = plain("due-date", "--terms", "50% net 0; 50% net 30", "--invoice-date",
                   "2026-03-02", "--amount", "5000")
    assert result.exit_code == 0, result.output
    assert "Instalment 1  50%, $2,500.00, due Monday, March 2, 2026" in result.stdout
    assert "Instalment 2  50%, $2,500.00, due Wednesday, April 1, 2026" in result.stdout


def test_readable_proration(calc_runner):
    result = calc_runner.invoke(args=["prorate", "--monthly-fee", "2000", "--go-live",
                                      "2026-01-07"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Go-live proration (actual days)"
    assert "  Credit               $387.10" in lines
    assert "  First invoice        February 1, 2026, total $1,612.90" in lines
    assert "  First full month     March 2026" in lines
    assert lines[-1].startswith("Going live on January 7, 2026 leaves 6 of January's 31 days")


def test_readable_due_date_names_the_holiday(calc_runner):
    result = calc_runner.invoke(args=["due-date", "--account-type", "eft", "--completed",
                                      "2026-04-01T10:00"])
    assert result.exit_code == 0
    assert "Holiday" in result.stdout
    assert "Friday, April 3, 2026: Good Friday" in result.stdout
    assert "Due date      Thursday, April 16, 2026" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prorate", "--go-live", "2026-01-07"],
         "error: --monthly-fee is required, for example --monthly-fee=2000"),
        (["prorate", "--monthly-fee", "NaN", "--go-live", "2026-01-07"],
         "error: --monthly-fee must be an amount such as 2000, 2000.50 or "
         "2,000.00 (digits, optional thousands commas, at most 2 decimals)"),
        (["prorate", "--monthly-fee", "2000", "--go-live", "2026-13-01"],
         "error: --go-live is not a real calendar date: 2026-13-01"),
        (["prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", "--method", "360"],
         "error: --method must be actual or thirty"),
        (["due-date", "--account-type", "cash", "--completed", "2026-11-18T10:00"],
         "error: unknown --account-type 'cash': expected one of eft, "
         "weekly_retainer, debit_order"),
        (["due-date", "--terms", "net 14 days", "--invoice-date", "2026-11-18"],
         "error: --terms: unexpected 'days' after 'net 14': expected 'paydays A,B' or "
         "'roll R'"),
        (["due-date", "--terms", "50% net 0; 40% net 30", "--invoice-date", "2026-11-18"],
         "error: --terms: the instalment percentages add up to 90, not 100"),
        (["due-date", "--terms", "net 30", "--invoice-date", "2026-11-18", "--amount", "x"],
         "error: --amount must be an amount such as 2000"),
        (["prorate-change", "--old-fee", "2000", "--new-fee", "-5", "--change-date",
          "2026-03-15"], "error: --new-fee must not be negative"),
        (["prorate-change", "--old-fee", "2000", "--new-fee", "0"],
         "error: --change-date is required, for example --change-date=2026-03-15"),
        (["due-date", "--account-type", "eft"],
         "error: give --completed or --invoice-date"),
        (["due-date", "--account-type", "eft", "--completed", "1800-01-01T10:00"],
         "error: --completed must be between 1912-01-01 and 2088-12-31 (the years the ZA "
         "holiday calendar covers)"),
        # click's own usage errors, made one line (its wording may change between releases)
        (["prorate", "--monthly-fee"], "'--monthly-fee' requires an argument"),
        (["prorate", "--fee", "2000"], "--fee"),
        (["due-date", "extra"], "unexpected extra argument (extra)"),
    ],
)
def test_bad_input_exits_2_with_one_line(calc_runner, args, message):
    for result in (calc_runner.invoke(args=args), plain(*args)):
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("error: ")
        assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
        assert message in result.stderr
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", result.stderr.replace("weekly_retainer", "")
                             .replace("debit_order", ""))  # options, never the API's names


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BILLING_CURRENCY": "EURO"}, "error: BILLING_CURRENCY: unknown currency 'EURO'"),
        ({"BILLING_TZ": "Mars/Olympus"}, "error: BILLING_TZ: unknown time zone"),
        ({"CLOSURES_FILE": "{broken}"}, "error: CLOSURES_FILE: {broken}, line 3: closure "
                                        "'Shutdown': end 2026-12-01 is before start 2026-12-21"),
        ({"ACCOUNT_TYPES_FILE": "/no/such/types.toml"}, "error: ACCOUNT_TYPES_FILE: cannot read"),
    ],
)
def test_bad_settings_exit_2_without_the_app(tmp_path, env, message):
    broken = tmp_path / "closures.toml"
    broken.write_text('# closures\n\n[[closure]]\nname = "Shutdown"\nstart = 2026-12-21\n'
                      "end = 2026-12-01\n")
    env = {name: value.replace("{broken}", str(broken)) for name, value in env.items()}
    result = plain("prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", **env)
    assert result.exit_code == 2
    assert result.stderr.startswith(message.replace("{broken}", str(broken)))
    assert result.stderr.count("\n") == 1


def test_settings_come_from_the_environment_like_the_app(tmp_path):
    closures = tmp_path / "closures.toml"
    closures.write_text('[[closure]]\nname = "Year-end shutdown"\nstart = 2026-12-21\n'
                        "end = 2027-01-08\n")
    result = plain("due-date", "--terms", "net 14 roll following", "--invoice-date",
                   "2026-12-10", "--json", BILLING_CURRENCY="ZAR", CLOSURES_FILE=str(closures))
    body = json.loads(result.stdout)
    assert (body["currency"], body["due_date"]) == ("ZAR", "2027-01-11")
    assert {"date": "2027-01-04", "name": "Year-end shutdown"} in body["holidays"]


def test_calculator_commands_never_import_the_web_application():
    code = (
        "import sys\n"
        "from gate.console import main\n"
        "for args in (['prorate', '--monthly-fee', '2000', '--go-live', '2026-01-07'],\n"
        "             ['prorate-change', '--old-fee', '1', '--new-fee', '0', '--change-date',\n"
        "              '2026-03-15'],\n"
        "             ['due-date', '--account-type', 'eft', '--completed', '2026-11-18T10:00']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'werkzeug',\n"
        "                'sqlalchemy', 'jinja2', 'flask_login', 'mkdocs', 'markdown'})\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr


def test_other_commands_still_reach_the_app(tmp_path):
    result = CliRunner().invoke(console, ["routes"], env={
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.exit_code == 0, result.output
    assert "/api/v1/prorate/change" in result.stdout
    listed = CliRunner().invoke(console, ["--help"], env={
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    for name in ("prorate", "prorate-change", "due-date", "serve", "users"):
        assert f"  {name} " in listed.stdout


def test_the_console_script(tmp_path):
    """The installed ``sop-portal`` command, as the issue's "done when" runs it."""
    env = {**os.environ, "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    script = str(Path(sys.executable).parent / "sop-portal")
    command = [script, "prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", "--json"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["credit"], body["first_invoice_total"]) == ("387.10", "1612.90")
    command = [script, "prorate-change", "--old-fee", "2000", "--new-fee", "0",
               "--change-date", "2026-03-01", "--json"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False, timeout=60)
    assert json.loads(result.stdout)["net"] == "-2000.00"


def test_a_bad_country_is_reported_by_the_commands_that_use_the_calendar():
    """Proration needs no holiday calendar, so the CLI builds it only for due dates."""
    bad = {"BILLING_COUNTRY": "XX"}
    assert plain("prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", **bad
                 ).exit_code == 0
    result = plain("due-date", "--terms", "net 3", "--invoice-date", "2026-01-01", **bad)
    assert result.exit_code == 2
    assert result.stderr == "error: BILLING_COUNTRY: no public holiday calendar for country 'XX'\n"
