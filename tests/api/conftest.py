"""Fixtures for the calculators API and commands: one app for the whole session.

The API is stateless, so one app per session serves every API and CLI test (Hypothesis runs
hundreds of requests through it); it needs no built site.
"""

from __future__ import annotations

import pytest

from tests.conftest import gate_config


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
