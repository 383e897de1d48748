"""Admin commands: ``db upgrade``, ``db revision``, ``users ...``, ``audit``, ``mail ...``.

Every command changes the database through :mod:`gate.accounts` and records an audit event.
Bad input (unknown user, unknown audience, bad role, bad date) exits 2 with one line on
standard error (:func:`gate.cli.fail`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from gate import audit, mail
from gate import db as database
from gate.accounts import services as accounts
from gate.accounts.services import AccountError
from gate.db import get_session
from gate.models import User


def _fail(message: str) -> None:
    from gate.cli import fail

    fail(message)


db_cli = AppGroup("db", help="The database schema.")
users_cli = AppGroup("users", help="Users, their grants and their sessions.")
mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations: a new database, or one of any earlier release (data is kept)."""
    try:
        revision = database.upgrade()
    except database.SchemaError as exc:
        _fail(str(exc))
    click.echo(f"database schema at revision {revision} (the latest)")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What changes, e.g. 'add access requests'.")
def db_revision(message: str) -> None:
    """Write the next revision under migrations/versions/ from what the models changed."""
    try:
        path = database.revision(message)
    except database.SchemaError as exc:
        _fail(str(exc))
    click.echo(f"wrote {path}: review it, then run `sop-portal db upgrade`")


# ---- users ----

def _parse_until(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"bad --until {value!r}: expected an ISO date such as 2026-12-31")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@users_cli.command("add")
@click.argument("email")
@click.option("--role", default=None, help="client, subscriber or staff.")
@click.option("--name", default="", help="The person's name.")
@click.option("--account", "account_name", default=None, help="Client account name.")
@click.option("--account-type", default=None, help="Client account type (new accounts: eft).")
@click.option("--audience", "audience_values", multiple=True, help="An extra grant (repeatable).")
def users_add(email: str, role: str | None, name: str, account_name: str | None,
              account_type: str | None, audience_values: tuple[str, ...]) -> None:
    """Add a user (a client account is created when missing)."""
    from gate.admin import services

    try:
        if not role:
            raise AccountError("--role is required (client, subscriber or staff)")
        if account_name is not None and role != "client":
            raise AccountError("--account is only for client users")
        user = services.add_user(get_session(), current_app.config, None, email=email,
                                 role=role, name=name, account_name=account_name,
                                 account_type=account_type, extra=audience_values)
    except AccountError as exc:
        _fail(str(exc))
    grants = ", ".join(sorted(g.audience for g in user.grants)) or "none"
    click.echo(f"added {user.role} {user.email} (grants: {grants})")


def _user(email: str) -> User:
    try:
        return accounts.require_user(get_session(), email)
    except AccountError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@users_cli.command("invite")
@click.argument("email")
def users_invite(email: str) -> None:
    """Email the user a link to set their password (valid 72 hours)."""
    from gate.admin import services

    user = _user(email)
    try:
        services.invite(get_session(), user, None)
    except AccountError as exc:
        _fail(str(exc))
    # A command's process ends right after this: deliver now rather than in a background thread.
    report = mail.deliver_due(mail.current_app_object())
    if report.failed:
        click.echo(f"invitation for {user.email} queued: the mail server refused it "
                   "(see `sop-portal mail list`; it is retried)", err=True)
    else:
        click.echo(f"invitation sent to {user.email}")


@users_cli.command("grant")
@click.argument("email")
@click.argument("audience")
@click.option("--until", default=None, help="Last moment of the grant (ISO date or date-time).")
def users_grant(email: str, audience: str, until: str | None) -> None:
    """Give the user an audience (effective on their next request)."""
    from gate.admin import services

    user = _user(email)
    try:
        changed = services.grant(get_session(), current_app.config, user, None, audience,
                                 _parse_until(until))
    except AccountError as exc:
        _fail(str(exc))
    value = audience.strip()
    click.echo(f"{user.email} {'now holds' if changed else 'already holds'} {value}")


@users_cli.command("ungrant")
@click.argument("email")
@click.argument("audience")
def users_ungrant(email: str, audience: str) -> None:
    """Remove an audience from the user (effective on their next request)."""
    from gate.admin import services

    user = _user(email)
    value = audience.strip()
    try:
        services.ungrant(get_session(), current_app.config, user, None, value)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"{user.email} no longer holds {value}")


@users_cli.command("revoke")
@click.argument("email")
def users_revoke(email: str) -> None:
    """Revoke the user: no more sign-in, every session ends on its next request."""
    from gate.admin import services

    user = _user(email)
    try:
        services.revoke(get_session(), user, None)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"revoked {user.email}")


def user_row(user: User, now: datetime) -> dict[str, Any]:
    """One user as JSON-ready data for ``users list --json``."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "account": user.account.name if user.account else None,
        "account_type": user.account.account_type if user.account else None,
        "grants": [
            {"audience": g.audience,
             "ends_at": g.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ") if g.ends_at else None,
             "valid": g.is_valid(now)}
            for g in user.grants
        ],
        "password": user.has_password,
        "last_login_at": (
            user.last_login_at.strftime("%Y-%m-%dT%H:%M:%SZ") if user.last_login_at else None
        ),
    }


@users_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(as_json: bool) -> None:
    """List every user with role, state and grants."""
    from sqlalchemy import select

    from gate.models import utcnow

    now = utcnow()
    query = select(User).where(User.email.not_like("%@deleted.invalid")).order_by(User.email)
    rows = [user_row(u, now) for u in get_session().scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "active" if row["active"] else "REVOKED"
        grants = ", ".join(g["audience"] for g in row["grants"]) or "-"
        click.echo(f"{row['email']:<45} {row['role']:<10} {state:<8} {grants}")


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
        _fail(f"bad --since {value!r}: expected a date such as 2026-01-31")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command("audit")
@click.option("--since", default=None, help="Only events from this UTC date (or date-time) on.")
@click.option("--format", "fmt", default="csv", show_default=True, help="csv or json.")
@with_appcontext
def audit_command(since: str | None, fmt: str) -> None:
    """Print the audit trail (CSV cells are spreadsheet-safe)."""
    if fmt not in {"csv", "json"}:
        _fail(f"bad --format {fmt!r}: expected csv or json")
    rows = audit.events(get_session(), _parse_since(since))
    click.echo(audit.to_csv(rows) if fmt == "csv" else audit.to_json(rows), nl=fmt == "json")


# ---- mail ----

@mail_cli.command("list")
@click.option("--status", default=None, help="queued, sent or failed.")
def mail_list(status: str | None) -> None:
    """Show queued, sent and failed messages with their last error (never their body)."""
    if status not in {None, "queued", "sent", "failed"}:
        _fail(f"bad --status {status!r}: expected queued, sent or failed")
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
    import signal

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
    """Register the admin commands on ``app.cli``."""
    from gate.demo_cli import demo_command

    for command in (db_cli, users_cli, mail_cli, demo_command, audit_command):
        app.cli.add_command(command)
