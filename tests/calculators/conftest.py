"""Fixtures for the calculators: the engine's settings, and one app for the API and CLI.

The API is stateless, so one app per session serves every API and CLI test (Hypothesis runs
hundreds of requests through it); it needs no built site.
"""

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
from tests.conftest import gate_config

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


@pytest.fixture(scope="session")
def calc_app(tmp_path_factory: pytest.TempPathFactory):
    """One gate app for the API and CLI tests (no built site needed)."""
    from gate import create_app

    base = tmp_path_factory.mktemp("calc-app")
    (base / "site").mkdir()
    app = create_app(gate_config(base, base / "site", RATELIMIT_ENABLED=False))
    return app


@pytest.fixture(scope="session")
def api(calc_app):
    """A test client for the calculators API."""
    return calc_app.test_client()


@pytest.fixture
def calc_runner(calc_app):
    """A CLI runner on the session app."""
    return calc_app.test_cli_runner()
