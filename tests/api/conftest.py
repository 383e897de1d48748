"""Fixtures for the calculators API and commands: one app for the whole session.

The API is stateless, so one app per session serves every API and CLI test (Hypothesis runs
hundreds of requests through it); it needs no built site.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def calc_app(tmp_path_factory: pytest.TempPathFactory):
    """One gate app for the API and CLI tests (no built site needed)."""
    from gate import create_app

    base = tmp_path_factory.mktemp("calc-app")
    (base / "site").mkdir()
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(base / "instance"),
        "DATABASE_URL": f"sqlite:///{base / 'instance' / 'test.sqlite3'}",
        "OUTBOX_DIR": str(base / "outbox"),
        "SITE_DIR": str(base / "site"),
        "RESTRICTED_DIR": str(ROOT / "restricted"),
        "MKDOCS_CONFIG": str(ROOT / "mkdocs.yml"),
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "RATELIMIT_ENABLED": False,
    })
    return app


@pytest.fixture(scope="session")
def api(calc_app):
    """A test client for the calculators API."""
    return calc_app.test_client()


@pytest.fixture
def calc_runner(calc_app):
    """A CLI runner on the session app."""
    return calc_app.test_cli_runner()
