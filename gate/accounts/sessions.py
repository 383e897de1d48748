"""Sign-in sessions: one database row per signed-in browser, named by a random id.

Flask-Login stores that random id (an alternative id, never the user's primary key) in the
signed session cookie and, with "keep me signed in", in its remember cookie. Every request
looks the row up with its user, so deleting rows (sign out, sign out everywhere, password
change, revocation) or deactivating the user makes old cookies anonymous on the next request.
The lookup is one query (row, user and grants joined) that gives every part of the gate the
same :class:`CurrentUser`.

Lifetimes: ``SESSION_IDLE_MINUTES`` without a request, ``SESSION_ABSOLUTE_HOURS`` in all; a
remembered session lasts ``REMEMBER_DAYS``. Cookies are HttpOnly and SameSite=Lax; under an
``https://`` ``PUBLIC_BASE_URL`` they are Secure and use the ``__Host-`` prefix (no Domain).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, select, update

from gate.accounts.redirects import safe_next
from gate.db import database, get_session
from gate.errors import json_error, wants_json
from gate.extensions import login_manager
from gate.models import Grant, LoginSession, User, utcnow, valid_audiences


def hash_id(raw: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def lifetime(remember: bool, config: Any) -> timedelta:
    """How long a new session may last at most."""
    if remember:
        return timedelta(days=float(config["REMEMBER_DAYS"]))
    return timedelta(hours=float(config["SESSION_ABSOLUTE_HOURS"]))


def start(user: User, *, remember: bool = False, method: str = "password") -> str:
    """Create a session row for ``user`` and return its raw id (the caller commits)."""
    now = utcnow()
    raw = secrets.token_urlsafe(32)
    get_session().add(
        LoginSession(
            token_hash=hash_id(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime(remember, current_app.config),
            remember=remember,
            method=method,
        )
    )
    user.login_token = raw
    return raw


def sign_in(user: User, *, remember: bool = False, method: str = "password") -> None:
    """A fresh session for ``user``: the old cookie's contents are dropped, a new id issued."""
    db = get_session()
    db.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.expires_at <= utcnow()
        )
    )
    session.clear()
    start(user, remember=remember, method=method)
    user.last_login_at = utcnow()
    db.commit()
    login_user(user, remember=remember, fresh=True)


def end_current() -> None:
    """Sign this browser out: its row is deleted and its cookies cleared."""
    raw = session.get("_user_id")
    if isinstance(raw, str):
        db = get_session()
        db.execute(delete(LoginSession).where(LoginSession.token_hash == hash_id(raw)))
        db.commit()
    session.clear()
    logout_user()  # after clear(): it marks the remember cookie for deletion


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user of this request, as every part of the gate sees them.

    Loaded by :func:`load_user` with one query per request (so revocation, a removed grant,
    a password change or "sign out everywhere" takes effect on the very next request); it is
    not an ORM object, so nothing can be changed through it: a view that changes the user
    loads the :class:`~gate.models.User` by ``id``.
    """

    id: int
    email: str
    name: str
    role: str
    has_password: bool
    grants: tuple[tuple[str, datetime | None], ...]
    """(audience, ends_at) of every grant, ended ones included."""
    login_token: str

    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def is_staff(self) -> bool:
        """Staff may open everything."""
        return self.role == "staff"

    def audiences(self, now: datetime) -> frozenset[str]:
        """The audiences of the grants valid at ``now`` (``staff`` added for staff)."""
        return valid_audiences(self.grants, self.is_staff, now)

    def get_id(self) -> str:
        """This sign-in session's random id (what Flask-Login stores)."""
        return self.login_token


_ls, _users, _grants = LoginSession.__table__, User.__table__, Grant.__table__
LOOKUP = (
    select(
        _ls.c.id, _ls.c.expires_at, _ls.c.last_seen_at, _ls.c.remember,
        _users.c.id.label("user_id"), _users.c.email, _users.c.name, _users.c.role,
        _users.c.active, _users.c.password_hash.is_not(None).label("has_password"),
        _grants.c.audience, _grants.c.ends_at,
    )
    .select_from(
        _ls.join(_users, _users.c.id == _ls.c.user_id)
        .outerjoin(_grants, _grants.c.user_id == _users.c.id)
    )
    .where(_ls.c.token_hash == bindparam("token_hash"))
)
"""The session row, its user and the user's grants in ONE query: one row per grant."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_user(raw: str) -> CurrentUser | None:
    """Flask-Login's user loader: the active user of a live session row, else None.

    One SELECT (:data:`LOOKUP`); a write only when the row expired (it is deleted) or is due
    a touch (``last_seen_at``, every ``SESSION_TOUCH_SECONDS``).
    """
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    with database().engine.connect() as connection:
        rows = connection.execute(LOOKUP, {"token_hash": hash_id(raw)}).all()
    if not rows:
        return None
    first = rows[0]
    config = current_app.config
    now = utcnow()
    idle = timedelta(minutes=float(config["SESSION_IDLE_MINUTES"]))
    expires_at, last_seen_at = _utc(first.expires_at), _utc(first.last_seen_at)
    if not first.active or now >= expires_at or (
        not first.remember and now - last_seen_at > idle
    ):
        _write(delete(LoginSession).where(LoginSession.id == first.id))
        return None
    if (now - last_seen_at).total_seconds() >= float(config["SESSION_TOUCH_SECONDS"]):
        _write(update(LoginSession).where(LoginSession.id == first.id).values(last_seen_at=now))
    grants = tuple(
        (str(r.audience), _utc(r.ends_at) if r.ends_at is not None else None)
        for r in rows if r.audience is not None
    )
    return CurrentUser(
        id=int(first.user_id), email=str(first.email), name=str(first.name or ""),
        role=str(first.role), has_password=bool(first.has_password), grants=grants,
        login_token=raw,
    )


def _write(statement: Any) -> None:
    """Run one change to the session rows and commit it (rare: an expiry or a touch)."""
    db = get_session()
    db.execute(statement)
    db.commit()


def unauthorized() -> ResponseReturnValue:
    """Anonymous HTML requests go to sign-in (with a safe ``next``); JSON and XHR get 401."""
    if wants_json():
        return json_error(401, "unauthorized", "Sign in to open this item.")
    target = safe_next(request.full_path.rstrip("?"), default="")
    query = "?" + urlencode({"next": target}) if target else ""
    return redirect("/auth/login" + query)


def _cookie_settings(app: Flask) -> None:
    secure = str(app.config.get("PUBLIC_BASE_URL", "")).lower().startswith("https://")
    prefix = "__Host-" if secure else ""
    app.config.update(
        SESSION_COOKIE_NAME=f"{prefix}sop-session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["SESSION_ABSOLUTE_HOURS"])),
        REMEMBER_COOKIE_NAME=f"{prefix}sop-remember",
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DOMAIN=None,
        REMEMBER_COOKIE_PATH="/",
        REMEMBER_COOKIE_DURATION=timedelta(days=float(app.config["REMEMBER_DAYS"])),
        REMEMBER_COOKIE_REFRESH_EACH_REQUEST=False,
    )


def init_app(app: Flask) -> None:
    """Lifetimes, cookie flags and Flask-Login's loader and unauthorized handler."""
    _cookie_settings(app)
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
