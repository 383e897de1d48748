"""CLI: ``sop-portal prorate`` and ``sop-portal due-date``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
    ],
)
def test_json_is_exactly_the_api_body(api, calc_runner, args, path, params):
    result = calc_runner.invoke(args=[*args, "--json"])
    assert result.exit_code == 0, result.output
    response = api.get(f"{path}?{urlencode(params)}")
    assert response.status_code == 200
    assert result.stdout == response.get_data(as_text=True)


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
         "error: --monthly-fee: monthly_fee is required, for example monthly_fee=2000"),
        (["prorate", "--monthly-fee", "NaN", "--go-live", "2026-01-07"],
         "error: --monthly-fee: monthly_fee must be an amount such as 2000, 2000.50 or "
         "2,000.00 (digits, optional thousands commas, at most 2 decimals)"),
        (["prorate", "--monthly-fee", "2000", "--go-live", "2026-13-01"],
         "error: --go-live: go_live is not a real calendar date: 2026-13-01"),
        (["prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", "--method", "360"],
         "error: --method: method must be actual or thirty"),
        (["due-date", "--account-type", "cash", "--completed", "2026-11-18T10:00"],
         "error: --account-type: unknown account_type 'cash': expected one of eft, "
         "weekly_retainer, debit_order"),
        (["due-date", "--terms", "net 14 days", "--invoice-date", "2026-11-18"],
         "error: --terms: unexpected 'days' after 'net 14': expected 'roll R'"),
        (["due-date", "--account-type", "eft"],
         "error: --completed: give completed or invoice_date"),
        # click's own usage errors, made one line (its wording may change between releases)
        (["prorate", "--monthly-fee"], "'--monthly-fee' requires an argument"),
        (["prorate", "--fee", "2000"], "--fee"),
        (["due-date", "extra"], "unexpected extra argument (extra)"),
    ],
)
def test_bad_input_exits_2_with_one_line(calc_runner, args, message):
    result = calc_runner.invoke(args=args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert message in result.stderr


def test_the_console_script(tmp_path):
    """The installed ``sop-portal`` command, as the issue's "done when" runs it."""
    env = {**os.environ, "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    command = [str(Path(sys.executable).parent / "sop-portal"), "prorate", "--monthly-fee",
               "2000", "--go-live", "2026-01-07", "--json"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["credit"], body["first_invoice_total"]) == ("387.10", "1612.90")
