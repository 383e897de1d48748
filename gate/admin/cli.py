"""``sop-portal users ...``: the staff pages' services from a shell.

Add, invite, grant, ungrant, revoke, edit, delete, restore and list users. Bad input exits 2
with one line on standard error (:func:`gate.cli_errors.fail`); a change ends with one line
saying what happened.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gate import mail
from gate.accounts import services as accounts
from gate.accounts.services import AccountError
from gate.admin import services
from gate.cli_errors import fail
from gate.db import get_session
from gate.models import User, utcnow

users_cli = AppGroup("users", help="Users, their grants and their sessions.")


def _parse_until(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"bad --until {value!r}: expected an ISO date such as 2026-12-31")
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
    try:
        if not role:
            raise AccountError("--role is required (client, subscriber or staff)")
        if account_name is not None and role != "client":
            raise AccountError("--account is only for client users")
        user = services.add_user(get_session(), current_app.config, None, email=email,
                                 role=role, name=name, account_name=account_name,
                                 account_type=account_type, extra=audience_values)
    except AccountError as exc:
        fail(str(exc))
    grants = ", ".join(sorted(g.audience for g in user.grants)) or "none"
    click.echo(f"added {user.role} {user.email} (grants: {grants})")


def _user(email: str) -> User:
    try:
        return accounts.require_user(get_session(), email)
    except AccountError as exc:
        fail(str(exc))


@users_cli.command("invite")
@click.argument("email")
def users_invite(email: str) -> None:
    """Email the user a link to set their password (valid 72 hours)."""
    user = _user(email)
    try:
        services.invite(get_session(), user, None)
    except AccountError as exc:
        fail(str(exc))
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
    user = _user(email)
    try:
        changed = services.grant(get_session(), current_app.config, user, None, audience,
                                 _parse_until(until))
    except AccountError as exc:
        fail(str(exc))
    value = audience.strip()
    click.echo(f"{user.email} {'now holds' if changed else 'already holds'} {value}")


@users_cli.command("ungrant")
@click.argument("email")
@click.argument("audience")
def users_ungrant(email: str, audience: str) -> None:
    """Remove an audience from the user (effective on their next request)."""
    user = _user(email)
    value = audience.strip()
    try:
        services.ungrant(get_session(), current_app.config, user, None, value)
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"{user.email} no longer holds {value}")


@users_cli.command("revoke")
@click.argument("email")
def users_revoke(email: str) -> None:
    """Revoke the user: no more sign-in, every session ends on its next request."""
    user = _user(email)
    try:
        services.revoke(get_session(), user, None)
    except AccountError as exc:
        fail(str(exc))
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


@users_cli.command("edit")
@click.argument("email")
@click.option("--email", "new_email", default=None, help="The new email address.")
@click.option("--name", default=None, help="The person's name.")
@click.option("--role", default=None, help="client, subscriber or staff.")
@click.option("--account", "account_name", default=None,
              help="Move a client to this account (created when missing).")
def users_edit(email: str, new_email: str | None, name: str | None, role: str | None,
               account_name: str | None) -> None:
    """Change a user's email, name, role or client account.

    A new email ends the user's links and sessions and mails both addresses; a move to
    another account swaps their client: grant and ends their sessions.
    """
    db = get_session()
    try:
        user = accounts.require_user(db, email)
        changes = services.edit_user(db, user, None, email=new_email, name=name, role=role,
                                     account_name=account_name)
    except AccountError as exc:
        fail(str(exc))
    if any(change.startswith("email") for change in changes):
        mail.deliver_due(mail.current_app_object())
    click.echo(f"{user.email}: {', '.join(changes)}" if changes else f"{user.email}: no change")


@users_cli.command("delete")
@click.argument("email")
def users_delete(email: str) -> None:
    """Delete a user: no more sign-in, out of the lists, personal data erased; the audit
    trail keeps their id (`users restore EMAIL` brings them back)."""
    db = get_session()
    try:
        user = accounts.require_user(db, email)
        user_id = user.id
        services.delete_user(db, user, None)
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"deleted user {user_id} (was {email.strip().lower()})")


@users_cli.command("restore")
@click.argument("email")
def users_restore(email: str) -> None:
    """Bring back a revoked or deleted user (a deleted one then needs an invitation)."""
    try:
        user = services.restore_by_email(get_session(), email, None)
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"restored {user.email}")


def init_app(app: Flask) -> None:
    """Register ``sop-portal users`` on ``app.cli``."""
    app.cli.add_command(users_cli)
