"""Client accounts (gate/admin/client_accounts.py): a rename keeps the slug."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gate.accounts.services import AccountError
from gate.admin import client_accounts
from gate.models import AuditEvent, User
from tests.admin.test_services import Staff


def test_renaming_an_account_keeps_its_slug_and_its_users_access(app, db, staff, customer):
    account = db.get(User, customer.id).account
    changes = client_accounts.edit_account(db, app.config, account, Staff(staff),
                                    name="Acme Holdings", account_type="debit_order")
    assert changes == ["name Acme Ltd -> Acme Holdings", "type eft -> debit_order"]
    assert account.slug == "acme-ltd"
    assert "client:acme-ltd" in {g.audience for g in db.get(User, customer.id).grants}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "account.edit"))
    assert event.email == "boss@example.com"


@pytest.mark.parametrize(("name", "kind", "message"), [
    ("  ", "eft", "empty"), ("Other Co", "eft", "already called"),
    ("Acme Ltd", "monthly", "unknown account type"),
])
def test_bad_account_edits(app, db, make_user, staff, customer, name, kind, message):
    make_user("o@example.com", "client", account="Other Co")
    account = db.get(User, customer.id).account
    with pytest.raises(AccountError, match=message):
        client_accounts.edit_account(db, app.config, account, Staff(staff), name=name,
                              account_type=kind)
