"""Sign-in sessions: one database row per signed-in browser, named by a random id.

Flask-Login stores that random id (an alternative id, never the user's primary key) in the
signed session cookie and, with "keep me signed in", in its remember cookie. Every request
looks the row up with its user, so deleting rows (sign out, sign out everywhere, password
change, revocation) or deactivating the user makes old cookies anonymous on the next request.
The lookup is one query (row, user and grants joined); read-only views (the members area) get
a :class:`Member` from the same join run on a pooled driver connection, without the ORM.

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

from flask import Flask, current_app, has_request_context, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from gate.db import database, get_session
from gate.errors import json_error, wants_json
from gate.extensions import login_manager
from gate.models import Grant, LoginSession, User, utcnow
from gate.redirects import safe_next

DEFAULTS: dict[str, Any] = {
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_ABSOLUTE_HOURS": 12,
    "REMEMBER_DAYS": 14,
    "SESSION_TOUCH_SECONDS": 60,
}


def hash_id(raw: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def lifetime(remember: bool, config: Any) -> timedelta:
    """How long a new session may last at most."""
    if remember:
        return timedelta(days=float(config["REMEMBER_DAYS"]))
    return timedelta(hours=float(config["SESSION_ABSOLUTE_HOURS"]))


def is_expired(row: LoginSession, now: datetime, idle: timedelta) -> bool:
    """True past the absolute end, or idle too long (remembered sessions have no idle limit)."""
    if now >= row.expires_at:
        return True
    return not row.remember and now - row.last_seen_at > idle


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


LOOKUP = (
    select(LoginSession)
    .where(LoginSession.token_hash == bindparam("token_hash"))
    .options(joinedload(LoginSession.user, innerjoin=True).joinedload(User.grants))
)
"""The per-request lookup: the session row, its user and the user's grants in ONE query.

Run on every request so that revocation, a removed grant, a password change or "sign out
everywhere" takes effect on the very next request; nothing about the user is cached."""


READ_ONLY_BLUEPRINTS: set[str] = set()
"""Blueprints whose GET and HEAD views only read who the user is (id, email, role, grants):
they get a :class:`Member` from one driver-level query instead of an ORM :class:`User`."""


def load_user(raw: str) -> User | Member | None:
    """Flask-Login's user loader: the active user of a live session row, else None.

    One SELECT (see :data:`LOOKUP`, or :func:`load_member` for read-only views); a write only
    when the row expired or is due a touch.
    """
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    if (has_request_context() and request.blueprint in READ_ONLY_BLUEPRINTS
            and request.method in ("GET", "HEAD")):
        return load_member(raw)
    db = get_session()
    row = db.scalars(LOOKUP, {"token_hash": hash_id(raw)}).unique().first()
    if row is None:
        return None
    config = current_app.config
    now = utcnow()
    user = row.user
    if not user.active or is_expired(row, now, timedelta(minutes=float(
        config["SESSION_IDLE_MINUTES"]
    ))):
        db.delete(row)
        db.commit()
        return None
    if (now - row.last_seen_at).total_seconds() >= float(config["SESSION_TOUCH_SECONDS"]):
        row.last_seen_at = now
        db.commit()
    user.login_token = raw
    return user


# --- read-only members ------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A signed-in user as a read-only view sees them (see :data:`READ_ONLY_BLUEPRINTS`).

    Built from one query per request like :class:`User` (revocation still takes effect on the
    next request), with the same Flask-Login protocol and the same access rules, but it is
    not an ORM object: nothing can be changed through it.
    """

    id: int
    email: str
    name: str
    role: str
    active: bool
    grants: tuple[tuple[str, datetime | None], ...]
    """(audience, ends_at) of every grant, ended ones included."""
    login_token: str

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Revoked users are never loaded."""
        return bool(self.active)

    @property
    def is_staff(self) -> bool:
        """Staff may open everything."""
        return self.role == "staff"

    def audiences(self, now: datetime) -> frozenset[str]:
        """The audiences of the grants valid at ``now`` (the rule of :meth:`User.audiences`)."""
        found = {aud for aud, ends_at in self.grants if grant_is_valid(ends_at, now)}
        if self.is_staff:
            found.add("staff")
        return frozenset(found)

    def get_id(self) -> str:
        """This sign-in session's random id (what Flask-Login stores)."""
        return self.login_token


def grant_is_valid(ends_at: datetime | None, now: datetime) -> bool:
    """True while a grant has not ended (the rule of :meth:`gate.models.Grant.is_valid`)."""
    return ends_at is None or now < ends_at


_ls, _users, _grants = LoginSession.__table__, User.__table__, Grant.__table__
MEMBER_LOOKUP = (
    select(
        _ls.c.id, _ls.c.expires_at, _ls.c.last_seen_at, _ls.c.remember,
        _users.c.id, _users.c.email, _users.c.name, _users.c.role, _users.c.active,
        _grants.c.audience, _grants.c.ends_at,
    )
    .select_from(
        _ls.join(_users, _users.c.id == _ls.c.user_id)
        .outerjoin(_grants, _grants.c.user_id == _users.c.id)
    )
    .where(_ls.c.token_hash == bindparam("token_hash"))
)
"""The session row, its user and the user's grants: one row per grant (or one without)."""


@dataclass(frozen=True)
class _SessionRow:
    id: int
    expires_at: datetime
    last_seen_at: datetime
    remember: bool


def _utc(value: Any) -> datetime | None:
    """A date-time column as returned by the driver (SQLite: text), made aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a date-time: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _compiled_lookup(engine: Engine) -> tuple[str, bool, tuple[str, ...]]:
    """:data:`MEMBER_LOOKUP` compiled once for this engine's driver (SQL, positional, names)."""
    cache = engine.__dict__.setdefault("_sop_member_lookup", {})
    if "sql" not in cache:
        compiled = MEMBER_LOOKUP.compile(dialect=engine.dialect)
        cache["sql"] = (str(compiled), bool(compiled.positional),
                        tuple(compiled.positiontup or ()))
    return cache["sql"]  # type: ignore[no-any-return]


def _fetch_member_rows(engine: Engine, token_hash: str) -> list[Any]:
    """Run :data:`MEMBER_LOOKUP` on a pooled driver connection; driver errors become
    SQLAlchemy's (a locked or unreachable database answers 503 like everywhere else)."""
    sql, positional, names = _compiled_lookup(engine)
    values = {"token_hash": token_hash}
    params: Any = tuple(values[n] for n in names) if positional else values
    dbapi = engine.dialect.loaded_dbapi
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        finally:
            connection.close()
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=engine.dialect) from exc


def load_member(raw: str) -> Member | None:
    """The :class:`Member` of a live session row (one query), else None.

    Same rules as :func:`load_user`: unknown row, inactive user or an expired session give
    None (an expired row is deleted); ``last_seen_at`` is touched every
    ``SESSION_TOUCH_SECONDS``.
    """
    rows = _fetch_member_rows(database().engine, hash_id(raw))
    if not rows:
        return None
    first = rows[0]
    row = _SessionRow(int(first[0]), _utc(first[1]), _utc(first[2]),  # type: ignore[arg-type]
                      bool(first[3]))
    config = current_app.config
    now = utcnow()
    idle = timedelta(minutes=float(config["SESSION_IDLE_MINUTES"]))
    if not bool(first[8]) or is_expired(row, now, idle):  # type: ignore[arg-type]
        db = get_session()
        db.execute(delete(LoginSession).where(LoginSession.id == row.id))
        db.commit()
        return None
    if (now - row.last_seen_at).total_seconds() >= float(config["SESSION_TOUCH_SECONDS"]):
        db = get_session()
        db.execute(update(LoginSession).where(LoginSession.id == row.id).values(last_seen_at=now))
        db.commit()
    grants = tuple((str(r[9]), _utc(r[10])) for r in rows if r[9] is not None)
    return Member(
        id=int(first[4]), email=str(first[5]), name=str(first[6] or ""), role=str(first[7]),
        active=True, grants=grants, login_token=raw,
    )


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
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    _cookie_settings(app)
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
