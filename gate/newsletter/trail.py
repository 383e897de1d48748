"""Audit events of one newsletter transaction: noted as changes are made, written together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import has_request_context, request
from sqlalchemy.orm import Session

from gate.audit import clean
from gate.models import AuditEvent, User, utcnow

audit_log = logging.getLogger("gate.audit")



@dataclass
class Trail:
    """Audit events of one transaction: noted as changes are made, added to the database in
    one go (after a single flush gives new users their ids), logged once committed."""

    source: str
    notes: list[tuple[str, User | None, str, str]] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    def note(self, action: str, user: User | None, target: str, detail: str = "") -> None:
        """Remember one event for :meth:`write`."""
        self.notes.append((action, user, target, detail))

    def write(self, db: Session) -> None:
        """Add the noted events to the transaction (CR, LF and other controls escaped)."""
        if not self.notes:
            return
        db.flush()
        ip = (request.remote_addr or "") if has_request_context() else "cli"
        at = utcnow()
        for action, user, target, detail in self.notes:
            event = AuditEvent(
                at=at, user_id=user.id if user else None,
                email=clean(user.email if user else "", 320), action=action,
                target=clean(target, 500), ip=clean(ip, 64), outcome="ok",
                detail=clean(f"{self.source}: {detail}" if detail else self.source, 1000),
            )
            db.add(event)
            self.events.append(event)
        self.notes.clear()

    def discard(self) -> None:
        """Forget everything (a dry run or a rollback)."""
        self.notes.clear()
        self.events.clear()

    def log_committed(self) -> None:
        """One log line per committed event, as :func:`gate.audit.record` writes them."""
        for event in self.events:
            audit_log.info(
                "audit action=%s outcome=%s user=%s email=%s ip=%s target=%s",
                event.action, event.outcome, event.user_id or "-", event.email or "-",
                event.ip or "-", event.target or "-",
            )
        self.events.clear()
