"""Deleting a user erases their personal data from every table; the audit trail keeps their id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gate.admin import services
from gate.models import (
    AccessRequest,
    AuditEvent,
    Base,
    LoginSession,
    MailMessage,
    RecoveryCode,
    TokenRecord,
    TotpCredential,
    User,
    utcnow,
)
from gate.privacy import erasure

OLD = "ann.old@example.com"
NEW = "ann@example.com"


def _cells(db) -> list[tuple[str, object]]:
    """Every (table, value) in the database."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(table.select()):
            found.extend((table.name, value) for value in row)
    return found


@pytest.fixture
def history(db, make_user, staff):
    """Ann, who changed her email from OLD to NEW, with traces in every table."""
    ann = make_user(OLD, "client", account="Acme Ltd")
    boss = db.get(User, staff.id)
    user = db.get(User, ann.id)
    db.add(AuditEvent(user_id=user.id, email=OLD, action="login", ip="198.51.100.7"))
    db.add(AuditEvent(email=OLD.upper(), action="login", outcome="failed", ip="203.0.113.5"))
    db.add(AuditEvent(email="bob@example.com", action="login", ip="192.0.2.1",
                      detail="not " + "x" + OLD))  # another address that merely ends alike
    db.commit()
    services.edit_user(db, user, boss, email=NEW)  # audit detail "email OLD -> NEW", 2 mails
    db.add_all([
        AccessRequest(email=OLD, name="Ann", message="please", ip="203.0.113.5"),
        AccessRequest(email="other@example.com", name="Other"),
        MailMessage(to_addr=NEW, subject="Your link", body="https://x/auth/link/abc"),
        MailMessage(to_addr="other@example.com", subject="Hello"),
        TokenRecord(jti="j1", purpose="link", user_id=user.id, expires_at=utcnow()),
        TotpCredential(user_id=user.id, secret="JBSWY3DPEHPK3PXP"),
        RecoveryCode(user_id=user.id, code_hash="0" * 64),
        LoginSession(token_hash="h1", user_id=user.id, expires_at=utcnow()),
        AuditEvent(user_id=user.id, email=NEW, action="download", target="/members/a.pdf",
                   ip="198.51.100.7"),
    ])
    db.commit()
    return user, boss


def test_addresses_of_finds_every_address_the_user_had(db, history):
    user, _ = history
    assert erasure.addresses_of(db, user) == {OLD, NEW}


@pytest.mark.usefixtures("db_url")  # SQLite and PostgreSQL
def test_deleting_erases_the_user_from_every_table(db, history):
    user, boss = history
    user_id = user.id
    services.delete_user(db, user, boss)
    leftovers = [(table, value) for table, value in _cells(db)
                 if isinstance(value, str) and (OLD in value.lower() or NEW in value.lower())
                 and "x" + OLD not in value]
    assert leftovers == []
    deleted = db.get(User, user_id)
    assert deleted is not None and deleted.name == "" and deleted.password_hash is None
    for model in (TokenRecord, TotpCredential, RecoveryCode, LoginSession):
        assert db.scalars(select(model).where(model.user_id == user_id)).all() == [], model
    theirs = db.scalars(select(AuditEvent).where(AuditEvent.user_id == user_id)).all()
    assert {row.action for row in theirs} >= {"login", "download", "user.edit", "user.delete"}
    assert all(row.email == "" for row in theirs)
    assert {row.ip for row in theirs} <= {"", "cli"}  # "cli": the staff command, not Ann
    edit = next(row for row in theirs if row.action == "user.edit")
    assert f"email user {user_id} -> user {user_id}" in edit.detail


def test_deleting_leaves_everyone_else_alone_and_keeps_the_rows(db, history):
    user, boss = history
    services.delete_user(db, user, boss)
    assert db.scalars(select(AccessRequest.email)).all() == ["other@example.com"]
    assert db.scalars(select(MailMessage.to_addr)).all() == ["other@example.com"]
    bob = db.scalar(select(AuditEvent).where(AuditEvent.email == "bob@example.com"))
    assert bob is not None and bob.ip == "192.0.2.1" and bob.detail == "not x" + OLD
    failed = db.scalar(select(AuditEvent).where(AuditEvent.outcome == "failed"))
    assert failed is not None and (failed.email, failed.ip) == ("", "")
    assert db.get(User, boss.id).email == "boss@example.com"
