"""Shared values and helpers of the newsletter tests (the default map, export headers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, User
from gate.newsletter.csv_import import parse_export
from gate.newsletter.plan import ExportError, ImportPlan
from gate.newsletter.sections import DEFAULT_MAP_FILE, parse_map

DATA = Path(__file__).resolve().parent.parent / "data"
MAP = parse_map(DEFAULT_MAP_FILE.read_text(encoding="utf-8"))
PAY = "Online Sales FAQ: Payments"
STORE = "Online Sales FAQ: Store Setup"
HEADER = "Email,First Name,Last Name,Status,Lists,Tags\n"


def parse(text: str, **kwargs) -> ImportPlan:
    """The plan of one export's text, read with the default map."""
    return parse_export(text, MAP, **kwargs)


def problems(text: str, **kwargs) -> list[str]:
    """The problems, as printed, of an export that is refused."""
    with pytest.raises(ExportError) as caught:
        parse(text, **kwargs)
    return [str(problem) for problem in caught.value.problems]


def state(app) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """email -> (role, name, grants), read from the database."""
    from gate.db import get_session

    with app.app_context():
        users = get_session().scalars(select(User).order_by(User.email))
        return {u.email: (u.role, u.name, tuple(g.audience for g in u.grants)) for u in users}


def audit_actions(app) -> list[tuple[str, str, str]]:
    """(action, email, target) of every audit event, oldest first."""
    from gate.db import get_session

    with app.app_context():
        rows = get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.email, e.target) for e in rows]
