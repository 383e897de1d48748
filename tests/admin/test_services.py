"""The rules of gate/admin/services.py, one table per operation (each with bad input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gate.accounts import services as accounts
from gate.accounts import sessions, tokens
from gate.accounts.services import AccountError
from gate.admin import services
from gate.models import AuditEvent, LoginSession, MailMessage, TokenRecord, User, utcnow


class Staff:
    """A stand-in for the signed-in staff member (id and email are all services read)."""

    def __init__(self, user: User) -> None:
        self.id, self.email = user.id, user.email


def _load(db, user) -> User:
    return db.get(User, user.id)


def _live_session(app, db, user) -> None:
    with app.test_request_context():
        sessions.start(db.get(User, user.id))
    db.commit()


def _events(db, action):
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_changing_the_email_ends_links_and_sessions_and_mails_both(app, db, staff, customer):
    user = _load(db, customer)
    with app.test_request_context():
        tokens.issue(db, user, "invite", app.config, utcnow())
        sessions.start(user)
        db.commit()
        changes = services.edit_user(db, user, Staff(staff), email="Ann.New@Example.com")
    assert changes == ["email ann@example.com -> ann.new@example.com"]
    assert user.email == "ann.new@example.com"
    assert db.scalar(select(TokenRecord).where(TokenRecord.used_at.is_(None))) is None
    assert db.scalar(select(LoginSession).where(LoginSession.user_id == user.id)) is None
    mailed = {m.to_addr for m in db.scalars(select(MailMessage))}
    assert mailed == {"ann@example.com", "ann.new@example.com"}
    (event,) = _events(db, "user.edit")
    assert event.user_id == user.id and "by boss@example.com" in event.detail


@pytest.mark.parametrize(("changes", "message"), [
    ({"email": "taken@example.com"}, "another user already has the email"),
    ({"email": "not an email"}, "not an email address"),
    ({"email": "x@deleted.invalid"}, "reserved"),
    ({"role": "owner"}, "bad role"),
    ({"role": "subscriber", "account_name": "Other"}, "only for client users"),
])
def test_bad_edits_change_nothing(db, make_user, staff, customer, changes, message):
    make_user("taken@example.com", "subscriber")
    user = _load(db, customer)
    with pytest.raises(AccountError, match=message):
        services.edit_user(db, user, Staff(staff), **changes)
    again = _load(db, customer)
    assert again.email == "ann@example.com" and again.role == "client"


def test_moving_a_client_swaps_the_client_grant_and_ends_sessions(app, db, staff, customer):
    _live_session(app, db, customer)
    user = _load(db, customer)
    changes = services.edit_user(db, user, Staff(staff), account_name="Beta Co")
    assert changes == ["account Acme Ltd -> Beta Co"]
    assert {g.audience for g in user.grants} == {"clients", "client:beta-co"}
    assert db.scalar(select(LoginSession).where(LoginSession.user_id == user.id)) is None


@pytest.mark.parametrize(("role", "grants"), [
    ("subscriber", set()), ("staff", set()), ("client", {"clients", "client:acme-ltd"}),
])
def test_role_changes_keep_client_grants_only_for_clients(db, staff, customer, role, grants):
    user = _load(db, customer)
    services.edit_user(db, user, Staff(staff), role=role)
    assert {g.audience for g in user.grants} == grants
    assert (user.account is not None) == (role == "client")


def test_a_subscriber_made_client_needs_an_account(db, staff, reader):
    with pytest.raises(AccountError, match="needs an account"):
        services.edit_user(db, _load(db, reader), Staff(staff), role="client")


@pytest.mark.parametrize(("operation", "message"), [
    (lambda db, me: services.edit_user(db, me, Staff(me), role="client",
                                       account_name="Acme"), "own staff role"),
    (lambda db, me: services.delete_user(db, me, Staff(me)), "cannot delete yourself"),
    (lambda db, me: services.revoke(db, me, Staff(me)), "cannot revoke yourself"),
])
def test_a_staff_member_cannot_remove_their_own_access(db, staff, operation, message):
    me = _load(db, staff)
    with pytest.raises(AccountError, match=message):
        operation(db, me)
    again = _load(db, staff)
    assert again.role == "staff" and again.active and again.email == staff.email


def test_deleting_erases_personal_data_and_the_trail_keeps_the_id(app, db, staff, customer,
                                                                   runner):
    assert runner.invoke(args=["users", "grant", customer.email, "newsletter:payments"]
                         ).exit_code == 0
    _live_session(app, db, customer)
    user = _load(db, customer)
    user.name = "Ann Example"
    services.delete_user(db, user, Staff(staff))
    user = _load(db, customer)
    assert services.is_deleted(user) and "ann" not in user.email
    assert user.name == "" and user.password_hash is None and not user.active
    assert user.grants == []
    assert accounts.find_user(db, "ann@example.com") is None
    assert db.scalar(select(LoginSession).where(LoginSession.user_id == user.id)) is None
    trail = list(db.scalars(select(AuditEvent).where(AuditEvent.user_id == user.id)))
    assert {"grant.add", "user.delete"} <= {e.action for e in trail}
    with pytest.raises(AccountError, match="already deleted"):
        services.delete_user(db, user, Staff(staff))


def test_restoring_a_deleted_user_by_their_old_email(db, staff, customer):
    user = _load(db, customer)
    services.delete_user(db, user, Staff(staff))
    back = services.restore_by_email(db, "ANN@example.com", Staff(staff))
    assert back.id == customer.id and back.email == "ann@example.com" and back.active
    assert {g.audience for g in back.grants} == {"clients", "client:acme-ltd"}


@pytest.mark.parametrize(("email", "message"), [
    ("nobody@example.com", "unknown user"),
    ("ann@example.com", "is not revoked or deleted"),
    ("bad address", "not an email address"),
])
def test_restore_refuses(db, staff, customer, email, message):
    with pytest.raises(AccountError, match=message):
        services.restore_by_email(db, email, Staff(staff))


def test_a_deleted_email_taken_again_is_not_restored_over(db, make_user, staff, customer):
    services.delete_user(db, _load(db, customer), Staff(staff))
    make_user("ann@example.com", "subscriber")
    deleted = services.find_deleted(db, "ann@example.com")
    with pytest.raises(AccountError, match="another user now has"):
        services.restore(db, deleted, Staff(staff), "ann@example.com")


@pytest.mark.parametrize(("audience", "ends_in", "message"), [
    ("newsletter:payments", None, None),
    ("newsletter:payments", timedelta(days=30), None),
    ("newsletter:nope", None, "unknown audience"),
    ("client:ghost", None, "no client account"),
    ("newsletter:payments", timedelta(days=-1), "in the past"),
    ("", None, "choose an audience"),
])
def test_grants_with_an_end(app, db, staff, customer, audience, ends_in, message):
    user = _load(db, customer)
    ends_at = datetime.now(UTC) + ends_in if ends_in else None
    if message:
        with pytest.raises(AccountError, match=message):
            services.grant(db, app.config, user, Staff(staff), audience, ends_at)
        return
    assert services.grant(db, app.config, user, Staff(staff), audience, ends_at)
    held = {g.audience: g.ends_at for g in _load(db, customer).grants}
    assert held[audience] == ends_at


def test_removing_a_subscribers_last_section_signs_them_out(app, db, staff, reader):
    _live_session(app, db, reader)
    user = _load(db, reader)
    services.ungrant(db, app.config, user, Staff(staff), "newsletter:payments")
    assert db.scalar(select(LoginSession).where(LoginSession.user_id == user.id)) is None
    with pytest.raises(AccountError, match="does not hold"):
        services.ungrant(db, app.config, user, Staff(staff), "newsletter:payments")


def test_ending_one_session(app, db, staff, customer):
    _live_session(app, db, customer)
    _live_session(app, db, customer)
    rows = list(db.scalars(select(LoginSession).where(LoginSession.user_id == customer.id)))
    services.end_session(db, _load(db, customer), rows[0].id, Staff(staff))
    left = list(db.scalars(select(LoginSession).where(LoginSession.user_id == customer.id)))
    assert [r.id for r in left] == [rows[1].id]
    with pytest.raises(AccountError, match="already ended"):
        services.end_session(db, _load(db, customer), rows[0].id, Staff(staff))
    with pytest.raises(AccountError, match="already ended"):
        services.end_session(db, _load(db, staff), rows[1].id, Staff(staff))


@pytest.mark.parametrize(("role", "active", "message"), [
    ("client", True, None), ("staff", True, None),
    ("subscriber", True, "subscribers sign in"), ("client", False, "is revoked"),
])
def test_invitations_and_resets(app, db, make_user, staff, role, active, message):
    person = make_user("p@example.com", role,
                       audiences=("newsletter:payments",) if role == "subscriber" else ())
    user = _load(db, person)
    user.active = active
    db.commit()
    for operation in (services.invite, services.send_reset):
        with app.test_request_context():
            if message:
                with pytest.raises(AccountError, match=message):
                    operation(db, user, Staff(staff))
            else:
                operation(db, user, Staff(staff))
    assert {e.action for e in db.scalars(select(AuditEvent))} >= (
        set() if message else {"user.invite", "reset.request"})
