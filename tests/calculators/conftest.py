"""Fixtures for the calculators engine: currency, calendar, account types, date helpers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calculators import (
    DEFAULT_ACCOUNT_TYPES_FILE,
    AccountType,
    BusinessCalendar,
    Currency,
    currency,
    parse_account_types,
)

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Africa/Johannesburg")


def local(text: str) -> datetime:
    """A local (Johannesburg) date-time from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def d(text: str) -> date:
    """A date from ``YYYY-MM-DD``."""
    return date.fromisoformat(text)


@pytest.fixture(scope="session")
def usd() -> Currency:
    return currency("USD")


@pytest.fixture(scope="session")
def za() -> BusinessCalendar:
    return BusinessCalendar.for_country("ZA")


@pytest.fixture(scope="session")
def account_types() -> dict[str, AccountType]:
    return parse_account_types(DEFAULT_ACCOUNT_TYPES_FILE.read_text(encoding="utf-8"))
