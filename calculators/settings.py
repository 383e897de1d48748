"""The calculators' settings: currency, country, time zone, account types and closures.

This is the one module of the engine that touches files: it reads the account types file and
the closures file, and builds :class:`CalculatorSettings` from a mapping of setting names
(``BILLING_CURRENCY``, ``BILLING_COUNTRY``, ``BILLING_TZ``, ``ACCOUNT_TYPES_FILE``,
``CLOSURES_FILE``). The gate passes its configuration, the MkDocs hooks pass the
environment; an unusable setting is a :class:`SettingsError` naming it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calculators.account_types import DEFAULT_ACCOUNT_TYPES_FILE, AccountType, parse_account_types
from calculators.business_days import BusinessCalendar, Closure
from calculators.closures import parse_closures
from calculators.errors import SettingsError
from calculators.money import Currency, currency

log = logging.getLogger(__name__)

DEFAULT_CURRENCY = "USD"
DEFAULT_COUNTRY = "ZA"
DEFAULT_TZ = "Africa/Johannesburg"

T = TypeVar("T")


def setting_path(value: str, root: Path | None = None) -> Path:
    """A configured file path; a relative one is taken from ``root`` (default: the working
    folder at the time of reading)."""
    path = Path(value)
    return path if path.is_absolute() else (root or Path.cwd()) / path


def account_types_path(value: str | None) -> Path:
    """The account types file: ``ACCOUNT_TYPES_FILE`` or the default shipped with the engine."""
    return setting_path(value) if value else DEFAULT_ACCOUNT_TYPES_FILE


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


def _text(values: Mapping[str, object], name: str, default: str) -> str:
    value = values.get(name)
    return str(value) if value else default


def load_settings(values: Mapping[str, object], *, calendar: bool = True) -> CalculatorSettings:
    """Build and check the settings from ``values`` (the environment or the gate's
    configuration: same names); an unusable setting raises :class:`SettingsError`.

    A missing or empty setting takes the engine's default. ``calendar=False`` leaves the
    holiday calendar to be built (and its country checked) on first use, for a caller that
    may need none.
    """
    closures = _text(values, "CLOSURES_FILE", "")
    settings = CalculatorSettings(
        currency=currency(_text(values, "BILLING_CURRENCY", DEFAULT_CURRENCY).upper()),
        country=_text(values, "BILLING_COUNTRY", DEFAULT_COUNTRY).upper(),
        tz=_time_zone(_text(values, "BILLING_TZ", DEFAULT_TZ)),
        account_types_file=account_types_path(_text(values, "ACCOUNT_TYPES_FILE", "") or None),
        closures_file=setting_path(closures) if closures else None,
    )
    settings.account_types()
    settings.closures()
    if calendar:
        settings.calendar  # noqa: B018 - builds and checks the holiday calendar
    return settings


__all__ = [
    "DEFAULT_COUNTRY", "DEFAULT_CURRENCY", "DEFAULT_TZ", "CalculatorSettings", "WatchedFile",
    "account_types_path", "load_settings", "read_account_types", "read_closures",
    "setting_path",
]
