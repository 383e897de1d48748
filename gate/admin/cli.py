"""``sop-portal users edit|delete|restore``: the staff pages' services from a shell.

They join the ``users`` group of :mod:`gate.admin_cli`. Bad input exits 2 with one line on
standard error; a change ends with one line saying what happened.
"""

from __future__ import annotations

import click
from flask import Flask

from gate import mail
from gate.accounts.services import AccountError
from gate.admin import services
from gate.admin_cli import users_cli
from gate.db import get_session


def _fail(message: str) -> None:
    from gate.cli import fail

    fail(message)


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
        from gate.accounts import services as accounts

        user = accounts.require_user(db, email)
        changes = services.edit_user(db, user, None, email=new_email, name=name, role=role,
                                     account_name=account_name)
    except AccountError as exc:
        _fail(str(exc))
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
        from gate.accounts import services as accounts

        user = accounts.require_user(db, email)
        user_id = user.id
        services.delete_user(db, user, None)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"deleted user {user_id} (was {email.strip().lower()})")


@users_cli.command("restore")
@click.argument("email")
def users_restore(email: str) -> None:
    """Bring back a revoked or deleted user (a deleted one then needs an invitation)."""
    try:
        user = services.restore_by_email(get_session(), email, None)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"restored {user.email}")


def init_app(app: Flask) -> None:
    """Nothing to add: the commands joined ``users``, which :mod:`gate.admin_cli` registers."""
    _ = app
