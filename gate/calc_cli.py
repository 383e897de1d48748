"""CLI commands ``sop-portal prorate`` and ``sop-portal due-date``.

Both go through the same functions as the API; with ``--json`` they print exactly the body
the API answers for the same input. Bad input exits 2 with one line on standard error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask, jsonify
from flask.cli import with_appcontext

from calculators import CalculatorError, DueDateResult, Proration, display_amount
from calculators.dates import human_date, human_datetime, human_month
from gate.calc_service import calculator_settings, run_due_date, run_prorate
from gate.cli import fail


class OneLineErrors(click.Command):
    """A command whose usage errors (unknown option, missing value) are one line, exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message())
            raise  # pragma: no cover - fail() exits


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _run(compute: Any, params: Mapping[str, str | None]) -> Any:
    try:
        return compute(params, calculator_settings())
    except CalculatorError as exc:
        fail(f"{_option(exc.field)}: {exc.message}")


def _print_json(body: dict[str, Any]) -> None:
    # jsonify: the very serialisation the API answers with (compact, sorted, final newline)
    click.echo(jsonify(body).get_data(as_text=True), nl=False)


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
    if due.unadjusted != due.due:
        rows.append(("Terms give", human_date(due.unadjusted, weekday=True)))
    business = "" if due.is_business_day else " (not a business day)"
    rows.append(("Due date", human_date(due.due, weekday=True) + business))
    for holiday in result.holidays:
        rows.append(("Holiday", f"{human_date(holiday.date, weekday=True)}: {holiday.name}"))
    _print_rows("Invoice and due date", rows, result.explanation)


@click.command("prorate", cls=OneLineErrors)
@click.option("--monthly-fee", metavar="AMOUNT", help="Monthly fee, e.g. 2000 or 2,000.00.")
@click.option("--go-live", metavar="DATE", help="Go-live date, YYYY-MM-DD.")
@click.option("--method", metavar="actual|thirty", help="Day count (default: actual).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@with_appcontext
def prorate_command(monthly_fee: str | None, go_live: str | None, method: str | None,
                    as_json: bool) -> None:
    """Go-live proration: the credit on the first recurring invoice."""
    result: Proration = _run(run_prorate, {
        "monthly_fee": monthly_fee, "go_live": go_live, "method": method,
    })
    if as_json:
        _print_json(result.as_dict())
    else:
        _proration_text(result)


@click.command("due-date", cls=OneLineErrors)
@click.option("--account-type", metavar="TYPE", help="Client account type (eft, ...).")
@click.option("--terms", metavar="EXPR", help="Payment terms instead of an account type.")
@click.option("--completed", metavar="DATETIME",
              help="Sign-off, YYYY-MM-DDTHH:MM (local time unless an offset is given).")
@click.option("--invoice-date", metavar="DATE", help="Invoice date instead of a sign-off.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@with_appcontext
def due_date_command(account_type: str | None, terms: str | None, completed: str | None,
                     invoice_date: str | None, as_json: bool) -> None:
    """Billing run or close, invoice date and due date."""
    result: DueDateResult = _run(run_due_date, {
        "account_type": account_type, "terms": terms, "completed": completed,
        "invoice_date": invoice_date,
    })
    if as_json:
        _print_json(result.as_dict())
    else:
        _due_date_text(result)


def init_app(app: Flask) -> None:
    """Register the calculator commands on the app's CLI group."""
    app.cli.add_command(prorate_command)
    app.cli.add_command(due_date_command)
