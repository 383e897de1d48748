"""``sop-portal users edit|delete|restore`` (gate/admin/cli.py), through the app's CLI runner."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, User


def _run(runner, *args):
    return runner.invoke(args=list(args))


@pytest.mark.parametrize(("args", "output", "check"), [
    (["--name", "Ann Smith"], "name", lambda u: u.name == "Ann Smith"),
    (["--email", "ann@new.example.com"], "email ann@example.com -> ann@new.example.com",
     lambda u: u.email == "ann@new.example.com"),
    (["--account", "Beta Co"], "account Acme Ltd -> Beta Co",
     lambda u: {g.audience for g in u.grants} == {"clients", "client:beta-co"}),
    (["--role", "staff"], "role client -> staff", lambda u: u.role == "staff" and not u.grants),
    (["--name", ""], "no change", lambda u: u.name == ""),
])
def test_users_edit(app, runner, customer, args, output, check):
    result = _run(runner, "users", "edit", "ann@example.com", *args)
    assert result.exit_code == 0, result.output
    assert output in result.output
    with app.app_context():
        from gate.db import get_session

        assert check(get_session().get(User, customer.id))


@pytest.mark.parametrize(("args", "message"), [
    (["users", "edit", "nobody@example.com", "--name", "X"], "unknown user"),
    (["users", "edit", "ann@example.com", "--role", "owner"], "bad role"),
    (["users", "edit", "ann@example.com", "--email", "two@@example.com"], "not an email"),
    (["users", "edit", "ann@example.com", "--email", "sub@example.com"], "already has"),
    (["users", "delete", "nobody@example.com"], "unknown user"),
    (["users", "restore", "nobody@example.com"], "unknown user"),
    (["users", "restore", "ann@example.com"], "not revoked or deleted"),
])
def test_bad_input_exits_2_with_one_line(runner, customer, reader, args, message):
    result = _run(runner, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_email_change_mails_both_addresses(app, runner, customer, outbox):
    assert _run(runner, "users", "edit", "ann@example.com", "--email", "a2@example.com"
                ).exit_code == 0
    assert outbox.to("ann@example.com") and outbox.to("a2@example.com")


def test_delete_then_restore(app, runner, customer):
    result = _run(runner, "users", "delete", "ann@example.com")
    assert result.exit_code == 0 and f"deleted user {customer.id}" in result.output
    listing = json.loads(_run(runner, "users", "list", "--json").output)
    assert all("ann" not in row["email"] and "deleted" not in row["email"] for row in listing)
    assert _run(runner, "users", "delete", "ann@example.com").exit_code == 2
    result = _run(runner, "users", "restore", "ann@example.com")
    assert result.exit_code == 0 and "restored ann@example.com" in result.output
    with app.app_context():
        from gate.db import get_session

        db = get_session()
        user = db.get(User, customer.id)
        assert user.active and user.email == "ann@example.com"
        actions = [e.action for e in db.scalars(
            select(AuditEvent).where(AuditEvent.user_id == customer.id))]
        assert actions[-2:] == ["user.delete", "user.restore"]
        assert all(e.detail.startswith("by the command line") for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["user.delete", "user.restore"]))))


def test_revoke_then_restore(runner, customer):
    assert _run(runner, "users", "revoke", "ann@example.com").exit_code == 0
    result = _run(runner, "users", "restore", "ann@example.com")
    assert result.exit_code == 0 and "restored ann@example.com" in result.output
