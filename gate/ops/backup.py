"""``sop-portal backup FILE`` and ``sop-portal restore FILE``: the database, copied while the
server runs.

SQLite (the embedded default) is copied with SQLite's online backup API, which gives a
consistent snapshot however many requests write meanwhile, and restored the same way into the
live file (running gates see the restored data on their next query). PostgreSQL uses
``pg_dump --format=custom`` (one consistent snapshot) and ``pg_restore --clean`` in a single
transaction. ``restore`` replaces the database named by ``DATABASE_URL`` without prompting.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump and pg_restore, fixed arguments
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from gate.cli_errors import fail
from gate.db import database
from gate.exceptions import GateError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PG_TIMEOUT = 3600


class BackupError(GateError, RuntimeError):
    """A backup or restore cannot be done; the message says why."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file to back up")
    return Path(url.database)


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the live database ``source`` to ``target`` consistently (SQLite's backup API)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(partial) as copy:
        live.backup(copy)
    live.close()
    copy.close()
    os.replace(partial, target)


def restore_sqlite(backup: Path, target: Path) -> None:
    """Replace the database ``target`` with ``backup`` (checked first) through the backup API."""
    if _header(backup) != SQLITE_MAGIC:
        raise BackupError(f"{backup} is not an SQLite backup")
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as saved:
        check = saved.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"{backup} is damaged: {check[0] if check else 'unreadable'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(target, timeout=30) as live:
            saved.backup(live)
        live.close()
    saved.close()


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name)
                        if p.parent.parent.name.isdigit() else 0)
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools "
                          "(make system-deps)")
    return str(candidates[-1])


def _pg_target(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URL (no password) and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 # nosec B603 - fixed tool, our arguments
            argv, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{what} failed: {exc}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else result.returncode}")


def backup_postgres(url: URL, target: Path) -> None:
    """``pg_dump --format=custom`` of the database to ``target`` (one consistent snapshot)."""
    libpq, env = _pg_target(url)
    partial = target.with_name(target.name + ".partial")
    _run_pg([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial),
             "--dbname", libpq], env, "pg_dump")
    os.replace(partial, target)


def restore_postgres(backup: Path, url: URL) -> None:
    """Replace the database's objects with those of a ``pg_dump`` backup, in one transaction."""
    if _header(backup)[:5] != PG_DUMP_MAGIC:
        raise BackupError(f"{backup} is not a PostgreSQL backup (pg_dump --format=custom)")
    libpq, env = _pg_target(url)
    _run_pg([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
             "--single-transaction", "--exit-on-error", "--dbname", libpq, str(backup)],
            env, "pg_restore")


def backup_database(database_url: str, target: Path) -> None:
    """Back up the database named by ``database_url`` to ``target``."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        backup_sqlite(_sqlite_path(url), target)
    elif backend == "postgresql":
        backup_postgres(url, target)
    else:
        raise BackupError(f"cannot back up a {backend} database")


def restore_database(backup: Path, database_url: str) -> None:
    """Replace the database named by ``database_url`` with the backup ``backup``."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        restore_sqlite(backup, _sqlite_path(url))
    elif backend == "postgresql":
        restore_postgres(backup, url)
    else:
        raise BackupError(f"cannot restore a {backend} database")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent copy of the database (DATABASE_URL) to FILE, while it serves."""
    try:
        backup_database(str(current_app.config["DATABASE_URL"]), file)
    except (BackupError, sqlite3.Error, OSError) as exc:
        fail(f"backup failed: {exc}")
    click.echo(f"backed up the database to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Replace the database (DATABASE_URL) with the backup FILE, without asking."""
    database(current_app).engine.dispose()  # this process holds no connection meanwhile
    try:
        restore_database(file, str(current_app.config["DATABASE_URL"]))
    except (BackupError, sqlite3.Error, OSError) as exc:
        fail(f"restore failed: {exc}")
    click.echo(f"restored the database from {file}")


def init_app(app: Flask) -> None:
    """Register ``sop-portal backup`` and ``sop-portal restore``."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
