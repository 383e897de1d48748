"""The audit trail: who did what, from where, when (UTC), and how it ended.

:func:`record` stores one event and commits the current database session; it also writes one
log line. Control characters (CR, LF, ...) in any field are escaped, so an email address cannot
forge a second line. Tokens, passwords and secrets are never passed to it. CSV exports quote
every text field and neutralise a formula trigger (``= + - @``, tab, CR) at the start of a field
and after any separator a spreadsheet may split on (``, ; tab |``), so no cell a spreadsheet
makes from the export starts a formula, however it splits the text.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gate.db import get_session
from gate.models import AuditEvent, User, utcnow

log = logging.getLogger("gate.audit")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A trigger at the start, or after a separator (and any spaces): the apostrophe goes before it.
_FORMULA_CELL = re.compile(r"(^|[,;\t|])([ ]*)(?=[=+\-@\t\r\n])")
FIELDS = ("at", "user_id", "email", "action", "target", "ip", "outcome", "detail")


def clean(value: object, limit: int) -> str:
    """``value`` as one line: control characters escaped (``\\x0a``), cut to ``limit``."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:limit]


def _client_ip() -> str:
    if not has_request_context():
        return "cli"
    return request.remote_addr or ""


def record(
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    user: User | None = None,
    email: str | None = None,
    detail: str = "",
    session: Session | None = None,
) -> AuditEvent:
    """Store one audit event (UTC, request IP) and commit the session; returns the event."""
    db = session or get_session()
    event = AuditEvent(
        at=utcnow(),
        user_id=user.id if user is not None else None,
        email=clean(email if email is not None else (user.email if user else ""), 320),
        action=clean(action, 60),
        target=clean(target, 500),
        ip=clean(_client_ip(), 64),
        outcome=clean(outcome, 40),
        detail=clean(detail, 1000),
    )
    db.add(event)
    db.commit()
    log.info(
        "audit action=%s outcome=%s user=%s email=%s ip=%s target=%s",
        event.action, event.outcome, event.user_id or "-", event.email or "-",
        event.ip or "-", event.target or "-",
    )
    return event


def events(session: Session, since: datetime | None = None) -> list[AuditEvent]:
    """Audit events in time order, from ``since`` (inclusive) when given."""
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query))


def as_dict(event: AuditEvent) -> dict[str, Any]:
    """One event as JSON-ready data (``at`` in ISO 8601 UTC with ``Z``)."""
    return {
        "at": event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "user_id": event.user_id,
        "email": event.email,
        "action": event.action,
        "target": event.target,
        "ip": event.ip,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def spreadsheet_safe(value: object) -> str:
    """Text a spreadsheet will not run, however it splits it into cells.

    A formula trigger at the start, or after ``,`` ``;`` tab or ``|`` (and spaces), gets a
    leading apostrophe: ``x;=1+1;`` becomes ``x;'=1+1;``.
    """
    text = clean(value, 10_000)
    return _FORMULA_CELL.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)


def to_csv(rows: Iterable[AuditEvent]) -> str:
    """The events as CSV with a header row: every text field quoted and spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(FIELDS)
    for event in rows:
        data = as_dict(event)
        writer.writerow([_csv_cell(data[f]) for f in FIELDS])
    return out.getvalue()


def _csv_cell(value: object) -> int | str:
    """A number stays a number (unquoted); anything else is safe, quoted text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return spreadsheet_safe("" if value is None else value)


def to_json(rows: Iterable[AuditEvent]) -> str:
    """The events as a JSON list."""
    return json.dumps([as_dict(event) for event in rows], indent=2)
