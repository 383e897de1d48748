"""Operator commands: ``db upgrade``, ``db revision``, ``demo``, ``audit``, ``mail ...``.

Bad input (a bad date, status or format, a schema that cannot be upgraded) exits 2 with one
line on standard error (:func:`gate.cli_errors.fail`). The ``users ...`` commands are the
staff pages' services from a shell: they live in :mod:`gate.admin.cli`.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, date, datetime

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from gate import audit, mail
from gate import db as database
from gate.cli_errors import fail
from gate.db import get_session
from gate.ops.demo import demo_command

db_cli = AppGroup("db", help="The database schema.")
mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations: a new database, or one of any earlier release (data is kept)."""
    try:
        revision = database.upgrade()
    except database.SchemaError as exc:
        fail(str(exc))
    click.echo(f"database schema at revision {revision} (the latest)")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What changes, e.g. 'add access requests'.")
def db_revision(message: str) -> None:
    """Write the next revision under migrations/versions/ from what the models changed."""
    try:
        path = database.revision(message)
    except database.SchemaError as exc:
        fail(str(exc))
    click.echo(f"wrote {path}: review it, then run `sop-portal db upgrade`")


# ---- audit ----

def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"bad --since {value!r}: expected a date such as 2026-01-31")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command("audit")
@click.option("--since", default=None, help="Only events from this UTC date (or date-time) on.")
@click.option("--format", "fmt", default="csv", show_default=True, help="csv or json.")
@with_appcontext
def audit_command(since: str | None, fmt: str) -> None:
    """Print the audit trail (CSV cells are spreadsheet-safe)."""
    if fmt not in {"csv", "json"}:
        fail(f"bad --format {fmt!r}: expected csv or json")
    rows = audit.events(get_session(), _parse_since(since))
    click.echo(audit.to_csv(rows) if fmt == "csv" else audit.to_json(rows), nl=fmt == "json")


# ---- mail ----

@mail_cli.command("list")
@click.option("--status", default=None, help="queued, sent or failed.")
def mail_list(status: str | None) -> None:
    """Show queued, sent and failed messages with their last error (never their body)."""
    if status not in {None, "queued", "sent", "failed"}:
        fail(f"bad --status {status!r}: expected queued, sent or failed")
    for message in mail.listing(get_session(), status):
        error = f"  error: {audit.clean(message.last_error, 200)}" if message.last_error else ""
        click.echo(
            f"{message.id:>6} {message.status:<7} attempts={message.attempts} "
            f"{message.created_at:%Y-%m-%d %H:%M}Z {message.to_addr} "
            f"{audit.clean(message.subject, 80)!s}{error}"
        )


@mail_cli.command("retry")
def mail_retry() -> None:
    """Retry queued and failed messages now."""
    count = mail.retry_now(get_session())
    report = mail.deliver_due(mail.current_app_object())
    click.echo(f"{count} message(s) retried: {report.sent} sent, {report.failed} failed")
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("worker")
@click.option("--poll", type=click.FloatRange(min=0.05), default=None,
              help="Seconds between looks at the queue (default: MAIL_POLL_SECONDS, 1).")
@click.option("--once", is_flag=True, help="Deliver what is due once, then exit.")
@click.option("--parent", type=click.IntRange(min=1), default=None, hidden=True,
              help="Exit when this process (the gunicorn of `sop-portal serve`) is gone.")
def mail_worker(poll: float | None, once: bool, parent: int | None) -> None:
    """Deliver queued mail and retry failures until stopped (SIGTERM or Ctrl-C)."""
    stop = {"now": False}

    def request_stop(_signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    app = mail.current_app_object()
    report = mail.run_worker(
        app, poll=float(poll or app.config["MAIL_POLL_SECONDS"]), once=once,
        should_stop=lambda: stop["now"] or (parent is not None and not _alive(parent)),
    )
    if once:
        click.echo(f"{report.sent} sent, {report.failed} failed")


def _alive(pid: int) -> bool:
    """True while process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def init_app(app: Flask) -> None:
    """Register the database, mail, demo and audit commands on ``app.cli``."""
    for command in (db_cli, mail_cli, demo_command, audit_command):
        app.cli.add_command(command)
