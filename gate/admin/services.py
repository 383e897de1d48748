"""The rules of every staff operation on users and client accounts.

The staff pages (:mod:`gate.admin.routes`) and the ``sop-portal users ...`` commands call these
same functions. Each takes the SQLAlchemy session and the acting staff member (``actor``: the
signed-in :class:`~gate.accounts.sessions.CurrentUser`, or None for the command line), changes the
database, writes one audit event naming who did it, and commits. Bad input raises
:class:`~gate.accounts.services.AccountError` with one line for a person, before anything changes.

Rules (DESIGN.md "Commands"): changing an email ends the user's links and sessions and mails
both addresses; moving a user to another account swaps their ``client:`` grant and ends their
sessions; renaming an account keeps its slug; a deleted user can no longer sign in, leaves the
lists and has their personal data erased, while the audit trail keeps their id; a staff member
cannot remove their own staff role, revoke or delete themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gate import audit, mail
from gate.accounts import services as accounts
from gate.accounts.services import AccountError
from gate.api.services import account_type_names
from gate.models import (
    ROLES,
    ClientAccount,
    LoginSession,
    RecoveryCode,
    TokenRecord,
    TotpCredential,
    User,
    utcnow,
)
from gate.newsletter.sections import current_slugs
from gate.privacy import erasure

DELETED_DOMAIN = "deleted.invalid"
"""Deleted users keep their row (and id) under an address in this reserved domain."""


class Actor(Protocol):
    """Who is acting: a signed-in staff member (``CurrentUser`` or ``User``)."""

    id: int
    email: str


def by(actor: Actor | None) -> str:
    """Who did it, as an audit event's detail starts: ``by <email>``."""
    return f"by {actor.email}" if actor is not None else "by the command line"


def _record(action: str, subject: User, actor: Actor | None, *, target: str = "",
            detail: str = "", email: str | None = None, db: Session | None = None) -> None:
    """One audit event about ``subject`` (their id), naming the actor; commits."""
    text = "; ".join(part for part in (by(actor), detail) if part)
    audit.record(action, user=subject, email=email, target=target or subject.email,
                 detail=text, session=db)


def _is_self(user: User, actor: Actor | None) -> bool:
    return actor is not None and actor.id == user.id


def is_deleted(user: User) -> bool:
    """True for a deleted user (personal data erased, id kept)."""
    return user.email.endswith("@" + DELETED_DOMAIN)


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:40]


def end_links(db: Session, user: User) -> int:
    """Mark every unused emailed link (invitation, reset, sign-in) of ``user`` used."""
    result = db.execute(
        update(TokenRecord)
        .where(TokenRecord.user_id == user.id, TokenRecord.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def audiences(db: Session, config: Mapping[str, Any], values: Iterable[str]) -> list[str]:
    """The audiences named by ``values``, each checked (AccountError for an unknown one)."""
    sections = current_slugs()  # the map the app loaded at start-up
    return [accounts.validate_audience(db, value, sections) for value in values if value.strip()]


# ---- adding and inviting ----

def add_user(db: Session, config: Mapping[str, Any], actor: Actor | None, *, email: str,
             role: str, name: str = "", account_name: str | None = None,
             account_type: str | None = None, extra: Iterable[str] = ()) -> User:
    """A new user (a client account is created when missing, its slug from its name)."""
    if role not in ROLES:
        raise AccountError(f"bad role: {role!r} (expected client, subscriber or staff)")
    if account_name and role != "client":
        raise AccountError("an account is only for client users")
    if account_type and account_type not in account_type_names(config):
        raise AccountError(f"unknown account type: {account_type!r}")
    try:
        account = accounts.ensure_account(db, account_name, account_type) if account_name else None
        user = accounts.create_user(db, email, role, name=name, account=account)
        for audience in audiences(db, config, extra):
            accounts.grant(db, user, audience)
    except AccountError:
        db.rollback()
        raise
    _record("user.add", user, actor, detail=f"role={role}")
    return user


def invite(db: Session, user: User, actor: Actor | None) -> None:
    """Email the user a link to choose their password (the caller dispatches the mail)."""
    _check_mailable(user)
    accounts.send_token_mail(user, "invite")
    _record("user.invite", user, actor)


def send_reset(db: Session, user: User, actor: Actor | None) -> None:
    """Email the user a link to choose a new password (the caller dispatches the mail)."""
    _check_mailable(user)
    accounts.send_token_mail(user, "reset")
    _record("reset.request", user, actor, target="staff")


def _check_mailable(user: User) -> None:
    if is_deleted(user):
        raise AccountError("this user is deleted (restore them first)")
    if user.role == "subscriber":
        raise AccountError(f"{user.email} is a subscriber: subscribers sign in with a "
                           "one-time link")
    if not user.active:
        raise AccountError(f"{user.email} is revoked (restore them first)")


# ---- editing ----

def _change_email(db: Session, user: User, new: str) -> str:
    key = accounts.normalise_email(new)
    if key == user.email:
        return ""
    if key.endswith("@" + DELETED_DOMAIN):
        raise AccountError(f"the domain {DELETED_DOMAIN} is reserved")
    if accounts.find_user(db, key) is not None:
        raise AccountError(f"another user already has the email {key}")
    old, user.email = user.email, key
    end_links(db, user)
    accounts.revoke_sessions(user, db)
    text = (f"The email address of your SOP Portal account was changed from {old} to {key}.\n"
            "If you did not ask for this, reply to this message or contact your account "
            "manager.\n")
    mail.queue(db, old, "Your SOP Portal email address was changed", text)
    mail.queue(db, key, "Your SOP Portal email address was changed", text)
    return f"email {old} -> {key}"


def _drop_client_grants(db: Session, user: User) -> None:
    for grant in list(user.grants):
        if grant.audience == "clients" or grant.audience.startswith("client:"):
            accounts.ungrant(db, user, grant.audience)


def _move(db: Session, user: User, account: ClientAccount) -> str:
    if user.account is not None and user.account.id == account.id:
        return ""
    old = user.account.name if user.account else "none"
    for held in list(user.grants):
        if held.audience.startswith("client:") and held.audience != f"client:{account.slug}":
            accounts.ungrant(db, user, held.audience)
    db.flush()
    user.account = account
    accounts.grant(db, user, "clients")
    accounts.grant(db, user, f"client:{account.slug}")
    accounts.revoke_sessions(user, db)
    return f"account {old} -> {account.name}"


def edit_user(db: Session, user: User, actor: Actor | None, *, email: str | None = None,
              name: str | None = None, role: str | None = None,
              account_name: str | None = None) -> list[str]:
    """Change email, name, role and account; returns what changed (empty: nothing)."""
    if is_deleted(user):
        raise AccountError("this user is deleted (restore them first)")
    if role is not None and role not in ROLES:
        raise AccountError(f"bad role: {role!r} (expected client, subscriber or staff)")
    if role is not None and role != "staff" and user.role == "staff" and _is_self(user, actor):
        raise AccountError("you cannot remove your own staff role")
    new_role = role or user.role
    if account_name and new_role != "client":
        raise AccountError("an account is only for client users")
    if new_role == "client" and user.account is None and not account_name:
        raise AccountError("a client user needs an account")
    changes: list[str] = []
    try:
        if email is not None:
            changes.append(_change_email(db, user, email))
        if name is not None and " ".join(name.split())[:200] != user.name:
            user.name = " ".join(name.split())[:200]
            changes.append("name")
        if new_role != user.role:
            changes.append(f"role {user.role} -> {new_role}")
            if user.role == "client":
                _drop_client_grants(db, user)
                user.account = None
            user.role = new_role
            accounts.revoke_sessions(user, db)
        if account_name:
            changes.append(_move(db, user, accounts.ensure_account(db, account_name)))
        elif new_role == "client" and user.account is not None:
            accounts.grant(db, user, "clients")
            accounts.grant(db, user, f"client:{user.account.slug}")
        db.flush()
    except AccountError:
        db.rollback()
        raise
    changes = [c for c in changes if c]
    if changes:
        _record("user.edit", user, actor, detail=", ".join(changes))
    else:
        db.commit()
    return changes


def grant(db: Session, config: Mapping[str, Any], user: User, actor: Actor | None,
          audience: str, ends_at: datetime | None = None) -> bool:
    """Give the user an audience, optionally until ``ends_at``; True when something changed."""
    if is_deleted(user):
        raise AccountError("this user is deleted (restore them first)")
    if ends_at is not None and ends_at <= utcnow():
        raise AccountError("the end date is in the past")
    (value,) = audiences(db, config, (audience,)) or [""]
    if not value:
        raise AccountError("choose an audience")
    changed = accounts.grant(db, user, value, ends_at)
    until = f"until {ends_at:%Y-%m-%d %H:%M}Z" if ends_at else ""
    audit.record("grant.add", user=user, target=value, outcome="ok" if changed else "unchanged",
                 detail="; ".join(p for p in (by(actor), until) if p))
    return changed


def ungrant(db: Session, config: Mapping[str, Any], user: User, actor: Actor | None,
            audience: str) -> None:
    """Remove an audience; a subscriber left with no section is signed out everywhere."""
    value = audience.strip()
    if not accounts.ungrant(db, user, value):
        audiences(db, config, (value,))  # an unknown audience says so
        raise AccountError(f"{user.email} does not hold {value}")
    if user.role == "subscriber" and not any(
        g.audience.startswith("newsletter:") for g in user.grants
    ):
        accounts.revoke_sessions(user, db)
    audit.record("grant.remove", user=user, target=value, detail=by(actor))


# ---- revoking, deleting, restoring ----

def revoke(db: Session, user: User, actor: Actor | None) -> None:
    """No more sign-in; every session of the user ends on its next request."""
    if _is_self(user, actor):
        raise AccountError("you cannot revoke yourself")
    accounts.deactivate(db, user)
    _record("user.revoke", user, actor)


def delete_user(db: Session, user: User, actor: Actor | None) -> None:
    """Erase the user's personal data and sign-in; the row and its id stay for the audit."""
    if _is_self(user, actor):
        raise AccountError("you cannot delete yourself")
    if is_deleted(user):
        raise AccountError("this user is already deleted")
    erasure.erase_traces(db, user)  # audit trail, mail queue, access requests
    user.email = f"deleted-{user.id}-{_digest(user.email)}@{DELETED_DOMAIN}"
    user.name = ""
    user.password_hash = None
    user.active = False
    user.grants.clear()
    accounts.revoke_sessions(user, db)
    db.execute(delete(TokenRecord).where(TokenRecord.user_id == user.id))
    db.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _record("user.delete", user, actor, target=f"user {user.id}", email="")


def find_deleted(db: Session, email: str) -> User | None:
    """The most recently deleted user who had ``email``, or None."""
    key = accounts.normalise_email(email)
    pattern = f"deleted-%-{_digest(key)}@{DELETED_DOMAIN}"
    return db.scalar(select(User).where(User.email.like(pattern)).order_by(User.id.desc()))


def restore(db: Session, user: User, actor: Actor | None, email: str = "") -> None:
    """Let a revoked user sign in again, or bring back a deleted one under ``email``.

    A deleted user comes back with their role and account (and a client's grants) but no
    name, password or other grants: send them an invitation.
    """
    if is_deleted(user):
        key = accounts.normalise_email(email)
        if _digest(key) not in user.email:
            raise AccountError("the email is not the one this user had")
        if accounts.find_user(db, key) is not None:
            raise AccountError(f"another user now has the email {key}")
        user.email = key
        if user.role == "client" and user.account is not None:
            accounts.grant(db, user, "clients")
            accounts.grant(db, user, f"client:{user.account.slug}")
    elif user.active:
        raise AccountError(f"{user.email} is not revoked or deleted")
    accounts.reactivate(db, user)
    _record("user.restore", user, actor)


def restore_by_email(db: Session, email: str, actor: Actor | None) -> User:
    """Restore the revoked or deleted user who has (or had) ``email``."""
    user = accounts.find_user(db, email) or find_deleted(db, email)
    if user is None:
        raise AccountError(f"unknown user: {accounts.normalise_email(email)}")
    restore(db, user, actor, email)
    return user


def reset_two_factor(db: Session, user: User, actor: Actor | None) -> None:
    """Turn off the user's two-factor sign-in (a lost phone); they can turn it on again."""
    if db.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id)) is None:
        raise AccountError("two-factor sign-in is not on for this user")
    db.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _record("2fa.reset", user, actor)


def end_session(db: Session, user: User, session_id: int, actor: Actor | None) -> None:
    """End one sign-in session of ``user`` (that browser is signed out on its next request)."""
    row = db.get(LoginSession, session_id)
    if row is None or row.user_id != user.id:
        raise AccountError("that session has already ended")
    db.delete(row)
    _record("session.end", user, actor, target=f"session {session_id}")
