"""What the staff pages read: users by filter, the overview's counts, the audit trail by
filter, the mail queue. Read-only; every list is paginated (:class:`Page`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from gate.admin.services import DELETED_DOMAIN
from gate.models import AuditEvent, ClientAccount, Grant, LoginSession, MailMessage, User

T = TypeVar("T")
PER_PAGE = 25
STATES = ("active", "revoked", "deleted", "all")
"""User states a list can show; the default, ``active``, and ``revoked`` leave deleted users out."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the page number (from 1) and how many there are."""

    items: list[T]
    number: int
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def paginate(db: Session, query: Select[Any], number: int, per_page: int = PER_PAGE) -> Page[Any]:
    """Page ``number`` (clamped to the last page) of ``query``'s rows."""
    total = int(db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    items = list(db.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique())
    return Page(items, number, total, per_page)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


@dataclass(frozen=True)
class UserFilter:
    """The users list's filters (empty strings: no filter)."""

    q: str = ""
    role: str = ""
    account: str = ""
    audience: str = ""
    state: str = "active"


def users(db: Session, f: UserFilter, number: int = 1) -> Page[User]:
    """Users matching ``f`` (``q`` in the email or the name, case-insensitively), by email."""
    deleted = User.email.like(f"%@{DELETED_DOMAIN}")
    query = select(User).options(selectinload(User.grants), selectinload(User.account))
    if f.q.strip():
        pattern = _like(f.q.strip())
        query = query.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                func.lower(User.name).like(pattern, escape="\\")))
    if f.role:
        query = query.where(User.role == f.role)
    if f.account:
        query = query.join(ClientAccount, User.account_id == ClientAccount.id).where(
            ClientAccount.slug == f.account)
    if f.audience:
        query = query.where(User.grants.any(Grant.audience == f.audience))
    if f.state == "active":
        query = query.where(User.active.is_(True), ~deleted)
    elif f.state == "revoked":
        query = query.where(User.active.is_(False), ~deleted)
    elif f.state == "deleted":
        query = query.where(deleted)
    return paginate(db, query.order_by(User.email), number)


def accounts(db: Session) -> list[ClientAccount]:
    """Every client account by name, with its users loaded."""
    query = select(ClientAccount).options(selectinload(ClientAccount.users))
    return list(db.scalars(query.order_by(ClientAccount.name)))


def sessions_of(db: Session, user: User) -> list[LoginSession]:
    """The user's sign-in sessions, newest first."""
    query = select(LoginSession).where(LoginSession.user_id == user.id)
    return list(db.scalars(query.order_by(LoginSession.created_at.desc())))


def overview(db: Session) -> dict[str, Any]:
    """Counts for the overview: users by role and state, accounts, mail by status."""
    deleted = User.email.like(f"%@{DELETED_DOMAIN}")
    by_role: dict[str, int] = dict(db.execute(
        select(User.role, func.count()).where(User.active.is_(True), ~deleted)
        .group_by(User.role)).all())
    mail_counts: dict[str, int] = dict(db.execute(
        select(MailMessage.status, func.count()).group_by(MailMessage.status)).all())
    failed = list(db.scalars(select(MailMessage).where(MailMessage.status == "failed")
                             .order_by(MailMessage.id.desc()).limit(5)))
    return {
        "by_role": by_role,
        "revoked": db.scalar(select(func.count()).select_from(User)
                             .where(User.active.is_(False), ~deleted)) or 0,
        "accounts": db.scalar(select(func.count()).select_from(ClientAccount)) or 0,
        "mail": mail_counts,
        "failed_mail": failed,
        "failed_signins": db.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "signin", AuditEvent.outcome == "failed",
                AuditEvent.at >= datetime.now(UTC) - timedelta(days=1))) or 0,
    }


@dataclass(frozen=True)
class AuditFilter:
    """The audit page's filters: a user (email, part of one, or ``#id``), an action, dates."""

    user: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    def query(self) -> Select[Any]:
        """The matching events, newest first."""
        query = select(AuditEvent)
        who = self.user.strip()
        if who.startswith("#") and who[1:].isdigit():
            query = query.where(AuditEvent.user_id == int(who[1:]))
        elif who:
            query = query.where(func.lower(AuditEvent.email).like(_like(who), escape="\\"))
        if self.action.strip():
            query = query.where(AuditEvent.action == self.action.strip())
        if self.since is not None:
            query = query.where(AuditEvent.at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            query = query.where(AuditEvent.at < end)
        return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_actions(db: Session) -> list[str]:
    """Every action the trail holds, for the filter's choices."""
    return list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def mail_queue(db: Session, status: str, number: int) -> Page[MailMessage]:
    """Messages, newest first, optionally of one status."""
    query = select(MailMessage)
    if status:
        query = query.where(MailMessage.status == status)
    return paginate(db, query.order_by(MailMessage.id.desc()), number)
