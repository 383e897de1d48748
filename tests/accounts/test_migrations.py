"""Alembic migrations: a new database, a database of the previous release, the models' schema.

The previous release made its schema with ``create_all`` and wrote one ``schema_version`` row
(``gate/db.py`` at b021b56). :func:`previous_release_database` does the same from a frozen
copy of that release's tables, so these tests keep describing that release after the models
change. Each test runs on SQLite and on PostgreSQL (a database of its own in the session's
throwaway cluster).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
)

from gate import create_app, db
from gate.accounts import passwords
from gate.models import Base, User
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import TEST_PASSWORD, closing_connections_to

_names = itertools.count()


def previous_release_tables() -> MetaData:
    """The tables of the previous release, as its models declared them (frozen here)."""
    meta = MetaData()
    Table("schema_version", meta, Column("version", Integer, primary_key=True))
    Table("client_accounts", meta,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=False, unique=True),
          Column("slug", String(100), nullable=False, unique=True),
          Column("account_type", String(50), nullable=False),
          Column("created_at", DateTime, nullable=False))
    Table("users", meta,
          Column("id", Integer, primary_key=True),
          Column("email", String(320), nullable=False, unique=True),
          Column("name", String(200), nullable=False),
          Column("role", String(20), nullable=False),
          Column("active", Boolean, nullable=False),
          Column("password_hash", String(255)),
          Column("account_id", ForeignKey("client_accounts.id", ondelete="SET NULL")),
          Column("created_at", DateTime, nullable=False),
          Column("updated_at", DateTime, nullable=False),
          Column("last_login_at", DateTime),
          Column("password_changed_at", DateTime))
    Table("grants", meta,
          Column("id", Integer, primary_key=True),
          Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                 index=True),
          Column("audience", String(200), nullable=False),
          Column("ends_at", DateTime),
          Column("created_at", DateTime, nullable=False),
          UniqueConstraint("user_id", "audience"))
    Table("login_sessions", meta,
          Column("id", Integer, primary_key=True),
          Column("token_hash", String(64), nullable=False, unique=True),
          Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                 index=True),
          Column("created_at", DateTime, nullable=False),
          Column("last_seen_at", DateTime, nullable=False),
          Column("expires_at", DateTime, nullable=False),
          Column("remember", Boolean, nullable=False),
          Column("method", String(20), nullable=False))
    Table("tokens", meta,
          Column("id", Integer, primary_key=True),
          Column("jti", String(64), nullable=False, unique=True),
          Column("purpose", String(20), nullable=False),
          Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                 index=True),
          Column("created_at", DateTime, nullable=False),
          Column("expires_at", DateTime, nullable=False),
          Column("used_at", DateTime))
    Table("audit_events", meta,
          Column("id", Integer, primary_key=True),
          Column("at", DateTime, nullable=False, index=True),
          Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
          Column("email", String(320), nullable=False),
          Column("action", String(60), nullable=False),
          Column("target", String(500), nullable=False),
          Column("ip", String(64), nullable=False),
          Column("outcome", String(40), nullable=False),
          Column("detail", Text, nullable=False))
    Table("mail_messages", meta,
          Column("id", Integer, primary_key=True),
          Column("created_at", DateTime, nullable=False),
          Column("to_addr", String(320), nullable=False),
          Column("subject", String(200), nullable=False),
          Column("body", Text, nullable=False),
          Column("status", String(10), nullable=False, index=True),
          Column("attempts", Integer, nullable=False),
          Column("last_error", String(500), nullable=False),
          Column("next_attempt_at", DateTime, nullable=False),
          Column("sent_at", DateTime))
    return meta


OLD = previous_release_tables()
T0 = datetime(2026, 11, 20, 9, 30)  # naive UTC, as the previous release stored times


def _rows(password_hash: str) -> dict[str, list[dict]]:
    """Two accounts' worth of every kind of row the previous release kept."""
    later = T0 + timedelta(days=30)
    return {
        "client_accounts": [dict(id=1, name="Ann's Shop", slug="anns-shop",
                                 account_type="debit_order", created_at=T0)],
        "users": [
            dict(id=1, email="staff@example.com", name="Sam Staff", role="staff", active=True,
                 password_hash=password_hash, account_id=None, created_at=T0, updated_at=T0,
                 last_login_at=T0, password_changed_at=T0),
            dict(id=2, email="ann@shop.example", name="Ann", role="client", active=True,
                 password_hash=password_hash, account_id=1, created_at=T0, updated_at=T0,
                 last_login_at=None, password_changed_at=None),
            dict(id=3, email="sub@example.com", name="", role="subscriber", active=False,
                 password_hash=None, account_id=None, created_at=T0, updated_at=T0,
                 last_login_at=None, password_changed_at=None),
        ],
        "grants": [
            dict(id=1, user_id=2, audience="clients", ends_at=None, created_at=T0),
            dict(id=2, user_id=2, audience="client:anns-shop", ends_at=later, created_at=T0),
            dict(id=3, user_id=3, audience="newsletter:payments", ends_at=None, created_at=T0),
        ],
        "login_sessions": [dict(id=1, token_hash="a" * 64, user_id=1, created_at=T0,
                                last_seen_at=T0, expires_at=later, remember=True,
                                method="password")],
        "tokens": [dict(id=1, jti="j" * 32, purpose="invite", user_id=2, created_at=T0,
                        expires_at=later, used_at=None)],
        "audit_events": [
            dict(id=1, at=T0, user_id=1, email="staff@example.com", action="signin",
                 target="", ip="127.0.0.1", outcome="ok", detail=""),
            dict(id=2, at=T0, user_id=None, email="x@example.com", action="signin",
                 target="/members/", ip="::1", outcome="failed", detail="unknown user"),
        ],
        "mail_messages": [dict(id=1, created_at=T0, to_addr="ann@shop.example",
                               subject="Your invitation", body="", status="sent", attempts=1,
                               last_error="", next_attempt_at=T0, sent_at=T0)],
    }


def previous_release_database(url: str, password_hash: str) -> None:
    """Make the database the previous release's ``sop-portal db upgrade`` made, then fill it."""
    engine = db.make_engine(url)
    try:
        OLD.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(OLD.tables["schema_version"]).values(version=1))
            for name, rows in _rows(password_hash).items():
                connection.execute(insert(OLD.tables[name]), rows)
            if engine.dialect.name == "postgresql":  # create_all's sequences, as used
                for name, rows in _rows(password_hash).items():
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {len(rows)})"))
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table the previous release had (schema_version aside)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(
                        select(table).order_by(table.c.id))]
                    for name, table in OLD.tables.items() if name != "schema_version"}
    finally:
        engine.dispose()


def schema_differences(url: str, metadata: MetaData = Base.metadata) -> list:
    """What Alembic's autogenerate finds between the database at ``url`` and ``metadata``."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [d for d in compare_metadata(context, metadata)
                    if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no table at all, SQLite or PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"migrations_{next(_names)}"
    try:
        with closing_connections_to(name):
            yield cluster.create_database(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def config(app_config: dict, empty_url: str) -> dict:
    """The test configuration on ``empty_url``, with no upgrade when the app is created."""
    return {**app_config, "DATABASE_URL": empty_url, "DATABASE_AUTO_UPGRADE": False}


@pytest.fixture
def app(config: dict) -> Iterator[Flask]:
    """The app on ``empty_url``, not upgraded (its connections closed afterwards)."""
    app = create_app(config)
    yield app


def _upgrade(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_new_database_gets_exactly_the_models_schema(config, app):
    assert db.current_version(app) is None
    assert f"revision {db.head_revision()}" in _upgrade(app)
    assert db.current_version(app) == db.head_revision()
    assert schema_differences(config["DATABASE_URL"]) == []
    assert _upgrade(app) == _upgrade(app)  # repeatable


def test_the_first_revision_is_the_previous_release_schema(config, app):
    """Revision 0001 alone makes what the previous release's ``create_all`` made."""
    with db.database(app).engine.begin() as connection:
        db._migrate(connection, db.BASELINE)
    assert schema_differences(config["DATABASE_URL"], OLD) == []


def test_a_previous_release_database_is_upgraded_and_loses_nothing(config, app):
    url = config["DATABASE_URL"]
    previous_release_database(url, passwords.hash_password(TEST_PASSWORD, config))
    before = dump(url)
    assert db.current_version(app) is None
    client = app.test_client()
    assert client.get("/healthz").status_code == 503  # not upgraded yet
    _upgrade(app)
    assert db.current_version(app) == db.head_revision()
    assert dump(url) == before
    assert schema_differences(url) == []
    with db.database(app).engine.connect() as connection:
        assert "schema_version" not in inspect(connection).get_table_names()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        ann = db.get_session().scalar(select(User).where(User.email == "ann@shop.example"))
        assert ann.account.slug == "anns-shop"
        assert ann.audiences(ann.created_at + timedelta(days=1)) == {
            "clients", "client:anns-shop"}
    assert post_form(client, "/auth/login", {
        "email": "ann@shop.example", "password": TEST_PASSWORD}).status_code == 302
    assert signed_in_email(app, client) == "ann@shop.example"


def test_downgrading_gives_the_previous_release_its_database_back(config, app):
    url = config["DATABASE_URL"]
    previous_release_database(url, "")
    before = dump(url)
    _upgrade(app)
    with db.database(app).engine.begin() as connection:
        command.downgrade(db._alembic_config(connection), db.BASELINE)
        assert connection.execute(text("SELECT version FROM schema_version")).scalar() == 1
    assert dump(url) == before
    assert schema_differences(url, OLD) == []


def _one_line_error(app, args: list[str]) -> str:
    result = app.test_cli_runner().invoke(args=args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    return lines[0]


def test_a_database_from_a_newer_release_is_refused_and_left_alone(config, app):
    _upgrade(app)
    with db.database(app).engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    error = _one_line_error(app, ["db", "upgrade"])
    assert "'0999'" in error and "newer sop-portal" in error
    assert db.current_version(app) == "0999"


@pytest.mark.parametrize(("tables", "reason"), [
    (["users"], "no alembic_version or schema_version"),
    (["schema_version", "users"], "lacks audit_events, client_accounts, grants"),
])
def test_a_database_not_made_by_sop_portal_is_refused(config, app, tables, reason):
    with db.database(app).engine.begin() as connection:
        for name in tables:
            connection.execute(text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)"))
    assert reason in _one_line_error(app, ["db", "upgrade"])
    assert db.current_version(app) is None


@pytest.fixture
def scratch_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``migrations/`` that :mod:`gate.db` uses instead of the real one."""
    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(db, "MIGRATIONS_DIR", copy)
    return copy


def test_a_model_change_becomes_the_next_revision_in_one_command(config, app, scratch_migrations):
    assert "nothing to write" in _one_line_error(app, ["db", "revision", "-m", "no change"])
    models = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(models)
    Table("example_notes", models,
          Column("id", Integer, primary_key=True),
          Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), index=True),
          Column("at", DateTime, nullable=False))
    path = db.revision("add example notes", models)
    head = int(db.head_revision())
    assert path.parent == scratch_migrations / "versions"
    assert path.name == f"{head:04d}_add_example_notes.py"
    source = path.read_text()
    assert f"down_revision: str | None = '{head - 1:04d}'" in source
    assert "gate" not in source  # a revision outlives the models it was made from
    assert "nothing to write" not in _upgrade(app)
    assert schema_differences(config["DATABASE_URL"], models) == []


def test_the_migrations_are_one_line_of_revisions():
    scripts = db._scripts(db.MIGRATIONS_DIR)
    revisions = list(scripts.walk_revisions())
    assert scripts.get_heads() == [db.head_revision()]
    assert [r.revision for r in reversed(revisions)] == [
        f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert scripts.get_base() == db.BASELINE
