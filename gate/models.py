"""SQLAlchemy 2 models: client accounts, users, grants, sign-in sessions, tokens, audit, mail,
access requests.

Times are stored as UTC (naive in the database, aware in Python, see :class:`UTCDateTime`) so
SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("staff", "client", "subscriber")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def valid_audiences(grants: Iterable[tuple[str, datetime | None]], is_staff: bool,
                    now: datetime) -> frozenset[str]:
    """The audiences of the (audience, ends_at) grants still valid at ``now``, plus ``staff``
    for staff: the one rule for every user object."""
    found = {audience for audience, ends_at in grants if ends_at is None or now < ends_at}
    if is_staff:
        found.add("staff")
    return frozenset(found)


class UTCDateTime(TypeDecorator[datetime]):
    """A date-time stored as naive UTC and always returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class ClientAccount(Base):
    """A client business; its users hold ``clients`` and ``client:<slug>``."""

    __tablename__ = "client_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    account_type: Mapped[str] = mapped_column(String(50), default="eft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="account")

    def __repr__(self) -> str:
        return f"<ClientAccount {self.slug}>"


class User(Base):
    """A person who signs in: staff, a client user, or a newsletter subscriber.

    ``email`` is stored normalised (see
    :func:`gate.accounts.services.normalise_email`), so the unique
    constraint is case-insensitive. Flask-Login identifies a signed-in user by the random id of
    their :class:`LoginSession` (an alternative id), never by the primary key.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("client_accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    account: Mapped[ClientAccount | None] = relationship(back_populates="users")
    grants: Mapped[list[Grant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Grant.audience"
    )

    # The raw id of the sign-in session this object was loaded for (not a column).
    login_token = cast("str | None", None)

    @property
    def is_staff(self) -> bool:
        """Staff may open everything."""
        return self.role == "staff"

    @property
    def has_password(self) -> bool:
        """True when the user can sign in with a password."""
        return bool(self.password_hash)

    def audiences(self, now: datetime) -> frozenset[str]:
        """The audiences of the grants valid at ``now`` (``staff`` added for staff)."""
        return valid_audiences(((g.audience, g.ends_at) for g in self.grants), self.is_staff, now)

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        """Revoked users cannot sign in."""
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        """A loaded user is signed in."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str | None:
        """The alternative id Flask-Login stores: this sign-in session's random id."""
        return self.login_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Grant(Base):
    """A user's access to one audience, optionally until ``ends_at``."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "audience"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(200))
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")

    def is_valid(self, now: datetime) -> bool:
        """True while the grant has not ended."""
        return bool(valid_audiences([(self.audience, self.ends_at)], False, now))

    def __repr__(self) -> str:
        return f"<Grant {self.audience}>"


class LoginSession(Base):
    """One signed-in browser. Deleting the row signs that browser out on its next request.

    Only a SHA-256 of the random id is stored; the id itself lives in the signed cookie.
    """

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(20), default="password")

    user: Mapped[User] = relationship()


class TokenRecord(Base):
    """A single-use emailed token (invite, reset, sign-in link), consumed atomically."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEvent(Base):
    """One audited action: who, what, from where, when (UTC), and how it ended."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    email: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(40), default="ok")
    detail: Mapped[str] = mapped_column(Text, default="")


class MailMessage(Base):
    """A queued email. The body is cleared once delivered (it may hold a sign-in link)."""

    __tablename__ = "mail_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AccessRequest(Base):
    """Someone asking for access (``/auth/request-access``), queued for staff to decide.

    Nothing links it to a user: the form answers the same whether or not the email is known.
    ``status`` is ``pending`` until staff decide (``approved`` or ``declined``).
    """

    __tablename__ = "access_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    wanted: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TotpCredential(Base):
    """A user's authenticator app (two-factor sign-in, :mod:`gate.accounts.twofactor`)."""

    __tablename__ = "totp_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    """The last time step whose code was used: no code of it or before is accepted again."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A single-use recovery code (only its SHA-256 is stored)."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
