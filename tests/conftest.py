"""Shared fixtures: the built public site (once per session), the app, its clients.

Area-specific fixtures live in the ``conftest.py`` of each test folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_system(condition: bool, what: str) -> None:
    """Skip on a developer machine, fail in CI, when a system package is missing."""
    if condition:
        return
    message = f"{what} is not installed (make system-deps installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public site built from the working tree once per test session (strict)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-q",
         "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def app_config(tmp_path: Path, site_dir: Path) -> dict:
    """The test configuration: a fresh instance folder, the session's built site."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'test.sqlite3'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "SITE_DIR": str(site_dir),
        "RESTRICTED_DIR": str(ROOT / "restricted"),
        "MKDOCS_CONFIG": str(ROOT / "mkdocs.yml"),
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
    }


class BufferedClient(FlaskClient):
    """A test client that reads and closes every response (file responses included)."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config: dict):
    """A fresh app per test (fresh instance folder and database)."""
    from gate import create_app

    app = create_app(app_config)
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app):
    """The Flask test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The Flask CLI runner."""
    return app.test_cli_runner()
