"""MkDocs hook: expand the calculator markers in docs/ through the calculators engine.

Markers (DESIGN.md and the team contract list them):

- ``[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]]`` (optional
  ``method=thirty``): one figure, inline;
- ``[[calc proration-examples]]``, ``[[calc proration-table monthly_fee=2000 month=2026-01]]``,
  ``[[calc due-date-examples]]``, ``[[calc account-types]]``,
  ``[[calc fee-change old_fee=2000 new_fee=3000 change_date=2026-03-15]]`` (optional
  ``method=thirty``; ``new_fee=0`` is a cancellation),
  ``[[calc instalments terms="50% net 0; 50% net 30" amount=5000 invoice_date=2026-03-02]]``:
  tables, on a line of their own (a value with spaces is written in double quotes);
- ``[[widget proration]]``, ``[[widget due-date]]``, ``[[widget fee-change]]``: the
  interactive forms (served by ``docs/javascripts/calculators.js``), on a line of their own
  at the start of the line.

No figure is typed into docs/: every number comes from the engine at build time, with the
same settings as the gate (``BILLING_*`` and ``ACCOUNT_TYPES_FILE`` from the environment).
Markers inside code (fenced blocks and inline code spans) are left alone. An unknown or
malformed marker fails the build with the page and the marker.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mkdocs.exceptions import PluginError

from calculators import (
    CalculatorError,
    DueDateResult,
    Method,
    Proration,
    display_amount,
    parse_amount,
    parse_date,
    parse_method,
    parse_month,
    prorate_go_live,
)
from calculators.account_types import WeeklyRun
from calculators.billing import TERMS_MARGIN_YEARS
from calculators.dates import days_in_month, human_date, human_month
from calculators.terms import percent_text
from gate.calc_service import (
    CalculatorSettings,
    run_due_date,
    run_prorate_change,
    settings_from_environ,
)
from gate.config import ConfigError

MARKER = re.compile(r"\[\[(?P<kind>calc|widget)\b(?P<body>[^\[\]\n]*)\]\]")
OPTION = re.compile(r'(?P<key>[^\s="]+)=(?:"(?P<quoted>[^"]*)"|(?P<plain>[^\s"]+))|(?P<word>\S+)')
OPENING = re.compile(r"\[\[\s*(?:calc|widget)\b")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(?P<ticks>`+).+?(?P=ticks)")

SHOW = ("credit", "first_invoice_total", "first_invoice_date", "first_full_month",
        "days_before_go_live", "days_in_month", "explanation")
SEED_EXAMPLES = (date(2026, 1, 15), date(2026, 1, 7), date(2026, 1, 22))
SEED_FEE = "2000"
WEEKLY_SAMPLES = ("2026-11-18T10:00", "2026-11-20T15:00", "2026-04-01T10:00")
MONTHLY_SAMPLES = ("2026-11-18T10:00", "2026-11-19T17:30", "2026-12-15T10:00")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MarkerError(ValueError):
    """A marker is unknown or malformed; the message says what is wrong with it."""


@dataclass(frozen=True)
class Marker:
    """One parsed marker: ``kind`` (calc or widget), its name and its key=value options."""

    text: str
    kind: str
    name: str
    options: dict[str, str]
    alone: bool
    indent: str


# ---------------------------------------------------------------- settings

_settings: CalculatorSettings | None = None


def build_settings(environ: dict[str, str] | None = None) -> CalculatorSettings:
    """The calculator settings the gate would use, from the environment."""
    return settings_from_environ(os.environ if environ is None else environ)


def on_config(config: Any, **_: Any) -> Any:
    """Build the calculator settings once per build; a bad setting fails the build."""
    global _settings
    try:
        _settings = build_settings()
    except ConfigError as exc:
        raise PluginError(f"calculators: {exc}") from None
    return config


def _current_settings() -> CalculatorSettings:
    global _settings
    if _settings is None:
        _settings = build_settings()
    return _settings


# ---------------------------------------------------------------- formatting

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


# ---------------------------------------------------------------- calc markers

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


# ---------------------------------------------------------------- widgets

def _field(ident: str, label: str, control: str, hint: str = "", *, off: bool = False) -> str:
    hint_html = (f'<span class="sop-calc__hint" id="{ident}-hint">{html.escape(hint)}</span>'
                 if hint else "")
    hidden = " hidden" if off else ""
    return (f'<div class="sop-calc__field"{hidden}><label for="{ident}">'
            f"{html.escape(label)}</label>{control}{hint_html}</div>")


def _input(ident: str, name: str, kind: str, *, value: str = "", hint: bool = False,
           extra: str = "", off: bool = False) -> str:
    described = f' aria-describedby="{ident}-hint"' if hint else ""
    shown = f' value="{html.escape(value)}"' if value else ""
    disabled = " disabled" if off else ""
    return (f'<input id="{ident}" name="{name}" type="{kind}"{shown}{described}'
            f' autocomplete="off"{extra}{disabled}>')


def _widget_frame(kind: str, ident: str, title: str, fields: list[str], button: str) -> str:
    return "\n".join([
        f'<div class="sop-calc" data-sop-calc="{kind}" id="{ident}">',
        f'<form class="sop-calc__form" novalidate aria-label="{html.escape(title)}">',
        *fields,
        f'<div class="sop-calc__actions"><button type="submit" '
        f'class="md-button md-button--primary">{html.escape(button)}</button></div>',
        "</form>",
        '<p class="sop-calc__error" role="alert" hidden></p>',
        '<div class="sop-calc__result" role="status" aria-live="polite" hidden></div>',
        "<noscript><p>This calculator needs JavaScript and the portal's calculator service. "
        "The worked examples on this page use the same rules.</p></noscript>",
        "</div>",
    ])


def _method_choice(legend: str) -> str:
    return (f'<fieldset class="sop-calc__choice"><legend>{html.escape(legend)}</legend>'
            '<label><input type="radio" name="method" value="actual" checked> '
            "Actual days in the month (our rule)</label>"
            '<label><input type="radio" name="method" value="thirty"> '
            "Every month has 30 days</label></fieldset>")


def _amount_field(ident: str, name: str, label: str, value: str, hint: str, *,
                  required: bool = True) -> str:
    extra = ' inputmode="decimal"' + (" required" if required else "")
    return _field(ident, label, _input(ident, name, "text", value=value, hint=True,
                                       extra=extra), hint)


def widget_fee_change(ident: str, settings: CalculatorSettings) -> str:
    """The fee change and cancellation form."""
    code = settings.currency.code
    hint = "For example 2000 or 2,000.00 (at most 2 decimals)."
    fields = [
        _amount_field(f"{ident}-old-fee", "old_fee", f"Current monthly fee ({code})", SEED_FEE,
                      hint),
        _amount_field(f"{ident}-new-fee", "new_fee", f"New monthly fee ({code})", "3000",
                      "Enter 0 when the client cancels the service."),
        _field(f"{ident}-change-date", "Date of the change",
               _input(f"{ident}-change-date", "change_date", "date", value="2026-03-15",
                      hint=True, extra=' required min="1900-01-01" max="2200-12-31"'),
               "The first day billed at the new fee."),
        _method_choice("Count the days of the month"),
    ]
    return _widget_frame("fee-change", ident, "Fee change and cancellation calculator", fields,
                         "Work out the change")


def widget_proration(ident: str, settings: CalculatorSettings) -> str:
    """The go-live proration form."""
    code = settings.currency.code
    fields = [
        _amount_field(f"{ident}-fee", "monthly_fee", f"Monthly fee ({code})", SEED_FEE,
                      "For example 2000 or 2,000.00 (at most 2 decimals)."),
        _field(f"{ident}-go-live", "Go-live date",
               _input(f"{ident}-go-live", "go_live", "date", value="2026-01-07",
                      extra=' required min="1900-01-01" max="2200-12-31"')),
        _method_choice("Count the days of the month"),
    ]
    return _widget_frame("proration", ident, "Go-live credit calculator", fields,
                         "Work out the credit")


def widget_due_date(ident: str, settings: CalculatorSettings) -> str:
    """The invoice and due-date form."""
    options = "".join(
        f'<option value="{html.escape(name)}">{html.escape(kind.label)}</option>'
        for name, kind in settings.account_types().items()
    )
    first = settings.calendar.first_year + 1
    last = settings.calendar.last_year - TERMS_MARGIN_YEARS
    fields = [
        '<fieldset class="sop-calc__choice"><legend>Work out from</legend>'
        '<label><input type="radio" name="basis" value="account_type" checked> '
        "The client's type of account</label>"
        '<label><input type="radio" name="basis" value="terms"> '
        "Terms I type in</label></fieldset>",
        _field(f"{ident}-type", "Account type",
               f'<select id="{ident}-type" name="account_type">{options}</select>'),
        _field(f"{ident}-terms", "Payment terms",
               _input(f"{ident}-terms", "terms", "text", value="net 14", hint=True,
                      extra=' spellcheck="false" maxlength="100"', off=True),
               "net N, eom N or day D month +M, then optional cutoff C, paydays A,B and "
               "roll following, preceding, modified_following or none; 2/10 net 30 for an "
               "early-payment discount; 50% net 0; 50% net 30 for instalments.", off=True),
        '<fieldset class="sop-calc__choice"><legend>Start from</legend>'
        '<label><input type="radio" name="start" value="completed" checked> '
        "When the work was signed off</label>"
        '<label><input type="radio" name="start" value="invoice_date"> '
        "The invoice's date</label></fieldset>",
        _field(f"{ident}-completed", "Signed off at (local time)",
               _input(f"{ident}-completed", "completed", "datetime-local",
                      extra=f' step="60" min="{first}-01-01T00:00" max="{last}-12-31T23:59"')),
        _field(f"{ident}-invoice-date", "Invoice date",
               _input(f"{ident}-invoice-date", "invoice_date", "date",
                      extra=f' min="{first}-01-01" max="{last}-12-31"', off=True), off=True),
        _amount_field(f"{ident}-amount", "amount",
                      f"Invoice amount ({settings.currency.code}, optional)", "",
                      "Splits instalments and prices an early-payment discount.",
                      required=False),
    ]
    return _widget_frame("due-date", ident, "Invoice and due-date calculator", fields,
                         "Work out the due date")


WIDGETS: dict[str, Callable[[str, CalculatorSettings], str]] = {
    "proration": widget_proration,
    "due-date": widget_due_date,
    "fee-change": widget_fee_change,
}


# ---------------------------------------------------------------- expansion

def parse_marker(text: str, body: str, kind: str, *, alone: bool, indent: str) -> Marker:
    """Split a marker's body into its name and ``key=value`` options."""
    words = body.split(maxsplit=1)
    if not words:
        raise MarkerError(f"{kind} marker without a name")
    name, options = words[0], {}
    for match in OPTION.finditer(words[1] if len(words) > 1 else ""):
        key = match.group("key")
        if key is None:
            raise MarkerError(f"expected key=value, not {match.group('word')!r}")
        if key in options:
            raise MarkerError(f"option {key!r} given twice")
        value = match.group("quoted")
        options[key] = match.group("plain") if value is None else value
    return Marker(text=text, kind=kind, name=name, options=options, alone=alone, indent=indent)


def render_marker(marker: Marker, settings: CalculatorSettings, counter: list[int]) -> str:
    """The Markdown or HTML a marker expands to; MarkerError when it cannot."""
    if marker.kind == "widget":
        if marker.name not in WIDGETS:
            raise MarkerError(f"unknown widget {marker.name!r} (expected "
                              f"{', '.join(WIDGETS)})")
        if marker.options:
            raise MarkerError("widgets take no options")
        if not marker.alone or marker.indent:
            raise MarkerError("a widget must stand alone on a line, at its start")
        counter[0] += 1
        return WIDGETS[marker.name](f"sop-calc-{counter[0]}", settings)
    entry = CALCS.get(marker.name)
    if entry is None:
        raise MarkerError(f"unknown calculator {marker.name!r} (expected {', '.join(CALCS)})")
    renderer, block = entry
    if block and not marker.alone:
        raise MarkerError("this table must stand alone on its line")
    try:
        return renderer(marker, settings)
    except CalculatorError as exc:
        raise MarkerError(f"{exc.field}: {exc.message}") from None


def _expand_line(line: str, settings: CalculatorSettings, counter: list[int]) -> str:
    """Expand the markers of one line outside inline code spans."""
    stripped = line.strip()
    pieces: list[str] = []
    position = 0
    for code in INLINE_CODE.finditer(line):
        pieces.append(_expand_text(line[position:code.start()], stripped, line, settings,
                                   counter))
        pieces.append(code.group(0))
        position = code.end()
    pieces.append(_expand_text(line[position:], stripped, line, settings, counter))
    return "".join(pieces)


def _expand_text(text: str, stripped: str, line: str, settings: CalculatorSettings,
                 counter: list[int]) -> str:
    indent = line[: len(line) - len(line.lstrip())]

    def replace(match: re.Match[str]) -> str:
        marker_text = match.group(0)
        try:
            marker = parse_marker(marker_text, match.group("body"), match.group("kind"),
                                  alone=stripped == marker_text, indent=indent)
            rendered = render_marker(marker, settings, counter)
        except MarkerError as exc:
            raise MarkerError(f"{marker_text}: {exc}") from None
        if marker.alone and (marker.kind == "widget" or CALCS[marker.name][1]):
            # A block: blank lines around it, every line at the marker's indentation.
            return ("\n" + rendered + "\n").replace("\n", "\n" + indent)
        return rendered

    expanded = MARKER.sub(replace, text)
    leftover = OPENING.search(expanded)
    if leftover is not None and OPENING.search(text) is not None:
        fragment = text[leftover.start(): leftover.start() + 60]
        raise MarkerError(f"{fragment.strip()}: malformed marker (expected [[calc NAME "
                          "key=value ...]] or [[widget NAME]] on one line)")
    return expanded


def expand_markers(markdown: str, settings: CalculatorSettings) -> str:
    """Expand every calculator and widget marker outside code; MarkerError names the first
    bad one with its line number."""
    out: list[str] = []
    fence: str | None = None
    counter = [0]
    for number, line in enumerate(markdown.split("\n"), start=1):
        opening = FENCE.match(line)
        if fence is not None:
            if opening and opening.group("fence")[0] == fence[0] and \
                    len(opening.group("fence")) >= len(fence) and \
                    line.strip() == opening.group("fence"):
                fence = None
            out.append(line)
            continue
        if opening:
            fence = opening.group("fence")
            out.append(line)
            continue
        try:
            out.append(_expand_line(line, settings, counter))
        except MarkerError as exc:
            raise MarkerError(f"line {number}: {exc}") from None
    return "\n".join(out)


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Expand the markers of one page; an unknown or malformed marker fails the build."""
    if "[[" not in markdown:
        return markdown
    try:
        return expand_markers(markdown, _current_settings())
    except MarkerError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
