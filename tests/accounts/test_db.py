"""The database: schema upgrades, health, a locked SQLite file, UTC times, PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from gate import create_app, db
from gate.accounts import tokens
from gate.models import LoginSession, User, UTCDateTime, utcnow
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import TEST_PASSWORD, BufferedClient, require_system


def test_healthz_checks_the_database(app_config):
    fresh = create_app({**app_config, "DATABASE_AUTO_UPGRADE": False})
    response = fresh.test_client().get("/healthz")
    assert response.status_code == 503
    assert any("check_database" in p for p in response.get_json()["problems"])
    assert fresh.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    assert fresh.test_client().get("/healthz").status_code == 200
    with fresh.app_context():
        assert db.current_version() == db.head_revision()


def test_a_locked_database_answers_503_with_retry_after(app_config, caplog):
    app = create_app({**app_config, "DATABASE_BUSY_TIMEOUT_MS": 50})
    app.test_client_class = BufferedClient
    client = app.test_client()
    client.get("/auth/login")
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = post_form(client, "/auth/login", {
            "email": "nobody@example.com", "password": "whatever it is 1"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert b"Traceback" not in response.data
        html = client.get("/auth/link").status_code  # reads still work in WAL mode
        assert html == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "nobody@example.com" not in caplog.text  # no statement parameters in the log
    assert post_form(client, "/auth/login", {
        "email": "nobody@example.com", "password": "whatever it is 1"}).status_code == 200


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        connection = db.get_session().connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(
    ("value", "ok"),
    [(datetime(2026, 1, 1, 12, 0), False), (utcnow(), True), (None, True)],
)
def test_times_must_be_utc_aware(value, ok):
    column = UTCDateTime()
    if ok:
        stored = column.process_bind_param(value, None)
        assert stored is None or stored.tzinfo is None
        if stored is not None:
            assert column.process_result_value(stored, None) == value
    else:
        with pytest.raises(ValueError, match="naive"):
            column.process_bind_param(value, None)


def test_get_session_needs_an_app_context():
    with pytest.raises(RuntimeError, match="application context"):
        db.get_session()


@pytest.mark.system
def test_postgresql_end_to_end(app_config):
    from tests import servers

    require_system(servers.postgres_bindir() is not None, "postgresql")
    with servers.postgres() as cluster:
        url = cluster.create_database("accounts_test")
        app = create_app({**app_config, "DATABASE_URL": url, "DATABASE_AUTO_UPGRADE": False})
        app.test_client_class = BufferedClient
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        runner = app.test_cli_runner()
        assert runner.invoke(args=["users", "add", "Sub@Example.com", "--role", "subscriber",
                                   "--audience", "newsletter:payments"]).exit_code == 0
        assert runner.invoke(args=["users", "add", "staff@example.com", "--role",
                                   "staff"]).exit_code == 0
        from gate.accounts import passwords

        with app.app_context():
            session = db.get_session()
            staff = session.scalar(select(User).where(User.email == "staff@example.com"))
            staff.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
            session.commit()
        client = app.test_client()
        assert post_form(client, "/auth/login", {
            "email": "staff@example.com", "password": TEST_PASSWORD}).status_code == 302
        assert signed_in_email(app, client) == "staff@example.com"
        # ten racing consumers of one token: exactly one wins, with PostgreSQL's row locks
        with app.app_context():
            session = db.get_session()
            sub = session.scalar(select(User).where(User.email == "sub@example.com"))
            token = tokens.issue(session, sub, "link", app.config, utcnow())
            session.commit()
        jti = tokens.read(token, "link", app.config).jti
        barrier, wins = threading.Barrier(10), []

        def race() -> None:
            with app.app_context():
                session = db.get_session()
                barrier.wait()
                wins.append(tokens.consume(session, jti, utcnow()))
                session.commit()

        threads = [threading.Thread(target=race) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(wins) == [False] * 9 + [True]
        assert runner.invoke(args=["users", "revoke", "staff@example.com"]).exit_code == 0
        assert signed_in_email(app, client) is None
        with app.app_context():
            assert db.get_session().scalar(select(func.count()).select_from(LoginSession)) == 0
        db.database(app).engine.dispose()
        cluster.drop_database("accounts_test")


def test_audit_lines_cannot_be_forged(app, client, login, caplog):
    caplog.set_level(logging.INFO, logger="gate.audit")
    login(client, "evil@example.com\r\n2026-01-01 audit action=signin outcome=ok", "x" * 12)
    lines = [r.getMessage() for r in caplog.records if r.name == "gate.audit"]
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]
