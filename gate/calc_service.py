"""The calculators as the gate, the CLI and the site build use them.

This module turns configuration (``BILLING_*``, ``ACCOUNT_TYPES_FILE``, ``CLOSURES_FILE``) into
the engine's settings, and a mapping of named text inputs (the API's query parameters, the
CLI's options) into engine results. The API and the CLI both go through the ``run_*``
functions and :func:`api_json`, so ``--json`` prints exactly what the API answers.

It imports neither Flask nor the database: the calculator commands run without the web
application, reading the configuration with the same reader the application uses.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calculators import (
    DEFAULT_ACCOUNT_TYPES_FILE,
    AccountType,
    BusinessCalendar,
    CalculatorError,
    Closure,
    ConflictingInputs,
    Currency,
    DueDateResult,
    FeeChange,
    Method,
    MissingInput,
    Proration,
    SettingsError,
    compute_due_date,
    currency,
    get_account_type,
    parse_account_types,
    parse_amount,
    parse_closures,
    parse_date,
    parse_datetime,
    parse_method,
    parse_terms,
    prorate_change,
    prorate_go_live,
)
from calculators.billing import TERMS_MARGIN_YEARS
from gate.config import ConfigError, defaults, from_environ, resolve_path

log = logging.getLogger(__name__)

PRORATE_FIELDS = ("monthly_fee", "go_live", "method")
PRORATE_CHANGE_FIELDS = ("old_fee", "new_fee", "change_date", "method")
DUE_DATE_FIELDS = ("account_type", "terms", "completed", "invoice_date", "amount")

T = TypeVar("T")


def account_types_path(value: str | None) -> Path:
    """The account types file: ``ACCOUNT_TYPES_FILE`` or the default shipped with the engine."""
    return resolve_path(value) if value else DEFAULT_ACCOUNT_TYPES_FILE


def _read_text(path: Path, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(setting, str(path), f"cannot read {path}: {exc}") from None


def read_account_types(path: Path) -> dict[str, AccountType]:
    """Read and parse an account types file; a problem is a :class:`SettingsError`."""
    return parse_account_types(_read_text(path, "ACCOUNT_TYPES_FILE"), source=str(path))


def read_closures(path: Path) -> tuple[Closure, ...]:
    """Read and parse a closures file; a problem is a :class:`SettingsError` naming the line."""
    return parse_closures(_read_text(path, "CLOSURES_FILE"), source=str(path))


class WatchedFile(Generic[T]):
    """A settings file, parsed again whenever its modification time changes.

    The business edits these files without a restart; an edit that breaks one is logged and
    the last good version stays in use. The first read must succeed.
    """

    def __init__(self, path: Path, parse: Callable[[Path], T], what: str) -> None:
        self.path = path
        self.what = what
        self._parse = parse
        self._value: T | None = None
        self._stamp: int | None = None
        self._lock = threading.Lock()

    def _current_stamp(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return self._stamp

    def value(self) -> T:
        """The parsed file (re-read after it changes)."""
        stamp = self._current_stamp()
        current = self._value
        if current is not None and stamp == self._stamp:
            return current
        with self._lock:
            return self._reload(stamp)

    def _reload(self, stamp: int | None) -> T:
        current = self._value
        if current is not None and stamp == self._stamp:
            return current  # another thread re-read it meanwhile
        try:
            current = self._parse(self.path)
        except SettingsError as exc:
            if current is None:
                raise
            log.error("keeping the previous %s: %s", self.what, exc.message)
        self._value, self._stamp = current, stamp
        return current


@dataclass
class CalculatorSettings:
    """Currency, business calendar, time zone, account types and closures for one deployment."""

    currency: Currency
    country: str
    tz: tzinfo
    account_types_file: Path
    closures_file: Path | None = None
    _types: WatchedFile[dict[str, AccountType]] = field(init=False)
    _closures: WatchedFile[tuple[Closure, ...]] | None = field(init=False)
    _base: BusinessCalendar | None = field(init=False, default=None)
    _calendar: BusinessCalendar | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._types = WatchedFile(self.account_types_file, read_account_types,
                                  "account types")
        self._closures = None
        if self.closures_file is not None:
            self._closures = WatchedFile(self.closures_file, read_closures, "closures")

    @property
    def base_calendar(self) -> BusinessCalendar:
        """The country's public holidays, built on first use (proration needs none)."""
        if self._base is None:
            self._base = BusinessCalendar.for_country(self.country)
        return self._base

    def account_types(self) -> dict[str, AccountType]:
        """The current account types (re-read after the file changes)."""
        return self._types.value()

    def closures(self) -> tuple[Closure, ...]:
        """The current closures (re-read after the file changes)."""
        return () if self._closures is None else self._closures.value()

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar with the current closures (re-read after the file changes)."""
        if self._closures is None:
            return self.base_calendar
        closures = self.closures()
        calendar = self._calendar
        if calendar is None or calendar.closures != closures:
            calendar = self.base_calendar.with_closures(closures)
            self._calendar = calendar
        return calendar


def _time_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("BILLING_TZ", name, f"unknown time zone {name!r}") from None


def settings_from_config(config: Mapping[str, Any], *, calendar: bool = True
                         ) -> CalculatorSettings:
    """Build and check the settings; an unusable setting raises ConfigError naming it.

    ``calendar=False`` leaves the holiday calendar to be built (and its country checked) on
    first use, for a command that may need none.
    """
    closures = config.get("CLOSURES_FILE") or None
    try:
        settings = CalculatorSettings(
            currency=currency(str(config.get("BILLING_CURRENCY") or "USD")),
            country=str(config.get("BILLING_COUNTRY") or "ZA"),
            tz=_time_zone(str(config.get("BILLING_TZ") or "Africa/Johannesburg")),
            account_types_file=account_types_path(config.get("ACCOUNT_TYPES_FILE") or None),
            closures_file=resolve_path(closures) if closures else None,
        )
        settings.account_types()
        settings.closures()
        if calendar:
            settings.calendar  # noqa: B018 - builds and checks the holiday calendar
    except SettingsError as exc:
        raise ConfigError(f"{exc.field}: {exc.message}") from None
    return settings


def settings_from_environ(environ: Mapping[str, str] | None = None, *, calendar: bool = True
                          ) -> CalculatorSettings:
    """The settings the gate would use, read from the environment without creating the app:
    the same defaults, environment parser and checks as :func:`gate.create_app`."""
    config = defaults("instance")
    config.update(from_environ(os.environ if environ is None else environ))
    return settings_from_config(config, calendar=calendar)


EXTENSION = "sop_calculators"
"""Where :func:`gate.api.init_app` keeps the settings in ``app.extensions``."""


def calculator_settings(app: Any = None) -> CalculatorSettings:
    """The settings built for ``app`` (the current Flask app by default) at start-up."""
    if app is None:
        from flask import current_app

        app = current_app
    settings: CalculatorSettings = app.extensions[EXTENSION]
    return settings


def api_json(body: Mapping[str, Any]) -> str:
    """The API's JSON text for ``body`` (compact, keys sorted, ASCII, final newline)."""
    return json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"


# ---------------------------------------------------------------- inputs

def _text(params: Mapping[str, str | None], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _required(params: Mapping[str, str | None], name: str, example: str) -> str:
    value = _text(params, name)
    if value is None:
        raise MissingInput(name, None, f"{name} is required, for example {name}={example}")
    return value


def _amount(params: Mapping[str, str | None], name: str, example: str,
            settings: CalculatorSettings) -> Decimal:
    return parse_amount(_required(params, name, example), field=name, money=settings.currency)


def _method(params: Mapping[str, str | None]) -> Method:
    text = _text(params, "method")
    return parse_method(text if text is not None else "actual")


def run_prorate(params: Mapping[str, str | None], settings: CalculatorSettings) -> Proration:
    """The go-live proration for text inputs ``monthly_fee``, ``go_live`` and ``method``."""
    fee = _amount(params, "monthly_fee", "2000", settings)
    go_live = parse_date(_required(params, "go_live", "2026-01-07"), field="go_live")
    return prorate_go_live(fee, go_live, currency=settings.currency, method=_method(params))


def run_prorate_change(params: Mapping[str, str | None], settings: CalculatorSettings
                       ) -> FeeChange:
    """A fee change or cancellation for ``old_fee``, ``new_fee``, ``change_date``, ``method``."""
    old_fee = _amount(params, "old_fee", "2000", settings)
    new_fee = _amount(params, "new_fee", "3000", settings)
    change = parse_date(_required(params, "change_date", "2026-03-15"), field="change_date")
    return prorate_change(old_fee, new_fee, change, currency=settings.currency,
                          method=_method(params))


def _covered(settings: CalculatorSettings, day: date, name: str, text: str) -> None:
    settings.calendar.check_covered(
        day, field=name, text=text, years_before=1, years_after=TERMS_MARGIN_YEARS
    )


def _one_of_each(params: Mapping[str, str | None]) -> None:
    for first, second in (("account_type", "terms"), ("completed", "invoice_date")):
        if params.get(first) is None and params.get(second) is None:
            raise MissingInput(first, None, f"give {first} or {second}")
        if params.get(first) is not None and params.get(second) is not None:
            raise ConflictingInputs(second, params.get(second),
                                    f"give {first} or {second}, not both")


def run_due_date(params: Mapping[str, str | None], settings: CalculatorSettings) -> DueDateResult:
    """The billing event and due dates for text inputs (see DESIGN.md, due dates)."""
    _one_of_each(params)
    type_text, terms_text = _text(params, "account_type"), _text(params, "terms")
    completed_text, invoice_text = _text(params, "completed"), _text(params, "invoice_date")
    account_type = terms = None
    if type_text is not None:
        account_type = get_account_type(settings.account_types(), type_text, field="account_type")
    if terms_text is not None:
        terms = parse_terms(terms_text)
    amount = None
    if _text(params, "amount") is not None:
        amount = _amount(params, "amount", "1000", settings)
    completed: datetime | None = None
    invoice_date: date | None = None
    # The calendar's own range, named in the message (the widget's boxes allow the same).
    bounds = settings.calendar.covered(years_before=1, years_after=TERMS_MARGIN_YEARS)
    why = settings.calendar.coverage_note()
    if completed_text is not None:
        completed = parse_datetime(completed_text, field="completed", tz=settings.tz,
                                   bounds=bounds, why=why)
        _covered(settings, completed.date(), "completed", completed_text)
    if invoice_text is not None:
        invoice_date = parse_date(invoice_text, field="invoice_date", bounds=bounds, why=why)
        _covered(settings, invoice_date, "invoice_date", invoice_text)
    return compute_due_date(
        account_type=account_type, terms=terms, completed=completed, invoice_date=invoice_date,
        calendar=settings.calendar, tz=settings.tz, amount=amount, currency=settings.currency,
    )


def account_types_body(settings: CalculatorSettings) -> dict[str, Any]:
    """The JSON body of ``GET /api/v1/account-types``."""
    return {"account_types": [kind.as_dict() for kind in settings.account_types().values()]}


__all__ = [
    "DUE_DATE_FIELDS", "EXTENSION", "PRORATE_CHANGE_FIELDS", "PRORATE_FIELDS", "CalculatorError",
    "CalculatorSettings", "WatchedFile", "account_types_body", "account_types_path", "api_json",
    "calculator_settings", "read_account_types", "read_closures", "run_due_date", "run_prorate",
    "run_prorate_change", "settings_from_config", "settings_from_environ",
]
