"""The calculators as the gate, the CLI and the site build use them.

This module turns configuration (``BILLING_*``, ``ACCOUNT_TYPES_FILE``) into the engine's
settings, and a mapping of named text inputs (the API's query parameters, the CLI's options)
into engine results. The API and the CLI both go through :func:`run_prorate` and
:func:`run_due_date`, so ``--json`` prints exactly what the API answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calculators import (
    DEFAULT_ACCOUNT_TYPES_FILE,
    AccountType,
    BusinessCalendar,
    CalculatorError,
    ConflictingInputs,
    Currency,
    DueDateResult,
    MissingInput,
    Proration,
    SettingsError,
    compute_due_date,
    currency,
    get_account_type,
    parse_account_types,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_method,
    parse_terms,
    prorate_go_live,
)
from calculators.billing import TERMS_MARGIN_YEARS
from gate.config import ConfigError, resolve_path

log = logging.getLogger(__name__)

PRORATE_FIELDS = ("monthly_fee", "go_live", "method")
DUE_DATE_FIELDS = ("account_type", "terms", "completed", "invoice_date")


def account_types_path(value: str | None) -> Path:
    """The account types file: ``ACCOUNT_TYPES_FILE`` or the default shipped with the engine."""
    return resolve_path(value) if value else DEFAULT_ACCOUNT_TYPES_FILE


def read_account_types(path: Path) -> dict[str, AccountType]:
    """Read and parse an account types file; a problem is a :class:`SettingsError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError("ACCOUNT_TYPES_FILE", str(path), f"cannot read {path}: {exc}") from None
    return parse_account_types(text, source=str(path))


@dataclass
class CalculatorSettings:
    """Currency, business calendar, time zone and account types for one deployment.

    The account types file is re-read when its modification time changes, so the business
    can edit it without a restart; an edit that breaks it is logged and the last good
    version stays in use.
    """

    currency: Currency
    calendar: BusinessCalendar
    tz: tzinfo
    account_types_file: Path
    _types: dict[str, AccountType] = field(default_factory=dict)
    _stamp: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def account_types(self) -> dict[str, AccountType]:
        """The current account types (re-read after the file changes)."""
        stamp: int | None
        try:
            stamp = self.account_types_file.stat().st_mtime_ns
        except OSError:
            stamp = self._stamp
        if stamp == self._stamp and self._types:
            return self._types
        with self._lock:
            if stamp != self._stamp or not self._types:
                try:
                    self._types = read_account_types(self.account_types_file)
                except SettingsError as exc:
                    if not self._types:
                        raise
                    log.error("keeping the previous account types: %s", exc.message)
                self._stamp = stamp
        return self._types


def _time_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("BILLING_TZ", name, f"unknown time zone {name!r}") from None


def settings_from_config(config: Mapping[str, Any]) -> CalculatorSettings:
    """Build and check the settings; an unusable setting raises ConfigError naming it."""
    try:
        settings = CalculatorSettings(
            currency=currency(str(config.get("BILLING_CURRENCY") or "USD")),
            calendar=BusinessCalendar.for_country(str(config.get("BILLING_COUNTRY") or "ZA")),
            tz=_time_zone(str(config.get("BILLING_TZ") or "Africa/Johannesburg")),
            account_types_file=account_types_path(config.get("ACCOUNT_TYPES_FILE") or None),
        )
        settings.account_types()
    except SettingsError as exc:
        raise ConfigError(f"{exc.field}: {exc.message}") from None
    return settings


EXTENSION = "sop_calculators"
"""Where :func:`gate.api.init_app` keeps the settings in ``app.extensions``."""


def calculator_settings(app: Any = None) -> CalculatorSettings:
    """The settings built for ``app`` (the current Flask app by default) at start-up."""
    if app is None:
        from flask import current_app

        app = current_app
    settings: CalculatorSettings = app.extensions[EXTENSION]
    return settings


def _text(params: Mapping[str, str | None], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _required(params: Mapping[str, str | None], name: str, example: str) -> str:
    value = _text(params, name)
    if value is None:
        raise MissingInput(name, None, f"{name} is required, for example {name}={example}")
    return value


def run_prorate(params: Mapping[str, str | None], settings: CalculatorSettings) -> Proration:
    """The go-live proration for text inputs ``monthly_fee``, ``go_live`` and ``method``."""
    fee = parse_amount(_required(params, "monthly_fee", "2000"), field="monthly_fee",
                       money=settings.currency)
    go_live = parse_date(_required(params, "go_live", "2026-01-07"), field="go_live")
    method_text = _text(params, "method")
    method = parse_method(method_text if method_text is not None else "actual")
    return prorate_go_live(fee, go_live, currency=settings.currency, method=method)


def _covered(settings: CalculatorSettings, day: date, name: str, text: str) -> None:
    settings.calendar.check_covered(
        day, field=name, text=text, years_before=1, years_after=TERMS_MARGIN_YEARS
    )


def run_due_date(params: Mapping[str, str | None], settings: CalculatorSettings) -> DueDateResult:
    """The billing event and due date for text inputs (see DESIGN.md, due dates)."""
    type_text, terms_text = _text(params, "account_type"), _text(params, "terms")
    completed_text, invoice_text = _text(params, "completed"), _text(params, "invoice_date")
    for first, second, a, b in (
        (type_text, terms_text, "account_type", "terms"),
        (completed_text, invoice_text, "completed", "invoice_date"),
    ):
        if first is None and second is None:
            raise MissingInput(a, None, f"give {a} or {b}")
        if first is not None and second is not None:
            raise ConflictingInputs(b, second, f"give {a} or {b}, not both")
    account_type = terms = None
    if type_text is not None:
        account_type = get_account_type(settings.account_types(), type_text, field="account_type")
    if terms_text is not None:
        terms = parse_terms(terms_text)
    completed: datetime | None = None
    invoice_date: date | None = None
    if completed_text is not None:
        completed = parse_datetime(completed_text, field="completed", tz=settings.tz)
        _covered(settings, completed.date(), "completed", completed_text)
    if invoice_text is not None:
        invoice_date = parse_date(invoice_text, field="invoice_date")
        _covered(settings, invoice_date, "invoice_date", invoice_text)
    return compute_due_date(
        account_type=account_type, terms=terms, completed=completed, invoice_date=invoice_date,
        calendar=settings.calendar, tz=settings.tz,
    )


def account_types_body(settings: CalculatorSettings) -> dict[str, Any]:
    """The JSON body of ``GET /api/v1/account-types``."""
    return {"account_types": [kind.as_dict() for kind in settings.account_types().values()]}


__all__ = [
    "DUE_DATE_FIELDS", "EXTENSION", "PRORATE_FIELDS", "CalculatorError", "CalculatorSettings",
    "calculator_settings",
    "account_types_body", "account_types_path", "read_account_types", "run_due_date",
    "run_prorate", "settings_from_config",
]
