"""The database: one SQLAlchemy engine per app, one session per app context, schema upgrades.

SQLite (the embedded default, a file in the instance folder) runs in WAL mode with a busy
timeout so readers never wait for the writer and writers queue briefly instead of failing;
``DATABASE_URL=postgresql+psycopg://...`` selects PostgreSQL. A database that stays locked
answers 503 with ``Retry-After``, never a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable

from gate.models import SCHEMA_VERSION, Base, SchemaVersion

log = logging.getLogger(__name__)

_EXTENSION = "sop_db"


@dataclass
class Database:
    """The engine and session factory bound to one app."""

    engine: Engine
    sessions: sessionmaker[Session]


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return on_connect


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": busy_timeout_ms / 1000}, pool_pre_ping=False
        )
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    return target.extensions[_EXTENSION]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The SQLAlchemy session of the current app context (closed at teardown)."""
    if not has_app_context():
        raise RuntimeError("get_session() needs an application context")
    session: Session | None = g.get("_sop_db_session")
    if session is None:
        session = database().sessions()
        g._sop_db_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_sop_db_session", None)
    if session is not None:
        session.close()


def upgrade(app: Flask | None = None) -> int:
    """Create missing tables and record the schema version; returns the version."""
    db = database(app)
    Base.metadata.create_all(db.engine)
    with db.sessions() as session:
        row = session.scalar(select(SchemaVersion))
        if row is None:
            session.add(SchemaVersion(version=SCHEMA_VERSION))
        elif row.version < SCHEMA_VERSION:
            row.version = SCHEMA_VERSION
        session.commit()
    return SCHEMA_VERSION


def current_version(app: Flask | None = None) -> int | None:
    """The schema version recorded in the database, or None before the first upgrade."""
    db = database(app)
    with db.engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version FROM schema_version")).scalar()
        except DBAPIError:  # no such table (OperationalError or ProgrammingError)
            return None


def check_database() -> None:
    """Health check: raise when the database does not answer or was never upgraded."""
    with database().engine.connect() as connection:
        version = connection.execute(text("SELECT version FROM schema_version")).scalar()
    if version is None:
        raise RuntimeError("the database schema was never created (sop-portal db upgrade)")


def is_lock_error(exc: OperationalError) -> bool:
    """True when SQLite reported a lock or busy condition."""
    message = str(getattr(exc, "orig", exc)).lower()
    return "locked" in message or "busy" in message


def handle_operational_error(exc: OperationalError) -> Response:
    """A locked or unreachable database answers 503 with ``Retry-After``, never a traceback."""
    from gate.errors import handle_http_error

    reason = "locked" if is_lock_error(exc) else "unavailable"
    # Only the driver's short message: the statement and its parameters may carry secrets.
    log.warning("database %s: %s", reason, type(getattr(exc, "orig", exc)).__name__)
    if has_app_context():
        _close_session(None)
        # The error page must not touch the database: show it as to an anonymous visitor.
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    retry = int(current_app.config.get("DATABASE_RETRY_AFTER", 2))
    return handle_http_error(
        ServiceUnavailable(
            description="The service is busy. Please try again in a moment.", retry_after=retry
        )
    )


def init_app(app: Flask) -> None:
    """Create the engine, close sessions at teardown, add the health check and error handler."""
    from gate import site

    app.config.setdefault("DATABASE_BUSY_TIMEOUT_MS", 5000)
    app.config.setdefault("DATABASE_RETRY_AFTER", 2)
    app.config.setdefault("DATABASE_AUTO_UPGRADE", bool(app.testing))
    engine = make_engine(app.config["DATABASE_URL"], int(app.config["DATABASE_BUSY_TIMEOUT_MS"]))
    app.extensions[_EXTENSION] = Database(
        engine=engine, sessions=sessionmaker(engine, expire_on_commit=False)
    )
    app.teardown_appcontext(_close_session)
    app.register_error_handler(OperationalError, handle_operational_error)
    if check_database not in site.health_checks:
        site.health_checks.append(check_database)
    if app.config["DATABASE_AUTO_UPGRADE"]:
        upgrade(app)
