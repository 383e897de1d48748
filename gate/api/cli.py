"""CLI commands ``sop-portal prorate``, ``prorate-change`` and ``due-date``.

They go through the same functions as the API; with ``--json`` they print exactly the body
the API answers for the same input. Bad input exits 2 with one line on standard error.
Nothing here imports Flask: run from the console script they answer without the web
application, with the settings read from the environment by the app's own reader.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from calculators.billing import DueDateResult
from calculators.dates import human_date, human_datetime, human_month
from calculators.errors import CalculatorError, SettingsError
from calculators.money import display_amount
from calculators.proration import FeeChange, Proration
from calculators.requests import (
    DUE_DATE_FIELDS,
    PRORATE_CHANGE_FIELDS,
    PRORATE_FIELDS,
    run_due_date,
    run_prorate,
    run_prorate_change,
)
from calculators.settings import CalculatorSettings
from calculators.terms import percent_text
from gate.api.services import api_json, calculator_settings, settings_from_environ
from gate.cli_errors import OneLineUsage, fail
from gate.config import ConfigError

R = TypeVar("R")
_CHOICE = re.compile(r"\bgive ([a-z_]+) or ([a-z_]+)")
FIELD_NAMES = frozenset({*PRORATE_FIELDS, *PRORATE_CHANGE_FIELDS, *DUE_DATE_FIELDS})



def current_settings() -> CalculatorSettings:
    """The running app's settings when a command runs inside the app, else the environment's
    (read by the same reader the app uses)."""
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_app_context():
        return calculator_settings(flask.current_app)
    try:
        return settings_from_environ(calendar=False)  # built when a command needs it
    except ConfigError as exc:
        fail(str(exc))


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def cli_message(field: str, message: str) -> str:
    """The calculators' message in the command's words: options, the field named once.

    Names with an underscore (never plain words) become options wherever they appear
    (``monthly_fee must be ...`` -> ``--monthly-fee must be ...``); a plain name only at the
    start (``amount must be ...``). A message that does not name its field gets it in front.
    """
    names = sorted({f for f in (field, *FIELD_NAMES) if "_" in f}, key=len, reverse=True)
    text = _CHOICE.sub(lambda m: f"give {_option(m.group(1))} or {_option(m.group(2))}",
                       message)
    if names:
        pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")
        text = pattern.sub(lambda m: _option(m.group(1)), text)
    option = _option(field)
    if "_" not in field and text.startswith(field + " "):
        text = option + text[len(field):]
    return text if option in text else f"{option}: {text}"


def _run(compute: Callable[[Mapping[str, str | None], CalculatorSettings], R],
         params: Mapping[str, str | None]) -> R:
    settings = current_settings()
    try:
        return compute(params, settings)
    except SettingsError as exc:  # a setting first used now (BILLING_COUNTRY)
        fail(f"{exc.field}: {exc.message}")
    except CalculatorError as exc:
        fail(cli_message(exc.field, exc.message))


def _print_json(body: dict[str, Any]) -> None:
    click.echo(api_json(body), nl=False)


def _print_rows(title: str, rows: list[tuple[str, str]], explanation: str) -> None:
    width = max(len(label) for label, _ in rows)
    click.echo(title)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")
    click.echo("")
    click.echo(explanation)


def _proration_text(result: Proration) -> None:
    money = result.currency
    method = "actual days" if result.method.value == "actual" else "30-day months"
    _print_rows(f"Go-live proration ({method})", [
        ("Monthly fee", f"{display_amount(result.monthly_fee, money)} ({money.code})"),
        ("Go-live", human_date(result.go_live, weekday=True)),
        ("Days before go-live", f"{result.days_before_go_live} of {result.days_in_month}"),
        ("Credit", display_amount(result.credit, money)),
        ("First invoice", f"{human_date(result.first_invoice_date)}, total "
                          f"{display_amount(result.first_invoice_total, money)}"),
        ("First full month", human_month(*result.first_full_month)),
    ], result.explanation)


def _fee_change_text(result: FeeChange) -> None:
    money = result.currency
    method = "actual days" if result.method.value == "actual" else "30-day months"
    net = result.net
    net_words = "credit note" if net < 0 else "to charge" if net > 0 else "nothing to bill"
    _print_rows(f"Fee change mid-month ({result.change.value}, {method})", [
        ("Old monthly fee", f"{display_amount(result.old_fee, money)} ({money.code})"),
        ("New monthly fee", display_amount(result.new_fee, money)),
        ("Change date", human_date(result.change_date, weekday=True)),
        ("Days at the new fee", f"{result.days_remaining} of {result.days_in_month}"),
        ("Credit (unused)", display_amount(result.credit_unused, money)),
        ("Charge (remaining)", display_amount(result.charge_remaining, money)),
        ("Net", f"{display_amount(abs(net), money)} ({net_words})"),
        ("Next full month", human_month(*result.next_full_month)),
    ], result.explanation)


def _due_rows(result: DueDateResult) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    money = result.currency
    if result.amount is not None and money is not None:
        rows.append(("Amount", f"{display_amount(result.amount, money)} ({money.code})"))
    for number, part in enumerate(result.schedule.instalments if result.terms.is_split else (),
                                  start=1):
        share = f"{percent_text(part.percent)}%"
        if part.amount is not None and money is not None:
            share += f", {display_amount(part.amount, money)}"
        rows.append((f"Instalment {number}",
                     f"{share}, due {human_date(part.due.due, weekday=True)}"))
    offer = result.schedule.discount
    if offer is not None:
        off = f"{percent_text(offer.percent)}%"
        if offer.amount is not None and money is not None:
            off += f" ({display_amount(offer.amount, money)})"
        rows.append(("Discount", f"{off} when paid by {human_date(offer.until, weekday=True)}"))
    return rows


def _due_date_text(result: DueDateResult) -> None:
    rows: list[tuple[str, str]] = []
    if result.account_type is not None:
        rows.append(("Account type", f"{result.account_type.label} ({result.account_type.name})"))
    rows.append(("Terms", f"{result.terms.expression}: {result.terms.describe()}"))
    if result.completed is not None:
        rows.append(("Signed off", human_datetime(result.completed)))
    if result.event is not None and result.previous_event is not None:
        rows.append(("Billed in", human_datetime(result.event.at)))
        rows.append(("Period", f"after {human_datetime(result.previous_event.at)} up to "
                               f"{human_datetime(result.event.at)}"))
    due = result.due
    rows.append(("Invoice date", human_date(due.invoice_date, weekday=True)))
    rows.extend(_due_rows(result))
    if due.unadjusted != due.due:
        rows.append(("Terms give", human_date(due.unadjusted, weekday=True)))
    business = "" if due.is_business_day else " (not a business day)"
    rows.append(("Due date", human_date(due.due, weekday=True) + business))
    for holiday in result.holidays:
        rows.append(("Holiday", f"{human_date(holiday.date, weekday=True)}: {holiday.name}"))
    _print_rows("Invoice and due date", rows, result.explanation)


def _json_option(command: Callable[..., None]) -> Callable[..., None]:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the API's JSON answer.")(command)


def _method_option(command: Callable[..., None]) -> Callable[..., None]:
    return click.option("--method", metavar="actual|thirty",
                        help="Day count (default: actual).")(command)


@click.command("prorate", cls=OneLineUsage)
@click.option("--monthly-fee", metavar="AMOUNT", help="Monthly fee, e.g. 2000 or 2,000.00.")
@click.option("--go-live", metavar="DATE", help="Go-live date, YYYY-MM-DD.")
@_method_option
@_json_option
def prorate_command(monthly_fee: str | None, go_live: str | None, method: str | None,
                    as_json: bool) -> None:
    """Go-live proration: the credit on the first recurring invoice."""
    result = _run(run_prorate, {"monthly_fee": monthly_fee, "go_live": go_live,
                                "method": method})
    if as_json:
        _print_json(result.as_dict())
    else:
        _proration_text(result)


@click.command("prorate-change", cls=OneLineUsage)
@click.option("--old-fee", metavar="AMOUNT", help="The monthly fee until the change.")
@click.option("--new-fee", metavar="AMOUNT", help="The monthly fee from the change (0 cancels).")
@click.option("--change-date", metavar="DATE", help="The first day at the new fee, YYYY-MM-DD.")
@_method_option
@_json_option
def prorate_change_command(old_fee: str | None, new_fee: str | None, change_date: str | None,
                           method: str | None, as_json: bool) -> None:
    """A fee change or cancellation mid-month: the credit, the charge and the net."""
    result = _run(run_prorate_change, {"old_fee": old_fee, "new_fee": new_fee,
                                       "change_date": change_date, "method": method})
    if as_json:
        _print_json(result.as_dict())
    else:
        _fee_change_text(result)


@click.command("due-date", cls=OneLineUsage)
@click.option("--account-type", metavar="TYPE", help="Client account type (eft, ...).")
@click.option("--terms", metavar="EXPR", help="Payment terms instead of an account type.")
@click.option("--completed", metavar="DATETIME",
              help="Sign-off, YYYY-MM-DDTHH:MM (local time unless an offset is given).")
@click.option("--invoice-date", metavar="DATE", help="Invoice date instead of a sign-off.")
@click.option("--amount", metavar="AMOUNT",
              help="Invoice amount: splits instalments and prices the discount.")
@_json_option
def due_date_command(account_type: str | None, terms: str | None, completed: str | None,
                     invoice_date: str | None, amount: str | None, as_json: bool) -> None:
    """Billing run or close, invoice date and due dates."""
    result = _run(run_due_date, {
        "account_type": account_type, "terms": terms, "completed": completed,
        "invoice_date": invoice_date, "amount": amount,
    })
    if as_json:
        _print_json(result.as_dict())
    else:
        _due_date_text(result)


COMMANDS: dict[str, click.Command] = {
    "prorate": prorate_command,
    "prorate-change": prorate_change_command,
    "due-date": due_date_command,
}
"""The calculator commands by name (the console script looks them up here)."""


def init_app(app: Any) -> None:
    """Also list the calculator commands on the app's CLI group (``sop-portal --help``)."""
    for command in COMMANDS.values():
        app.cli.add_command(command)
