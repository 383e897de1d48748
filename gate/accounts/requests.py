"""Access requests: someone asks for access; staff are told by mail and decide.

:func:`submit` stores the request (``access_requests``) and queues one notice to
``STAFF_NOTIFY_EMAIL`` (or, when that is empty, to every active staff user) through the mail
queue. It never looks the email up among the users, so the answer cannot reveal who has an
account. :func:`pending` lists what staff have not decided yet (``sop-portal requests list``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate import audit, mail
from gate.models import AccessRequest, User, utcnow

STATUSES = ("pending", "approved", "declined")
SUBJECT = "Access request for the SOP Portal"


@dataclass(frozen=True)
class Request:
    """What a person typed into the form (already checked for length by the form)."""

    email: str
    name: str
    wanted: str
    message: str
    ip: str = ""


def staff_recipients(session: Session, config: Mapping[str, Any]) -> list[str]:
    """Where notices go: ``STAFF_NOTIFY_EMAIL`` (comma-separated), else every active staff user."""
    configured = [a.strip() for a in str(config.get("STAFF_NOTIFY_EMAIL") or "").split(",")]
    if any(configured):
        return [a for a in configured if a]
    query = select(User.email).where(User.role == "staff", User.active.is_(True))
    return list(session.scalars(query.order_by(User.email)))


def _notice(record: AccessRequest, base_url: str) -> str:
    lines = [
        "Someone asked for access to the SOP Portal.",
        "",
        f"Email:   {record.email}",
        f"Name:    {record.name or '(not given)'}",
        f"Wants:   {record.wanted or '(not said)'}",
        f"Sent at: {record.created_at:%Y-%m-%d %H:%M} UTC (request {record.id})",
        "",
        record.message or "(no message)",
        "",
        "To give access: sop-portal users add EMAIL --role client|subscriber ... or",
        "sop-portal users grant EMAIL AUDIENCE, then reply to the person.",
        f"All pending requests: sop-portal requests list ({base_url})",
    ]
    return "\n".join(lines) + "\n"


def submit(session: Session, request: Request, config: Mapping[str, Any]) -> AccessRequest:
    """Store ``request``, queue the staff notice, audit it and commit (then dispatch mail)."""
    record = AccessRequest(
        created_at=utcnow(), email=request.email, name=request.name.strip(),
        wanted=request.wanted.strip(), message=request.message.strip(),
        ip=audit.clean(request.ip, 64),
    )
    session.add(record)
    session.flush()
    body = _notice(record, str(config.get("PUBLIC_BASE_URL", "")).rstrip("/"))
    for address in staff_recipients(session, config):
        mail.queue(session, address, f"{SUBJECT}: {audit.clean(request.email, 120)}", body)
    audit.record("access.request", email=request.email, target=record.wanted[:200],
                 session=session)
    return record


def pending(session: Session) -> list[AccessRequest]:
    """Requests staff have not decided yet, oldest first."""
    query = select(AccessRequest).where(AccessRequest.status == "pending")
    return list(session.scalars(query.order_by(AccessRequest.id)))


def decide(session: Session, request_id: int, status: str) -> AccessRequest:
    """Mark a request ``approved`` or ``declined``; LookupError or ValueError when impossible."""
    if status not in STATUSES[1:]:
        raise ValueError(f"bad decision {status!r}: expected approved or declined")
    record = session.get(AccessRequest, request_id)
    if record is None:
        raise LookupError(f"no access request {request_id}")
    record.status, record.decided_at = status, utcnow()
    audit.record(f"access.{status}", email=record.email, target=str(request_id),
                 session=session)
    return record
