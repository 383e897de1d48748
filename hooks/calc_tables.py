"""The ``[[calc ...]]`` markers: figures for prose and tables in Markdown, from the engine.

Each renderer takes a parsed marker and the calculator settings and returns Markdown (a
figure, or a table on its own line). Every number comes from the calculators; a bad option
is a :class:`MarkerError`, a bad value the engine's :class:`CalculatorError`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime

from calc_syntax import Marker, MarkerError

from calculators.account_types import WeeklyRun
from calculators.billing import DueDateResult
from calculators.dates import days_in_month, human_date, human_month, parse_date, parse_month
from calculators.money import display_amount, parse_amount
from calculators.proration import Method, Proration, parse_method, prorate_go_live
from calculators.requests import run_due_date, run_prorate_change
from calculators.settings import CalculatorSettings
from calculators.terms import percent_text

SHOW = ("credit", "first_invoice_total", "first_invoice_date", "first_full_month",
        "days_before_go_live", "days_in_month", "explanation")
SEED_EXAMPLES = (date(2026, 1, 15), date(2026, 1, 7), date(2026, 1, 22))
SEED_FEE = "2000"
WEEKLY_SAMPLES = ("2026-11-18T10:00", "2026-11-20T15:00", "2026-04-01T10:00")
MONTHLY_SAMPLES = ("2026-11-18T10:00", "2026-11-19T17:30", "2026-12-15T10:00")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(day: date) -> str:
    """``Wed, Nov 18, 2026``."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def short_datetime(moment: datetime) -> str:
    """``Wed, Nov 18, 2026, 10:00``."""
    return f"{short_date(moment.date())}, {moment:%H:%M}"


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _options(marker: Marker, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(marker.options) - set(required) - set(optional))
    if unknown:
        allowed = ", ".join(required + optional) or "no options"
        raise MarkerError(f"unknown option {unknown[0]!r} (expected {allowed})")
    missing = [key for key in required if key not in marker.options]
    if missing:
        raise MarkerError(f"missing option {missing[0]}=...")


def _prorate(settings: CalculatorSettings, fee_text: str, go_live: date,
             method: Method = Method.ACTUAL) -> Proration:
    fee = parse_amount(fee_text, field="monthly_fee", money=settings.currency)
    return prorate_go_live(fee, go_live, currency=settings.currency, method=method)


def calc_prorate(marker: Marker, settings: CalculatorSettings) -> str:
    """One figure of a proration, formatted for prose."""
    _options(marker, ("monthly_fee", "go_live", "show"), ("method",))
    show = marker.options["show"]
    if show not in SHOW:
        raise MarkerError(f"show={show!r} is not one of {', '.join(SHOW)}")
    result = _prorate(
        settings, marker.options["monthly_fee"],
        parse_date(marker.options["go_live"], field="go_live"),
        parse_method(marker.options.get("method", "actual")),
    )
    money = settings.currency
    values: dict[str, Callable[[], str]] = {
        "credit": lambda: display_amount(result.credit, money),
        "first_invoice_total": lambda: display_amount(result.first_invoice_total, money),
        "first_invoice_date": lambda: human_date(result.first_invoice_date),
        "first_full_month": lambda: human_month(*result.first_full_month),
        "days_before_go_live": lambda: str(result.days_before_go_live),
        "days_in_month": lambda: str(result.days_in_month),
        "explanation": lambda: result.explanation,
    }
    return html.escape(values[show](), quote=False)


def calc_proration_examples(marker: Marker, settings: CalculatorSettings) -> str:
    """The seed's three worked examples, computed, with the note on Example 1."""
    _options(marker, ())
    money = settings.currency
    rows = []
    for number, go_live in enumerate(SEED_EXAMPLES, start=1):
        result = _prorate(settings, SEED_FEE, go_live)
        rows.append([
            str(number), human_date(go_live),
            f"{result.days_before_go_live} of {result.days_in_month}",
            display_amount(result.credit, money), human_date(result.first_invoice_date),
            display_amount(result.first_invoice_total, money),
            human_month(*result.first_full_month),
        ])
    header = ["Example", "Go-live", "Days before go-live", "Credit", "First invoice",
              "First invoice total", "First full month"]
    first = _prorate(settings, SEED_FEE, SEED_EXAMPLES[0])
    fee = display_amount(first.monthly_fee, money)
    note = (
        f"Monthly fee {fee}, prepaid for the go-live month. The source procedure gives "
        f"\"$1,000\" for Example 1: that is a rounded illustration (half the fee); by the "
        f"rule a go-live on {human_date(first.go_live)} earns "
        f"{display_amount(first.credit, money)}, and that is what we bill."
    )
    return _table(header, rows) + f"\n\n*{_cell(note)}*"


def _table_days(last: int) -> list[int]:
    return sorted({1, 2, 7, 10, 15, 20, 22, 28, 29, 30, last} & set(range(1, last + 1)))


def calc_proration_table(marker: Marker, settings: CalculatorSettings) -> str:
    """Credits across one month by both methods."""
    _options(marker, ("monthly_fee", "month"))
    year, month = parse_month(marker.options["month"], field="month")
    fee_text, money = marker.options["monthly_fee"], settings.currency
    rows = []
    for day in _table_days(days_in_month(year, month)):
        go_live = date(year, month, day)
        actual = _prorate(settings, fee_text, go_live)
        thirty = _prorate(settings, fee_text, go_live, Method.THIRTY)
        rows.append([
            human_date(go_live), str(actual.days_before_go_live),
            display_amount(actual.credit, money),
            display_amount(actual.first_invoice_total, money),
            display_amount(thirty.credit, money),
            display_amount(thirty.first_invoice_total, money),
        ])
    header = ["Go-live", "Days before go-live", "Credit (actual days)", "First invoice total",
              "Credit (30-day month)", "First invoice total (30-day)"]
    return _table(header, rows)


def _due_note(result: DueDateResult) -> str:
    notes = []
    event = result.event
    if event is not None and event.moved:
        names = ", ".join(h.name for h in event.holidays) or "not a business day"
        notes.append(f"run moved from {short_date(event.nominal)} ({names})")
    due = result.due
    if due.due != due.unadjusted:
        names = ", ".join(h.name for h in due.holidays) or "weekend"
        notes.append(f"due date rolled from {short_date(due.unadjusted)} ({names})")
    elif not due.is_business_day:
        notes.append("due date is not a business day")
    return "; ".join(notes) or "—"


def calc_due_date_examples(marker: Marker, settings: CalculatorSettings) -> str:
    """Worked due dates for every account type."""
    _options(marker, ())
    rows = []
    for name, kind in settings.account_types().items():
        samples = WEEKLY_SAMPLES if isinstance(kind.rule, WeeklyRun) else MONTHLY_SAMPLES
        for completed in samples:
            result = run_due_date({"account_type": name, "completed": completed}, settings)
            if result.event is None or result.completed is None:  # pragma: no cover
                raise MarkerError(f"account type {name} gave no billing run")
            rows.append([
                kind.label, short_datetime(result.completed), short_datetime(result.event.at),
                short_date(result.due.invoice_date), result.terms.expression,
                short_date(result.due.due), _due_note(result),
            ])
    header = ["Account type", "Signed off", "Invoiced in the run or close of", "Invoice date",
              "Terms", "Due date", "Holidays and moves"]
    return _table(header, rows)


def calc_account_types(marker: Marker, settings: CalculatorSettings) -> str:
    """The account types file as a table."""
    _options(marker, ())
    rows = [
        [kind.label, f"{kind.name}", kind.describe_rule(),
         f"{kind.terms.expression}: {kind.terms.describe()}"]
        for kind in settings.account_types().values()
    ]
    return _table(["Account type", "Name", "Invoicing rule", "Payment terms"], rows)


def calc_fee_change(marker: Marker, settings: CalculatorSettings) -> str:
    """A worked fee change or cancellation: credit, charge and net, with the explanation."""
    _options(marker, ("old_fee", "new_fee", "change_date"), ("method",))
    result = run_prorate_change(marker.options, settings)
    money = settings.currency
    net = result.net
    net_label = "Net: credit note" if net < 0 else "Net: to charge"
    cancelled = result.new_fee == 0
    rows = [
        ["Monthly fee", f"{display_amount(result.old_fee, money)} until "
                        f"{human_date(result.change_date)}, then "
                        + ("cancelled" if cancelled else display_amount(result.new_fee, money))],
        ["Days at the new fee", f"{result.days_remaining} of {result.days_in_month}"],
        ["Credit for the unused old fee", display_amount(result.credit_unused, money)],
        ["Charge at the new fee", display_amount(result.charge_remaining, money)],
        [net_label, display_amount(abs(net), money)],
    ]
    if not cancelled:
        rows.append(["First month in full at the new fee", human_month(*result.next_full_month)])
    return _table(["Item", "Figure"], rows) + f"\n\n*{_cell(result.explanation)}*"


def calc_instalments(marker: Marker, settings: CalculatorSettings) -> str:
    """A worked instalment plan: each part's share, amount and due date."""
    _options(marker, ("terms", "amount", "invoice_date"))
    result = run_due_date(marker.options, settings)
    money = settings.currency
    rows = [
        [str(number), f"{percent_text(part.percent)}%",
         display_amount(part.amount, money) if part.amount is not None else "",
         short_date(part.due.due)]
        for number, part in enumerate(result.schedule.instalments, start=1)
    ]
    table = _table(["Instalment", "Share", "Amount", "Due date"], rows)
    return table + f"\n\n*{_cell(result.explanation)}*"


CALCS: dict[str, tuple[Callable[[Marker, CalculatorSettings], str], bool]] = {
    # name -> (renderer, block: must stand on its own line)
    "prorate": (calc_prorate, False),
    "proration-examples": (calc_proration_examples, True),
    "proration-table": (calc_proration_table, True),
    "due-date-examples": (calc_due_date_examples, True),
    "account-types": (calc_account_types, True),
    "fee-change": (calc_fee_change, True),
    "instalments": (calc_instalments, True),
}
