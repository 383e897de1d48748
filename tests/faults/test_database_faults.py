"""Database faults: locked by another process; the audit store full."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, select

from tests.conftest import TEST_PASSWORD

EMAIL = "client@example.org"
PAGE = "/members/clients/"

_LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
if sys.argv[2] == 'exclusive':
    conn.execute('PRAGMA locking_mode=EXCLUSIVE')
    conn.execute('BEGIN EXCLUSIVE')
    conn.execute('UPDATE users SET name = name')
else:
    conn.execute('BEGIN IMMEDIATE')
    conn.execute('UPDATE users SET name = name')
print('locked', flush=True)
sys.stdin.read()
conn.execute('ROLLBACK')
"""


@contextlib.contextmanager
def locked(app, mode: str):
    """Another process holds the database (``exclusive``: no reads either; ``writer``)."""
    from gate.db import database

    database(app).engine.dispose()  # idle pooled connections would block an exclusive lock
    with subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _LOCKER, str(_db_file(app)), mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as locker:
        try:
            line = locker.stdout.readline().strip()
            assert line == "locked", locker.stderr.read()
            yield
        finally:
            locker.stdin.close()
            locker.wait(timeout=10)


def _db_file(app) -> Path:
    url = str(app.config["DATABASE_URL"])
    if not url.startswith("sqlite:///"):
        pytest.skip("a SQLite file lock and page limit (PostgreSQL is covered in tests/deploy)")
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def fast_busy(app_config):
    """Give up on a lock after 0.2 s instead of 5 s (request it before ``app``)."""
    app_config["DATABASE_BUSY_TIMEOUT_MS"] = 200
    return app_config


@pytest.fixture
def signed_in(fast_busy, app, make_user, login_as):
    user = make_user(EMAIL, role="client", password=TEST_PASSWORD)
    client = app.test_client()
    login_as(client, user)
    assert client.get(PAGE).status_code == 200
    return client


def _sign_in(client):
    from tests.security.helpers import sign_in

    return sign_in(client, EMAIL, TEST_PASSWORD)


def _busy(response) -> None:
    assert response.status_code == 503, (response.status_code, response.get_data()[:300])
    assert int(response.headers["Retry-After"]) > 0
    assert b"Traceback" not in response.get_data()


@pytest.mark.asvs("16.5.2")
def test_a_database_locked_by_another_process_answers_503_then_recovers(fast_busy, app,
                                                                      signed_in):
    anonymous = app.test_client()
    assert anonymous.get("/auth/login").status_code == 200
    with locked(app, "exclusive"):
        _busy(signed_in.get(PAGE, headers={"Accept": "application/json"}))
        _busy(_sign_in(anonymous))
        _busy(signed_in.get(PAGE, headers={"Accept": "text/html"}))
        assert app.test_client().get("/healthz").status_code == 503
        assert app.test_client().get("/").status_code == 200  # the public site needs no DB
    # the other process let go: everything works again, with no restart
    assert signed_in.get(PAGE).status_code == 200
    assert _sign_in(app.test_client()).status_code in (302, 303)
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.asvs("16.5.2")
def test_a_database_held_by_another_writer_refuses_writes_and_keeps_reads(fast_busy, app,
                                                                         signed_in):
    with locked(app, "writer"):
        _busy(_sign_in(app.test_client()))
        assert signed_in.get(PAGE).status_code == 200  # WAL: readers do not wait for writers
        assert app.test_client().get("/healthz").status_code == 200
    assert _sign_in(app.test_client()).status_code in (302, 303)


# --- the audit store full ---------------------------------------------------------------------


def _fill(db_file: Path) -> int:
    """Fill the database to a page limit with audit rows; return that limit (pages)."""
    conn = sqlite3.connect(db_file, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0] + 4
        conn.execute(f"PRAGMA max_page_count = {pages}")
        for size in (3000, 800, 200, 40, 1):
            while True:
                try:
                    conn.execute(
                        "INSERT INTO audit_events (at, email, action, target, ip, outcome, "
                        "detail) VALUES ('2026-01-01 00:00:00', 'filler', 'filler', '', '', "
                        "'ok', ?)", ("x" * size,))
                except sqlite3.OperationalError as exc:
                    assert "full" in str(exc)
                    break
        return pages
    finally:
        conn.close()


@pytest.fixture
def full_store(app, make_user, login_as):
    """A signed-in client, then a database at its page limit for every connection."""
    from gate.db import database

    make_user("staff@example.org", role="staff", password=TEST_PASSWORD)
    user = make_user(EMAIL, role="client", password=TEST_PASSWORD)
    client = app.test_client()
    login_as(client, user)
    assert client.get(PAGE).status_code == 200
    engine = database(app).engine
    engine.dispose()
    limit = _fill(_db_file(app))

    def cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit}")

    event.listen(engine, "connect", cap)
    engine.dispose()
    return client


def _user(app, email=EMAIL):
    from gate.db import database
    from gate.models import User

    with database(app).sessions() as session:
        user = session.scalar(select(User).where(User.email == email))
        return user.active, sorted(g.audience for g in user.grants)


@pytest.mark.asvs("16.4.3")
@pytest.mark.parametrize(
    "command",
    [pytest.param(["users", "revoke", EMAIL], id="revoke"),
     pytest.param(["users", "grant", EMAIL, "newsletter:payments"], id="grant"),
     pytest.param(["users", "ungrant", EMAIL, "clients"], id="ungrant")],
)
def test_when_the_audit_store_is_full_admin_actions_fail_closed(app, full_store, runner,
                                                                command):
    before = _user(app)
    result = runner.invoke(args=command)
    assert result.exit_code != 0, result.output
    assert _user(app) == before, "an action that could not be audited must not happen"


@pytest.mark.asvs("16.4.3")
def test_when_the_audit_store_is_full_pages_keep_working_and_downloads_wait(app, full_store):
    assert full_store.get(PAGE).status_code == 200
    assert full_store.get("/members/clients/onboarding-checklist/").status_code == 200
    assert app.test_client().get("/").status_code == 200
    refused = full_store.get("/members/files/forms/plugin-setup-form.docx")
    assert refused.status_code == 503  # nothing is downloaded without its audit row
    assert refused.headers["Retry-After"]


@pytest.mark.asvs("16.4.3")
def test_when_the_audit_store_is_full_sign_in_is_refused_cleanly(app, full_store):
    refused = _sign_in(app.test_client())
    _busy(refused)
