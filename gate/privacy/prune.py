"""Removing personal data past its retention period (``sop-portal prune``).

:func:`prune` applies the cut-offs of :mod:`~gate.privacy.retention`, one transaction per
category, and returns how many rows (or outbox files) each category removed or anonymised.
With ``dry_run`` it only counts, with the same conditions, and changes nothing.

It is idempotent (a second run at the same moment finds nothing) and safe while the server
runs: it only touches rows that no request can use any more (expired links, ended sessions,
delivered or abandoned mail, decided requests, old audit rows), each statement a short write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from gate.models import AccessRequest, AuditEvent, LoginSession, MailMessage, TokenRecord
from gate.privacy.retention import Cutoffs

REMOVED = "(removed)"
"""What an email address in an audit row's target or detail becomes."""
_ADDRESS = re.compile(r"[^\s@;,:<>()\[\]\"']+@[^\s@;,:<>()\[\]\"']+")
_BATCH = 500


def scrub_addresses(text: str) -> str:
    """``text`` with every email address replaced by :data:`REMOVED`."""
    return _ADDRESS.sub(REMOVED, text)


def _deletions(cut: Cutoffs) -> dict[str, tuple[type[Any], ColumnElement[bool]]]:
    """category -> (model, condition) of the rows that category deletes."""
    return {
        "sent_mail": (MailMessage, and_(MailMessage.status == "sent",
                                        MailMessage.sent_at <= cut["sent_mail"])),
        "failed_mail": (MailMessage, and_(MailMessage.status == "failed",
                                          MailMessage.created_at <= cut["failed_mail"])),
        "tokens": (TokenRecord, TokenRecord.expires_at <= cut["tokens"]),
        "sessions": (LoginSession, or_(
            LoginSession.expires_at <= cut["sessions"],
            and_(LoginSession.remember.is_(False),
                 LoginSession.last_seen_at <= cut.idle_sessions),
        )),
        "access_requests": (AccessRequest, and_(
            AccessRequest.status != "pending",
            AccessRequest.decided_at <= cut["access_requests"])),
    }


def _delete(db: Session, model: type[Any], condition: ColumnElement[bool],
            dry_run: bool) -> int:
    if dry_run:
        return int(db.scalar(select(func.count()).select_from(model).where(condition)) or 0)
    result = db.execute(delete(model).where(condition).execution_options(
        synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def anonymise_audit(db: Session, cutoff: datetime, dry_run: bool = False) -> int:
    """Remove the email, IP address and email addresses in target and detail of the audit rows
    at or before ``cutoff``; the rows, their times, actions and user ids stay. Returns how
    many rows changed (or would change)."""
    condition = and_(AuditEvent.at <= cutoff, or_(
        AuditEvent.email != "", AuditEvent.ip != "",
        AuditEvent.target.contains("@"), AuditEvent.detail.contains("@"),
    ))
    changed = 0
    last_id = 0
    while True:
        rows = list(db.scalars(select(AuditEvent).where(condition, AuditEvent.id > last_id)
                               .order_by(AuditEvent.id).limit(_BATCH)))
        if not rows:
            return changed
        for row in rows:
            target, detail = scrub_addresses(row.target), scrub_addresses(row.detail)
            if (row.email, row.ip, row.target, row.detail) == ("", "", target, detail):
                continue
            changed += 1
            if not dry_run:
                row.email, row.ip, row.target, row.detail = "", "", target, detail
        last_id = rows[-1].id
        if not dry_run:
            db.flush()


def old_outbox_files(folder: Path, cutoff: datetime) -> list[Path]:
    """The ``.eml`` copies in ``folder`` last written at or before ``cutoff``."""
    if not folder.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(path for path in folder.glob("*.eml")
                  if path.is_file() and path.stat().st_mtime <= limit)


def prune(sessions: Callable[[], Session], cut: Cutoffs, *, outbox: Path | None = None,
          dry_run: bool = False) -> dict[str, int]:
    """Apply the cut-offs, one transaction per category; category -> rows (or files) removed
    or anonymised (with ``dry_run``: that would be, nothing changed).

    ``sessions`` makes a database session (the app's session factory); ``outbox`` is the
    folder of delivered ``.eml`` copies, pruned with the sent mail.
    """
    counts: dict[str, int] = {}
    for category, (model, condition) in _deletions(cut).items():
        with sessions() as db, db.begin():
            counts[category] = _delete(db, model, condition, dry_run)
    with sessions() as db, db.begin():
        counts["audit"] = anonymise_audit(db, cut["audit"], dry_run)
    files = old_outbox_files(outbox, cut["sent_mail"]) if outbox is not None else []
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    counts["outbox_files"] = len(files)
    return counts
