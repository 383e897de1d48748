"""Account services: users, client accounts, grants, revocation, and the sign-in rules.

Functions take the SQLAlchemy session and never commit: the caller commits (``audit.record``
commits too). Bad input raises :class:`AccountError` with a one-line message fit for the CLI.

Audiences (DESIGN.md "Access model"): ``staff``, ``clients``, ``client:<account-slug>``,
``newsletter:<section>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import current_app, render_template
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from gate import mail
from gate.accounts import passwords, tokens
from gate.db import get_session
from gate.exceptions import GateError
from gate.models import ROLES, ClientAccount, Grant, LoginSession, User, utcnow

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9\u0080-\U0010ffff](?:[a-z0-9\-\u0080-\U0010ffff]*"
                           r"[a-z0-9\u0080-\U0010ffff])?$")


class AccountError(GateError, ValueError):
    """Bad input for an account operation; the message is one line for a person."""


def normalise_email(raw: str) -> str:
    """The canonical form of an email address: trimmed, NFC, lower case; or AccountError.

    Exactly one ``@``, a non-empty local part without spaces or control characters, and a
    domain of dot-separated labels with at least one dot.
    """
    if not isinstance(raw, str):
        raise AccountError("an email address is required")
    email = unicodedata.normalize("NFC", raw.strip()).lower()
    shown = ascii(raw.strip())[:80]
    if not email:
        raise AccountError("an email address is required")
    if len(email) > 254:
        raise AccountError("the email address is too long")
    if email.count("@") != 1:
        raise AccountError(f"not an email address: {shown}")
    local, domain = email.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local) or ".." in local:
        raise AccountError(f"not an email address: {shown}")
    if local.startswith(".") or local.endswith("."):
        raise AccountError(f"not an email address: {shown}")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise AccountError(f"not an email address: {shown}")
    return email


def slugify(name: str) -> str:
    """A URL-safe slug for a client account name (``Demo Client`` -> ``demo-client``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace("'", "")  # "Bob's Shop" -> "bobs-shop"
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise AccountError(f"cannot derive a slug from the account name {name!r}")
    return slug[:100]


def find_user(session: Session, email: str) -> User | None:
    """The user with this email (normalised first), or None; bad addresses give None."""
    try:
        key = normalise_email(email)
    except AccountError:
        return None
    return session.scalar(select(User).where(User.email == key))


def require_user(session: Session, email: str) -> User:
    """The user with this email, or AccountError naming the address."""
    key = normalise_email(email)
    user = session.scalar(select(User).where(User.email == key))
    if user is None:
        raise AccountError(f"unknown user: {key}")
    return user


def validate_audience(session: Session, audience: str, sections: Iterable[str]) -> str:
    """``audience`` if it names something that exists, else AccountError.

    ``sections`` are the newsletter section slugs that exist
    (:func:`gate.newsletter.sections.current_slugs`).
    """
    value = audience.strip()
    if value in {"staff", "clients"}:
        return value
    kind, _, name = value.partition(":")
    if kind == "client" and _SLUG.match(name):
        if session.scalar(select(ClientAccount).where(ClientAccount.slug == name)) is None:
            raise AccountError(f"unknown audience: {value} (no client account {name!r})")
        return value
    if kind == "newsletter" and name in set(sections):
        return value
    known = ", ".join(f"newsletter:{s}" for s in sorted(sections))
    raise AccountError(
        f"unknown audience: {ascii(value)[1:-1]} (expected staff, clients, client:<slug> or "
        f"one of {known})"
    )


def ensure_account(
    session: Session, name: str, account_type: str | None = None
) -> ClientAccount:
    """The client account called ``name``, created (slug from the name) when missing.

    A new account's type is ``account_type`` or ``eft``; an existing account's type changes
    only when ``account_type`` is given.
    """
    clean = " ".join(name.split())
    if not clean:
        raise AccountError("the account name is empty")
    account = session.scalar(select(ClientAccount).where(ClientAccount.name == clean))
    if account is None:
        slug = slugify(clean)
        if session.scalar(select(ClientAccount).where(ClientAccount.slug == slug)) is not None:
            raise AccountError(f"another account already uses the slug {slug!r}")
        account = ClientAccount(name=clean, slug=slug, account_type=account_type or "eft")
        session.add(account)
        session.flush()
    elif account_type and account.account_type != account_type:
        account.account_type = account_type
    return account


def create_user(
    session: Session,
    email: str,
    role: str,
    *,
    name: str = "",
    account: ClientAccount | None = None,
) -> User:
    """A new active user; a client gets ``clients`` and ``client:<slug>`` grants."""
    if role not in ROLES:
        raise AccountError(f"bad role: {role!r} (expected one of {', '.join(ROLES)})")
    key = normalise_email(email)
    if session.scalar(select(User).where(User.email == key)) is not None:
        raise AccountError(f"user already exists: {key}")
    if role == "client" and account is None:
        raise AccountError("a client user needs an account (--account NAME)")
    user = User(email=key, role=role, name=" ".join(name.split())[:200], account=account)
    session.add(user)
    if role == "client" and account is not None:
        grant(session, user, "clients")
        grant(session, user, f"client:{account.slug}")
    session.flush()
    return user


def grant(session: Session, user: User, audience: str, ends_at: datetime | None = None) -> bool:
    """Give ``user`` the audience (or change its end); True when something changed."""
    for existing in user.grants:
        if existing.audience == audience:
            if existing.ends_at == ends_at:
                return False
            existing.ends_at = ends_at
            return True
    user.grants.append(Grant(audience=audience, ends_at=ends_at))
    return True


def ungrant(session: Session, user: User, audience: str) -> bool:
    """Remove the audience from ``user``; True when it was held.

    Takes effect on the user's next request: access is read from the grants every time.
    """
    for existing in list(user.grants):
        if existing.audience == audience:
            user.grants.remove(existing)
            return True
    return False


def set_newsletter_grants(session: Session, user: User, sections: Iterable[str]) -> bool:
    """Make the user's ``newsletter:*`` grants exactly ``sections``; True when changed.

    ``sections`` may be bare names (``payments``) or audiences (``newsletter:payments``).
    Other grants are never touched. A subscriber left without any section is signed out
    everywhere (a removed subscriber's open sessions end on their next request).
    """
    wanted = {s if s.startswith("newsletter:") else f"newsletter:{s}" for s in sections}
    held = {g.audience for g in user.grants if g.audience.startswith("newsletter:")}
    changed = False
    for audience in sorted(held - wanted):
        changed |= ungrant(session, user, audience)
    for audience in sorted(wanted - held):
        changed |= grant(session, user, audience)
    if changed and user.role == "subscriber" and not wanted:
        revoke_sessions(user, session)
    return changed


def revoke_sessions(user: User, session: Session | None = None) -> int:
    """End every sign-in session of ``user`` (remember cookies included); returns how many.

    The user's old cookies are anonymous on their next request.
    """
    db = session or object_session(user)
    if db is None:
        db = get_session()
    db.flush()
    result = db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def deactivate(session: Session, user: User) -> None:
    """Revoke the user: no more sign-in, every session ends."""
    user.active = False
    revoke_sessions(user, session)


def reactivate(session: Session, user: User) -> None:
    """Let a revoked user sign in again (their grants are unchanged)."""
    user.active = True


# ---- sign-in rules (the /auth views and the staff services call these) ----

TOKEN_MAIL_SUBJECTS = {
    "invite": "You are invited to the SOP Portal",
    "reset": "Choose a new password for the SOP Portal",
}


def may_sign_in_by_link(user: User | None, now: datetime) -> bool:
    """Only an active subscriber with a valid newsletter grant signs in by emailed link."""
    if user is None or not user.active or user.role != "subscriber":
        return False
    return any(a.startswith("newsletter:") for a in user.audiences(now))


def may_use_password(user: User | None) -> bool:
    """Active clients and staff sign in with a password (and may reset it)."""
    return user is not None and user.active and user.role in {"client", "staff"}


def check_sign_in(session: Session, email: str | None, password: str,
                  config: Mapping[str, Any]) -> User | None:
    """The user whose password this is, else None, after the same work either way.

    An unknown email, a subscriber or a revoked user costs one verification of a dummy hash,
    so the answer time does not tell them apart. A right password under old hashing
    parameters is rehashed (the caller commits).
    """
    user = find_user(session, email) if email else None
    if not may_use_password(user) or user is None or not user.password_hash:
        passwords.verify_dummy(password, config)
        return None
    if not passwords.verify_password(user.password_hash, password, config):
        return None
    if passwords.needs_rehash(user.password_hash, config):
        user.password_hash = passwords.hash_password(password, config)
    return user


def set_password(session: Session, user: User, password: str,
                 config: Mapping[str, Any], now: datetime) -> None:
    """Check the rules, store the new hash and end every session of ``user``.

    Raises :class:`~gate.accounts.passwords.PasswordRuleError` naming the broken rule.
    """
    value = passwords.check_password(password, email=user.email,
                                     max_length=int(config["PASSWORD_MAX_LENGTH"]))
    user.password_hash = passwords.hash_password(value, config)
    user.password_changed_at = now
    revoke_sessions(user, session)


def public_url(config: Mapping[str, Any], path: str, next_path: str = "") -> str:
    """An absolute link for an email, built from ``PUBLIC_BASE_URL`` (never the Host header)."""
    query = "?" + urlencode({"next": next_path}) if next_path else ""
    return str(config["PUBLIC_BASE_URL"]).rstrip("/") + path + query


def queue_link_mail(session: Session, user: User, next_path: str,
                    config: Mapping[str, Any], now: datetime) -> None:
    """Queue a one-time sign-in link for ``user`` (the caller commits and dispatches)."""
    token = tokens.issue(session, user, "link", config, now)
    body = render_template(
        "auth/email_link.txt", url=public_url(config, f"/auth/link/{token}", next_path),
        minutes=tokens.max_age("link", config) // 60,
    )
    mail.queue(session, user.email, "Your sign-in link for the SOP Portal", body)


def send_token_mail(user: User, purpose: str) -> None:
    """Queue the invitation or reset email for ``user`` (the caller commits and dispatches)."""
    session = get_session()
    config = current_app.config
    token = tokens.issue(session, user, purpose, config, utcnow())
    hours = max(1, tokens.max_age(purpose, config) // 3600)
    body = render_template(
        f"auth/email_{purpose}.txt", url=public_url(config, f"/auth/{purpose}/{token}"),
        hours=hours, user=user,
    )
    mail.queue(session, user.email, TOKEN_MAIL_SUBJECTS[purpose], body)
