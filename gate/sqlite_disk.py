"""SQLite on disk: the connection settings that bound its write-ahead log, and the disk checks.

Every SQLite connection runs in WAL mode with a busy timeout and foreign keys; the log is
checkpointed every :data:`WAL_AUTOCHECKPOINT_PAGES` pages and cut back to
:data:`WAL_SIZE_LIMIT` bytes afterwards. A production start (:func:`gate.db.init_app`)
refuses a disk without room for that log plus ``SQLITE_MIN_FREE_MB`` (:func:`check_free_space`)
and empties the log (:func:`checkpoint`); ``/healthz`` repeats the free-space check.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from gate.config import ConfigError

WAL_SIZE_LIMIT = 4 * 1024 * 1024
"""Bytes a SQLite write-ahead log is cut back to after each checkpoint (``journal_size_limit``)."""
WAL_AUTOCHECKPOINT_PAGES = 1000
"""Pages in the write-ahead log that make SQLite checkpoint it after a commit."""

OnConnect = Callable[[DBAPIConnection, ConnectionPoolEntry], None]
"""What SQLAlchemy's ``connect`` event calls with each new driver connection."""


def pragmas(busy_timeout_ms: int) -> OnConnect:
    """The ``connect`` listener that sets up each SQLite connection (WAL, bounds, timeout)."""

    def on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Bound the write-ahead log: checkpoint every N pages, cut the file back afterwards.
        cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        cursor.close()

    return on_connect


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite ``url``; None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def check_free_space(path: Path, min_free_mb: int) -> None:
    """Refuse to start when the disk of ``path`` lacks room for the write-ahead log plus
    ``min_free_mb`` megabytes (a full disk turns every sign-in into a 503)."""
    free = shutil.disk_usage(path.parent).free
    needed = WAL_SIZE_LIMIT + min_free_mb * 1024 * 1024
    if free < needed:
        raise ConfigError(
            f"the disk holding {path} has {free // (1024 * 1024)} MB free; SQLite needs at "
            f"least {needed // (1024 * 1024)} MB (SQLITE_MIN_FREE_MB={min_free_mb} plus the "
            "write-ahead log): free some space, or move to PostgreSQL"
        )


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database and truncate it to zero bytes."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
