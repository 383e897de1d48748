"""The database: one SQLAlchemy engine per app, one session per app context, Alembic migrations.

SQLite (the embedded default, a file in the instance folder) runs in WAL mode with a busy
timeout so readers never wait for the writer and writers queue briefly instead of failing;
``DATABASE_URL=postgresql+psycopg://...`` selects PostgreSQL. A database that stays locked
answers 503 with ``Retry-After``, never a traceback. The write-ahead log is bounded, and a
production start checks the disk and empties the log (:mod:`gate.sqlite_disk`).

The schema is the Alembic revisions under ``migrations/`` (:func:`upgrade`, run by ``sop-portal
db upgrade``); :func:`revision` writes the next one from what the models changed. A database of
the previous release (``create_all`` plus a ``schema_version`` row) is stamped at the first
revision, whose schema it has, and upgraded from there.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable

from gate.config import ConfigError, is_production
from gate.errors import handle_http_error
from gate.exceptions import GateError
from gate.extensions import login_manager
from gate.models import Base
from gate.sqlite_disk import check_free_space, checkpoint, pragmas, sqlite_path

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
"""The Alembic scripts: ``migrations/`` beside the ``gate`` package, in a checkout and in an
installed copy alike (the wheel ships it as top-level package data)."""
BASELINE = "0001"
"""The first revision: the schema the previous release made with ``create_all``."""
LEGACY_TABLE = "schema_version"
LEGACY_TABLES = frozenset({
    "schema_version", "client_accounts", "users", "grants", "login_sessions", "tokens",
    "audit_events", "mail_messages",
})
"""Every table the previous release created (revision :data:`BASELINE`)."""

_EXTENSION = "sop_db"
DRIVER_EXTRAS = {"postgresql": "postgres"}
"""Database backends whose driver comes with an extra of the sop-portal package."""


@dataclass
class Database:
    """The engine and session factory bound to one app."""

    engine: Engine
    sessions: sessionmaker[Session]


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": busy_timeout_ms / 1000}, pool_pre_ping=False
        )
        event.listen(engine, "connect", pragmas(busy_timeout_ms))
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError as exc:
        backend = parsed.get_backend_name()
        extra = DRIVER_EXTRAS.get(backend)
        hint = f"pip install 'sop-portal[{extra}]'" if extra else "install its driver"
        raise ConfigError(
            f"DATABASE_URL names {backend}, but its driver is not installed "
            f"({exc.name or exc}): {hint}"
        ) from None


def database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    found: Database = target.extensions[_EXTENSION]
    return found


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


class SchemaError(GateError, RuntimeError):
    """The database cannot be brought to this release's schema (one line for the CLI)."""


def _alembic_config(connection: Connection, **attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(connection=connection, **attributes)
    return config


@cache
def _scripts(directory: Path) -> ScriptDirectory:
    """The revisions under ``directory`` (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.set_main_option("path_separator", "os")
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The latest revision under ``migrations/versions/``."""
    head = _scripts(MIGRATIONS_DIR).get_current_head()
    if head is None:
        raise SchemaError(f"no revisions under {MIGRATIONS_DIR / 'versions'}")
    return head


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _migrate(connection: Connection, target: str, **attributes: Any) -> None:
    """Run the revisions from the database's revision up to ``target`` on ``connection``."""
    scripts = _scripts(MIGRATIONS_DIR)
    config = _alembic_config(connection, **attributes)
    with EnvironmentContext(
        config, scripts, destination_rev=target,
        fn=lambda revision, _context: scripts._upgrade_revs(target, revision),
    ):
        scripts.run_env()


def _prepare(connection: Connection) -> None:
    """Refuse a database this release cannot upgrade; stamp one the previous release made.

    The previous release created every table with ``create_all`` and recorded a number in
    ``schema_version``: its schema is exactly revision :data:`BASELINE`, so such a database
    is stamped at that revision and the next revision drops ``schema_version``.
    """
    tables = set(inspect(connection).get_table_names())
    current = _revision_of(connection)
    if current is not None:
        try:
            _scripts(MIGRATIONS_DIR).get_revision(current)
        except CommandError:
            raise SchemaError(
                f"the database is at revision {current!r}, which this release does not know "
                "(was it upgraded by a newer sop-portal?)"
            ) from None
        return
    if LEGACY_TABLE in tables:
        missing = sorted(LEGACY_TABLES - tables)
        if missing:
            raise SchemaError(
                f"the database has a {LEGACY_TABLE} table but lacks {', '.join(missing)}: "
                "it was not made by sop-portal"
            )
        MigrationContext.configure(connection).stamp(_scripts(MIGRATIONS_DIR), BASELINE)
        log.info("database made by the previous release: stamped at revision %s", BASELINE)
    elif tables & LEGACY_TABLES:
        raise SchemaError(
            "the database has tables but no alembic_version or schema_version: "
            "it was not made by sop-portal"
        )


def upgrade(app: Flask | None = None) -> str:
    """Bring the database to the latest revision (new, previous release's, or older revision).

    Returns the revision the database is at. Raises :class:`SchemaError` for a database this
    release does not know how to upgrade (it is left as it was).
    """
    with database(app).engine.begin() as connection:
        _prepare(connection)
        _migrate(connection, "head")
        revision = _revision_of(connection)
    if revision is None:
        raise SchemaError("the migrations left no revision in alembic_version")
    return revision


def revision(message: str, metadata: MetaData = Base.metadata) -> Path:
    """Write the next revision under ``migrations/versions/``: what ``metadata`` (the models)
    declares beyond the latest revision, found by Alembic's autogenerate; returns its path.

    The comparison runs against a throwaway SQLite database upgraded to the latest revision,
    so the result never depends on the state of the configured database.
    """
    if not message.strip():
        raise SchemaError("the revision needs a message, e.g. -m 'add access requests'")

    def refuse_empty(_context: MigrationContext, _revision: object,
                     directives: list[MigrationScript]) -> None:
        upgrade_ops = directives[0].upgrade_ops
        if upgrade_ops is None or upgrade_ops.is_empty():
            raise SchemaError("the models match the latest revision: nothing to write")

    scripts = _scripts(MIGRATIONS_DIR)
    number = sum(1 for _ in scripts.walk_revisions()) + 1
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'head.sqlite3'}")
        try:
            with engine.begin() as connection:
                _migrate(connection, "head")
                written = command.revision(
                    _alembic_config(connection, metadata=metadata, directives=refuse_empty),
                    message=message.strip(), autogenerate=True, rev_id=f"{number:04d}",
                )
        finally:
            engine.dispose()
    _scripts.cache_clear()
    if not isinstance(written, Script):  # one revision asked for, one written
        raise SchemaError("Alembic wrote no revision")
    return Path(written.path)


def current_version(app: Flask | None = None) -> str | None:
    """The revision the database is at, or None before the first ``db upgrade``."""
    with database(app).engine.connect() as connection:
        return _revision_of(connection)


def check_database() -> None:
    """Health check: raise when the database does not answer or is not at the latest revision."""
    with database().engine.connect() as connection:
        current = _revision_of(connection)
    if current is None:
        raise RuntimeError("the database schema was never created (sop-portal db upgrade)")
    if current != head_revision():
        raise RuntimeError(
            f"the database is at revision {current}, this release needs {head_revision()} "
            "(sop-portal db upgrade)"
        )


def is_lock_error(exc: OperationalError) -> bool:
    """True when SQLite reported a lock or busy condition."""
    message = str(getattr(exc, "orig", exc)).lower()
    return "locked" in message or "busy" in message


def handle_operational_error(exc: OperationalError) -> Response:
    """A locked or unreachable database answers 503 with ``Retry-After``, never a traceback."""
    reason = "locked" if is_lock_error(exc) else "unavailable"
    # Only the driver's short message: the statement and its parameters may carry secrets.
    log.warning("database %s: %s", reason, type(getattr(exc, "orig", exc)).__name__)
    if has_app_context():
        _close_session(None)
        # The error page must not touch the database: show it as to an anonymous visitor.
        g._login_user = login_manager.anonymous_user()
    retry = int(current_app.config.get("DATABASE_RETRY_AFTER", 2))
    return handle_http_error(
        ServiceUnavailable(
            description="The service is busy. Please try again in a moment.", retry_after=retry
        )
    )


def init_app(app: Flask) -> None:
    """Create the engine, close sessions at teardown, add the error handler."""
    path = sqlite_path(app.config["DATABASE_URL"])
    if path is not None and is_production(app.config):
        path.parent.mkdir(parents=True, exist_ok=True)
        check_free_space(path, int(app.config["SQLITE_MIN_FREE_MB"]))
    engine = make_engine(app.config["DATABASE_URL"], int(app.config["DATABASE_BUSY_TIMEOUT_MS"]))
    if path is not None and is_production(app.config) and path.exists():
        checkpoint(engine)
    app.extensions[_EXTENSION] = Database(
        engine=engine, sessions=sessionmaker(engine, expire_on_commit=False)
    )
    app.teardown_appcontext(_close_session)
    app.register_error_handler(OperationalError, handle_operational_error)
    if app.config["DATABASE_AUTO_UPGRADE"]:
        upgrade(app)
