"""MkDocs hook: state the portal's billing settings from its configuration, at build time.

Some figures on the site are not rules of the source documents but settings of this portal's
calculators: the time of the weekly run and of the monthly close, what happens when such a day
is not a business day, when a debit order is collected, the holiday calendar, the time zone,
the currency and the rounding. Pages never type them; they use a marker, and this hook fills in
the configured value:

- ``[[setting NAME]]`` or ``[[setting NAME account=TYPE]]``: one value, inline. Names:
  ``time-zone``, ``country``, ``currency``, ``rounding`` and, per account type, ``label``,
  ``run-day``, ``run-time``, ``run-move`` and ``terms``;
- ``[[settings]]``, alone on a line: the table of every setting;
- ``[[settings examples]]``, alone on a line: worked invoice and due dates for each account
  type, computed by ``calculators`` with these settings (holidays that move a date named).

Values come from the same places as the gate's: ``ACCOUNT_TYPES_FILE`` (default
``calculators/account_types.toml``), ``BILLING_COUNTRY`` (``ZA``), ``BILLING_TZ``
(``Africa/Johannesburg``) and ``BILLING_CURRENCY`` (``USD``), as in the README's Configuration
table. Each inline value is marked as a setting for the reader, and the page's footer lists
the settings it uses (``page.meta.sop_settings``). Internal names (account type keys, terms
expressions) are never rendered. A bad setting or marker fails the build.

It imports only the standard library, MkDocs and ``calculators``.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from inspect import signature
from zoneinfo import ZoneInfo

from calc_syntax import map_outside_fences
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from calculators import (
    AccountType,
    BusinessCalendar,
    Currency,
    Roll,
    SettingsError,
    WeeklyRun,
    compute_due_date,
    quantize_money,
)
from calculators.settings import load_settings

COUNTRY_NAMES = {"ZA": "South Africa", "NA": "Namibia", "BW": "Botswana", "LS": "Lesotho",
                 "SZ": "Eswatini", "ZW": "Zimbabwe", "MZ": "Mozambique", "KE": "Kenya",
                 "NG": "Nigeria", "GB": "the United Kingdom", "IE": "Ireland",
                 "US": "the United States", "AU": "Australia", "NZ": "New Zealand"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ROUNDING_WORDS = {"ROUND_HALF_UP": "halves rounded up", "ROUND_HALF_EVEN": "halves rounded to even",
                  "ROUND_HALF_DOWN": "halves rounded down"}

MARKER = re.compile(r"\[\[(?P<kind>settings?)\b(?P<body>[^\[\]\n]*)\]\]")
OPENING = re.compile(r"\[\[\s*settings?\b")


class SettingMarkerError(ValueError):
    """A setting marker is unknown or malformed."""


@dataclass(frozen=True)
class PortalSettings:
    """The configured values, read once per build."""

    country: str
    country_name: str
    time_zone: str
    money: Currency
    rounding: str
    account_types: dict[str, AccountType]
    calendar: BusinessCalendar


def ordinal(day: int) -> str:
    """``19th``, ``1st``, ``22nd``."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def read_settings(environ: Mapping[str, str] | None = None) -> PortalSettings:
    """The settings from the environment, read and checked by the calculators' own reader
    (the same defaults, files and errors as the gate); SettingsError when one is bad."""
    loaded = load_settings(os.environ if environ is None else environ)
    rounding = str(signature(quantize_money).parameters["rounding"].default)
    return PortalSettings(
        country=loaded.country,
        country_name=COUNTRY_NAMES.get(loaded.country, f"the country {loaded.country}"),
        time_zone=str(loaded.tz), money=loaded.currency,
        rounding=ROUNDING_WORDS.get(rounding, rounding),
        account_types=loaded.account_types(), calendar=loaded.calendar,
    )


# ---------------------------------------------------------------- values in words

def _unit(money: Currency) -> str:
    step = f"{money.quantum:f}"
    return f"{step} {money.code}"


def rounding_words(settings: PortalSettings) -> str:
    """``once, with halves rounded up, to 0.01 USD``."""
    return f"once, with {settings.rounding}, to {_unit(settings.money)}"


def run_day(kind: AccountType) -> str:
    """``Friday`` for a weekly run, ``19th`` for a monthly close."""
    rule = kind.rule
    return WEEKDAYS[rule.weekday] if isinstance(rule, WeeklyRun) else ordinal(rule.day)


def run_move(kind: AccountType) -> str:
    """What happens to a run or close that falls on a day that is not a business day."""
    rule = kind.rule
    place = "the run" if isinstance(rule, WeeklyRun) else "the close"
    return {
        Roll.NONE: f"{place} stays on that day, whatever the weekday",
        Roll.PRECEDING: f"{place} moves back to the previous business day",
        Roll.FOLLOWING: f"{place} moves on to the next business day",
        Roll.MODIFIED_FOLLOWING: (f"{place} moves on to the next business day, or back to the "
                                  "previous one at a month end"),
    }[rule.roll]


def invoicing(kind: AccountType) -> str:
    """``a weekly run on Friday at 14:00`` or ``a monthly close on the 19th at 17:00``."""
    rule = kind.rule
    if isinstance(rule, WeeklyRun):
        return f"a weekly run on {run_day(kind)} at {rule.at:%H:%M}"
    return f"a monthly close on the {run_day(kind)} at {rule.at:%H:%M}"


# ---------------------------------------------------------------- markers

@dataclass(frozen=True)
class Setting:
    """A named setting: how to render it and what the footer calls it."""

    render: Callable[[PortalSettings, AccountType | None], str]
    footer: str
    per_account: bool


SETTINGS: dict[str, Setting] = {
    "time-zone": Setting(lambda s, _k: s.time_zone, "time zone", False),
    "country": Setting(lambda s, _k: s.country_name, "holiday calendar", False),
    "currency": Setting(lambda s, _k: s.money.code, "currency", False),
    "rounding": Setting(lambda s, _k: rounding_words(s), "rounding", False),
    "label": Setting(lambda _s, k: k.label if k else "", "account types", True),
    "run-day": Setting(lambda _s, k: run_day(k) if k else "", "run and close days", True),
    "run-time": Setting(lambda _s, k: f"{k.rule.at:%H:%M}" if k else "",
                        "run and close times", True),
    "run-move": Setting(lambda _s, k: run_move(k) if k else "",
                        "runs and closes on days that are not business days", True),
    "terms": Setting(lambda _s, k: k.terms.describe() if k else "", "payment terms", True),
}


def settings_table(settings: PortalSettings) -> str:
    """Every setting as two Markdown tables (the calendar, then the account types)."""
    rounding = rounding_words(settings)
    general = [
        ("Time zone of runs, closes and dates", settings.time_zone),
        ("Business days", f"Monday to Friday, except the public holidays of "
                          f"{settings.country_name}"),
        ("Currency of the calculators", settings.money.code),
        ("Rounding of amounts", rounding[:1].upper() + rounding[1:]),
    ]
    lines = ["| Setting | Value |", "| --- | --- |"]
    lines += [f"| {name} | {html.escape(value, quote=False)} |" for name, value in general]
    lines += ["", "| Account type | Invoiced in | When that day is not a business day | "
                  "Payment due |", "| --- | --- | --- | --- |"]
    for kind in settings.account_types.values():
        cells = [kind.label, invoicing(kind), run_move(kind), kind.terms.describe()]
        lines.append("| " + " | ".join(html.escape(c, quote=False).replace("|", "\\|")
                                       for c in cells) + " |")
    return "\n".join(lines)


WEEKLY_SAMPLES = ("2026-11-18T10:00", "2026-11-20T15:00", "2026-04-01T10:00")
MONTHLY_SAMPLES = ("2026-11-18T10:00", "2026-11-19T17:30", "2026-12-15T10:00")
"""Sign-offs for the worked examples: an ordinary week, a sign-off after the run, Easter
(Good Friday in South Africa) and the days around a close, including the year end."""

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def short_date(day: date) -> str:
    """``Fri 20 Nov 2026``."""
    return f"{WEEKDAYS[day.weekday()][:3]} {day.day} {_MONTHS[day.month - 1][:3]} {day.year}"


def short_datetime(moment: datetime) -> str:
    """``Wed 18 Nov 2026, 10:00``."""
    return f"{short_date(moment.date())}, {moment:%H:%M}"


def examples_table(settings: PortalSettings) -> str:
    """Worked invoice and due dates for every account type, as a Markdown table."""
    zone = ZoneInfo(settings.time_zone)
    rows = []
    for kind in settings.account_types.values():
        samples = WEEKLY_SAMPLES if isinstance(kind.rule, WeeklyRun) else MONTHLY_SAMPLES
        for text in samples:
            signed = datetime.fromisoformat(text).replace(tzinfo=zone)
            result = compute_due_date(account_type=kind, completed=signed,
                                      calendar=settings.calendar, tz=zone)
            event, due = result.event, result.due
            if event is None:  # pragma: no cover - an account type always has a rule
                raise SettingMarkerError(f"account type {kind.label} gave no run or close")
            notes = []
            if event.moved:
                names = ", ".join(h.name for h in event.holidays) or "not a business day"
                notes.append(f"moved from {short_date(event.nominal)} ({names})")
            if due.due != due.unadjusted:
                names = ", ".join(h.name for h in due.holidays) or "a weekend"
                notes.append(f"due date moved from {short_date(due.unadjusted)} ({names})")
            rows.append([kind.label, short_datetime(signed), short_datetime(event.at),
                         short_date(due.invoice_date), short_date(due.due),
                         "; ".join(notes) or "nothing moved"])
    header = ["Account type", "Signed off", "Invoiced in the run or close of", "Invoice date",
              "Payment due", "Holidays and moves"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(html.escape(c, quote=False) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(kind: str, body: str, settings: PortalSettings, *, alone: bool,
           used: list[str]) -> str:
    """The HTML or Markdown of one marker; SettingMarkerError when it is wrong."""
    words = body.split()
    if kind == "settings":
        if words not in ([], ["examples"]):
            raise SettingMarkerError("expected [[settings]] or [[settings examples]]")
        if not alone:
            raise SettingMarkerError("a settings table must stand alone on its line")
        if words:
            used.extend(s.footer for s in SETTINGS.values()
                        if s.footer not in {"currency", "rounding"})
            return "\n" + examples_table(settings) + "\n"
        used.extend(s.footer for s in SETTINGS.values())
        return "\n" + settings_table(settings) + "\n"
    if not words:
        raise SettingMarkerError("setting marker without a name")
    name, options = words[0], words[1:]
    setting = SETTINGS.get(name)
    if setting is None:
        raise SettingMarkerError(f"unknown setting {name!r} (expected {', '.join(SETTINGS)})")
    account: AccountType | None = None
    if setting.per_account:
        if len(options) != 1 or not options[0].startswith("account="):
            raise SettingMarkerError(f"{name} needs account=TYPE (one of "
                                     f"{', '.join(settings.account_types)})")
        key = options[0].removeprefix("account=")
        account = settings.account_types.get(key)
        if account is None:
            raise SettingMarkerError(f"unknown account type {key!r} (expected one of "
                                     f"{', '.join(settings.account_types)})")
    elif options:
        raise SettingMarkerError(f"{name} takes no options")
    used.append(setting.footer)
    value = html.escape(setting.render(settings, account), quote=False)
    return (f'<span class="sop-setting" title="A setting of this portal, read from its '
            f'configuration when the site is built">{value}</span>')


def expand(markdown: str, settings: PortalSettings, used: list[str]) -> str:
    """Expand every setting marker outside fenced code; SettingMarkerError names the line."""

    def expand_line(number: int, line: str) -> str:
        alone = line.strip()

        def replace(m: re.Match[str]) -> str:
            return render(m.group("kind"), m.group("body"), settings,
                          alone=alone == m.group(0), used=used)

        try:
            expanded = MARKER.sub(replace, line)
        except SettingMarkerError as exc:
            raise SettingMarkerError(f"line {number}: {exc}") from None
        if OPENING.search(expanded):
            raise SettingMarkerError(f"line {number}: malformed setting marker (expected "
                                     "[[setting NAME]] or [[settings]] on one line)")
        return expanded

    return map_outside_fences(markdown, expand_line)


# ---------------------------------------------------------------- the hook

_state: dict[str, PortalSettings] = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Read the settings once per build; a bad one fails the build."""
    try:
        _state["settings"] = read_settings()
    except SettingsError as exc:
        raise PluginError(f"portal settings: {exc}") from None
    return config


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fill in the page's setting markers and list the settings it uses for the footer."""
    if "[[setting" not in markdown:
        return markdown
    used: list[str] = []
    try:
        expanded = expand(markdown, _state["settings"], used)
    except SettingMarkerError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
    page.meta["sop_settings"] = list(dict.fromkeys(used))
    return expanded
