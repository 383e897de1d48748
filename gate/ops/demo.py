"""``sop-portal demo``: the demo accounts of ``make serve`` (refused in production).

The demo users are created when missing. A password is set (and printed) only when its user
is created or ``--reset-passwords`` is given; otherwise every demo user keeps the password it
has, so the passwords printed by a running ``make serve`` keep working, and the JSON entry says
``"password": null, "password_unchanged": true``. Subscribers never have a password.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from gate import audit
from gate import db as database
from gate.accounts import passwords
from gate.accounts import services as accounts
from gate.cli_errors import fail
from gate.config import is_production, resolve_path
from gate.db import get_session
from gate.models import User
from gate.newsletter.sections import current_slugs

DEMO_ACCOUNT = "Demo Client"
DEMO_STAFF = "staff@demo.example.com"
DEMO_CLIENT = "client@demo.example.com"
RESET_HINT = "sop-portal demo --reset-passwords"


def subscriber_email(section: str) -> str:
    """The demo subscriber of one newsletter section."""
    return f"{section}@subscriber.demo.example.com"


def _ensure_user(email: str, role: str, name: str, account: Any = None) -> tuple[User, bool]:
    """The demo user (role, name and account put right, active again) and whether it is new."""
    db = get_session()
    user = accounts.find_user(db, email)
    created = user is None
    if user is None:
        user = accounts.create_user(db, email, role, name=name, account=account)
    changed = (user.role, user.account) != (role, account) or not user.active
    user.role, user.name, user.account = role, name, account
    if changed:
        accounts.reactivate(db, user)
        accounts.revoke_sessions(user, db)
    return user, created


def _password(user: User, created: bool, reset: bool) -> str | None:
    """A new password when the user is new, has none, or ``reset``; else None (kept)."""
    if not (created or reset or not user.password_hash):
        return None
    password = secrets.token_urlsafe(15)
    user.password_hash = passwords.hash_password(password, current_app.config)
    if not created:
        accounts.revoke_sessions(user, get_session())
    return password


def demo_users(reset_passwords: bool) -> list[dict[str, Any]]:
    """Create or put right the demo users; one entry per user as ``--json`` prints it."""
    db = get_session()
    people: list[dict[str, Any]] = []
    staff, staff_new = _ensure_user(DEMO_STAFF, "staff", "Demo Staff")
    account = accounts.ensure_account(db, DEMO_ACCOUNT, "eft")
    client, client_new = _ensure_user(DEMO_CLIENT, "client", "Demo Client User", account)
    for audience in ("clients", f"client:{account.slug}"):
        accounts.grant(db, client, audience)
    for user, created in ((staff, staff_new), (client, client_new)):
        password = _password(user, created, reset_passwords)
        people.append({"user": user, "password": password, "unchanged": password is None})
    sections = current_slugs() & {"store-setup", "payments"}
    for section in sorted(sections):
        subscriber, _ = _ensure_user(subscriber_email(section), "subscriber",
                                     f"Demo Subscriber ({section})")
        subscriber.password_hash = None
        accounts.set_newsletter_grants(db, subscriber, {section})
        people.append({"user": subscriber, "password": None, "unchanged": True})  # nosec B105
    db.flush()
    return [
        {
            "email": p["user"].email,
            "password": p["password"],
            "role": p["user"].role,
            "grants": sorted(g.audience for g in p["user"].grants),
            "password_unchanged": p["unchanged"],
        }
        for p in people
    ]


def _print_people(people: list[dict[str, Any]]) -> None:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    click.echo("Demo accounts:")
    for person in people:
        if person["role"] == "subscriber":
            secret = "(no password: one-time link)"  # nosec B105 - words, not a password
        elif person["password_unchanged"]:
            secret = "(password unchanged)"  # nosec B105 - words, not a password
        else:
            secret = person["password"]
        click.echo(f"  {person['role']:<10} {person['email']:<45} {secret}")
        click.echo(f"  {'':<10} grants: {', '.join(person['grants']) or 'everything (staff)'}")
    click.echo(f"Clients and staff: sign in at {base}/auth/login with the email and password.")
    click.echo(f"Passwords are kept from run to run; to get new ones: {RESET_HINT}")
    outbox = "the SMTP server" if current_app.config.get("SMTP_URL") else (
        f"the outbox {resolve_path(str(current_app.config['OUTBOX_DIR']))} and the server log"
    )
    click.echo(f"Subscribers: ask for a link at {base}/auth/link; it arrives in {outbox}.")


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@click.option("--reset-passwords", is_flag=True,
              help="Give the staff and client demo users new passwords (signs them out).")
@with_appcontext
def demo_command(as_json: bool, reset_passwords: bool) -> None:
    """Create the demo accounts when missing; passwords are kept unless --reset-passwords."""
    if is_production(current_app.config):
        fail("the demo accounts are refused in production mode (SOP_PORTAL_ENV=production)")
    database.upgrade()
    people = demo_users(reset_passwords)
    audit.record("demo.refresh", target=",".join(p["email"] for p in people),
                 detail="passwords reset" if reset_passwords else "")
    if as_json:
        click.echo(json.dumps(people, indent=2))
        return
    _print_people(people)
