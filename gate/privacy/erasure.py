"""Erasing a deleted user's traces outside their own row (``users delete``, POPIA).

:func:`gate.admin.services.delete_user` clears the user's row, grants, sessions, links and
two-factor secrets; :func:`erase_traces` handles the other tables that hold their personal
data: the audit trail (rows of their id or address lose the email and IP address; the rows
and user ids stay, and an address in a target or detail becomes ``user <id>``), the mail
queue (messages to them) and the access requests they sent. Every address the user had is
covered: the current one and the ones their audit rows recorded before an email change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from gate.models import AccessRequest, AuditEvent, MailMessage, User

_EMAIL_CHANGE = re.compile(r"\bemail (\S+@\S+) -> (\S+@\S+)")


@dataclass(frozen=True)
class Erased:
    """How many rows of each table :func:`erase_traces` changed or removed."""

    audit_rows: int
    mail_messages: int
    access_requests: int


def addresses_of(db: Session, user: User) -> set[str]:
    """Every email address ``user`` is known to have had (lower case)."""
    found = {user.email.lower()}
    rows = db.execute(select(AuditEvent.email, AuditEvent.detail)
                      .where(AuditEvent.user_id == user.id)).all()
    for email, detail in rows:
        if email:
            found.add(email.lower())
        for match in _EMAIL_CHANGE.finditer(detail or ""):
            found.update(part.lower().rstrip(",;") for part in match.groups())
    return {address for address in found if "@" in address}


def _pattern(addresses: set[str]) -> re.Pattern[str]:
    """Matches any of ``addresses`` as a whole address (not inside a longer one)."""
    alternatives = "|".join(re.escape(a) for a in sorted(addresses, key=len, reverse=True))
    return re.compile(rf"(?<![\w.+-])(?:{alternatives})(?![\w.-])", re.IGNORECASE)


def _scrub_audit(db: Session, user: User, addresses: set[str]) -> int:
    pattern = _pattern(addresses)
    placeholder = f"user {user.id}"
    mentions = [func.lower(column).contains(address)
                for address in addresses
                for column in (AuditEvent.email, AuditEvent.target, AuditEvent.detail)]
    changed = 0
    for row in db.scalars(select(AuditEvent).where(or_(AuditEvent.user_id == user.id,
                                                       *mentions))):
        before = (row.email, row.ip, row.target, row.detail)
        if row.user_id == user.id or pattern.fullmatch(row.email or ""):
            row.email, row.ip = "", ""
        row.target = pattern.sub(placeholder, row.target)
        row.detail = pattern.sub(placeholder, row.detail)
        changed += before != (row.email, row.ip, row.target, row.detail)
    return changed


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_traces(db: Session, user: User) -> Erased:
    """Remove ``user``'s personal data from the audit trail, mail queue and access requests.

    Call it before the user's email is replaced; the caller commits.
    """
    addresses = addresses_of(db, user)
    audit_rows = _scrub_audit(db, user, addresses)
    mail = _rowcount(db.execute(delete(MailMessage)
                                .where(func.lower(MailMessage.to_addr).in_(addresses))
                                .execution_options(synchronize_session=False)))
    requests = _rowcount(db.execute(delete(AccessRequest)
                                    .where(func.lower(AccessRequest.email).in_(addresses))
                                    .execution_options(synchronize_session=False)))
    return Erased(audit_rows=audit_rows, mail_messages=mail, access_requests=requests)
