"""What the staff pages read (gate/admin/queries.py): pagination, filters, the overview."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gate.admin import queries
from gate.models import AuditEvent, User


@pytest.mark.parametrize(("total", "number", "shown", "pages"), [
    (0, 1, 1, 1), (25, 1, 1, 1), (26, 2, 2, 2), (26, 9, 2, 2), (26, -3, 1, 2),
])
def test_pagination_clamps_the_page(db, make_user, total, number, shown, pages):
    for n in range(total):
        make_user(f"u{n:02d}@example.com", "staff")
    page = queries.paginate(db, select(User).order_by(User.email), number)
    assert (page.number, page.pages, page.total) == (shown, pages, total)
    assert len(page.items) == min(25, total - (shown - 1) * 25)


@pytest.mark.parametrize(("filters", "emails"), [
    (queries.UserFilter(q="ANN"), ["ann@example.com"]),
    (queries.UserFilter(q="_"), []),
    (queries.UserFilter(role="subscriber"), ["sub@example.com"]),
    (queries.UserFilter(account="acme-ltd"), ["ann@example.com"]),
    (queries.UserFilter(audience="newsletter:payments"), ["sub@example.com"]),
    (queries.UserFilter(state="revoked"), []),
    (queries.UserFilter(state="all"), ["ann@example.com", "boss@example.com",
                                       "sub@example.com"]),
])
def test_user_filters(db, staff, customer, reader, filters, emails):
    assert [u.email for u in queries.users(db, filters).items] == emails


def test_overview_counts(db, staff, customer, reader):
    data = queries.overview(db)
    assert data["by_role"] == {"staff": 1, "client": 1, "subscriber": 1}
    assert data["accounts"] == 1 and data["revoked"] == 0 and data["failed_mail"] == []


@pytest.mark.parametrize(("filters", "count"), [
    (queries.AuditFilter(), 3), (queries.AuditFilter(action="b"), 1),
    (queries.AuditFilter(user="X@"), 2), (queries.AuditFilter(user="#staff"), 1),
    (queries.AuditFilter(user="#"), 0),
    (queries.AuditFilter(since=date(2100, 1, 1)), 0),
    (queries.AuditFilter(until=date(2000, 1, 1)), 0),
])
def test_audit_filters(db, staff, filters, count):
    for action, email, user_id in (("a", "x@example.com", None), ("b", "x@example.com", None),
                                   ("c", "y@example.com", staff.id)):
        db.add(AuditEvent(action=action, email=email, user_id=user_id))
    db.commit()
    if filters.user == "#staff":
        filters = queries.AuditFilter(user=f"#{staff.id}")
    assert len(list(db.scalars(filters.query()))) == count
