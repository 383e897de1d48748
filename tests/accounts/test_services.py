"""Account services: emails, slugs, users, grants, audiences, revocation (gate.accounts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gate.accounts import passwords
from gate.accounts import services as accounts
from gate.accounts.services import AccountError
from gate.db import get_session
from gate.models import LoginSession, User
from gate.newsletter.sections import current_slugs
from tests.conftest import TEST_PASSWORD

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice@Example.COM \n", "alice@example.com"),
        ("o'brien+sops@mail.example.co.za", "o'brien+sops@mail.example.co.za"),
        ("Jos\u0065\u0301@example.com", "jos\u00e9@example.com"),  # NFC
        ("a@b", None),
        ("alice@@example.com", None),
        ("alice@bob@example.com", None),
        ("alice example@example.com", None),
        ("alice\r\nBcc: x@example.com", None),
        ("alice@example.com\r\nX: y", None),
        ("@example.com", None),
        ("alice@", None),
        (".alice@example.com", None),
        ("al..ice@example.com", None),
        ("alice@-example.com", None),
        ("alice@exa mple.com", None),
        ("<alice@example.com>", None),
        ("a" * 65 + "@example.com", None),
        ("", None),
    ],
)
def test_normalise_email(raw, expected):
    if expected is None:
        with pytest.raises(AccountError):
            accounts.normalise_email(raw)
    else:
        assert accounts.normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Demo Client", "demo-client"), ("  Acme   (Pty) Ltd. ", "acme-pty-ltd"),
     ("Café Ümlaut", "cafe-umlaut"), ("Bob’s Shop", "bobs-shop"), ("!!!", None)],
)
def test_slugify(name, slug):
    if slug is None:
        with pytest.raises(AccountError):
            accounts.slugify(name)
    else:
        assert accounts.slugify(name) == slug


def test_a_client_gets_client_grants_and_email_is_unique_ignoring_case(app):
    with app.app_context():
        db = get_session()
        account = accounts.ensure_account(db, "Acme Ltd", "debit_order")
        user = accounts.create_user(db, "Alice@Example.com", "client", name="Alice",
                                    account=account)
        db.commit()
        assert user.email == "alice@example.com"
        assert user.audiences(NOW) == {"clients", "client:acme-ltd"}
        assert account.slug == "acme-ltd" and account.account_type == "debit_order"
        with pytest.raises(AccountError, match="already exists"):
            accounts.create_user(db, "ALICE@example.com", "client", account=account)


@pytest.mark.parametrize(
    ("role", "account", "message"),
    [("admin", None, "bad role"), ("client", None, "needs an account"), ("", None, "bad role")],
)
def test_create_user_refuses_bad_input(app, role, account, message):
    with app.app_context(), pytest.raises(AccountError, match=message):
        accounts.create_user(get_session(), "x@example.com", role, account=account)


def test_audiences_honour_grant_end_and_staff(app):
    with app.app_context():
        db = get_session()
        user = accounts.create_user(db, "s@example.com", "subscriber")
        accounts.grant(db, user, "newsletter:payments", ends_at=NOW + timedelta(days=1))
        accounts.grant(db, user, "newsletter:store-setup")
        staff = accounts.create_user(db, "boss@example.com", "staff")
        db.commit()
        assert user.audiences(NOW) == {"newsletter:payments", "newsletter:store-setup"}
        assert user.audiences(NOW + timedelta(days=2)) == {"newsletter:store-setup"}
        assert staff.is_staff and "staff" in staff.audiences(NOW)


@pytest.mark.parametrize(
    ("audience", "ok"),
    [
        ("staff", True),
        ("clients", True),
        ("client:acme-ltd", True),
        ("newsletter:payments", True),
        ("newsletter:store-setup", True),
        ("client:nobody", False),
        ("newsletter:gardening", False),
        ("newsletter:", False),
        ("admins", False),
        ("", False),
    ],
)
def test_validate_audience(app, audience, ok):
    with app.app_context():
        db = get_session()
        accounts.ensure_account(db, "Acme Ltd")
        sections = current_slugs(app)
        if ok:
            assert accounts.validate_audience(db, audience, sections) == audience
        else:
            with pytest.raises(AccountError, match="unknown audience"):
                accounts.validate_audience(db, audience, sections)


def _sessions_of(db, user) -> int:
    return db.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id))


def test_set_newsletter_grants_touches_only_newsletter_grants(app, make_user, login_as, client):
    user = make_user("c@example.com", "client", audiences=("newsletter:payments",))
    login_as(client, user)
    with app.app_context():
        db = get_session()
        user = db.get(User, user.id)
        assert accounts.set_newsletter_grants(db, user, {"store-setup"}) is True
        assert accounts.set_newsletter_grants(db, user, {"newsletter:store-setup"}) is False
        db.commit()
        assert user.audiences(NOW) == {"clients", "client:test-client", "newsletter:store-setup"}
        assert accounts.set_newsletter_grants(db, user, set()) is True
        db.commit()
        assert user.audiences(NOW) == {"clients", "client:test-client"}
        assert _sessions_of(db, user) == 1  # a client keeps their session


def test_a_subscriber_left_without_sections_is_signed_out(app, make_user, login_as, client):
    user = make_user("s@example.com", "subscriber", audiences=("newsletter:payments",))
    login_as(client, user)
    with app.app_context():
        db = get_session()
        user = db.get(User, user.id)
        assert _sessions_of(db, user) == 1
        assert accounts.set_newsletter_grants(db, user, []) is True
        db.commit()
        assert _sessions_of(db, user) == 0


def test_revoke_sessions_and_deactivate(app, make_user, login_as, client):
    user = make_user("c@example.com", "client")
    login_as(client, user)
    login_as(app.test_client(), user)
    with app.app_context():
        db = get_session()
        assert accounts.revoke_sessions(db.get(User, user.id)) == 2
        db.commit()
    login_as(client, user)
    with app.app_context():
        db = get_session()
        fresh = db.get(User, user.id)
        accounts.deactivate(db, fresh)
        db.commit()
        assert not fresh.active and _sessions_of(db, fresh) == 0


# ---- sign-in rules ----

@pytest.mark.parametrize(
    ("role", "audiences", "active", "expected"),
    [
        ("subscriber", ("newsletter:payments",), True, True),
        ("subscriber", (), True, False),
        ("subscriber", ("newsletter:payments",), False, False),
        ("client", ("newsletter:payments",), True, False),
        ("staff", (), True, False),
    ],
)
def test_who_may_sign_in_by_link(app, make_user, role, audiences, active, expected):
    user = make_user("r@example.com", role, audiences=audiences)
    with app.app_context():
        db = get_session()
        user = db.get(User, user.id)
        user.active = active
        assert accounts.may_sign_in_by_link(user, NOW) is expected
    assert accounts.may_sign_in_by_link(None, NOW) is False


@pytest.mark.parametrize(
    ("role", "active", "expected"),
    [("client", True, True), ("staff", True, True), ("client", False, False),
     ("subscriber", True, False)],
)
def test_who_may_use_a_password(app, make_user, role, active, expected):
    user = make_user("p@example.com", role)
    with app.app_context():
        user = get_session().get(User, user.id)
        user.active = active
        assert accounts.may_use_password(user) is expected
    assert accounts.may_use_password(None) is False


@pytest.mark.parametrize(
    ("email", "password", "found"),
    [
        ("c@example.com", TEST_PASSWORD, True),
        ("c@example.com", "not the password at all", False),
        ("nobody@example.com", TEST_PASSWORD, False),
        ("s@example.com", TEST_PASSWORD, False),  # a subscriber has no password sign-in
        (None, TEST_PASSWORD, False),
    ],
)
def test_check_sign_in_spends_one_verification_whoever_asks(app, make_user, monkeypatch,
                                                            email, password, found):
    make_user("c@example.com", "client", password=TEST_PASSWORD)
    make_user("s@example.com", "subscriber", audiences=("newsletter:payments",))
    before = passwords.dummy_verifications
    with app.app_context():
        user = accounts.check_sign_in(get_session(), email, password, app.config)
    assert (user is not None) is found
    assert passwords.dummy_verifications - before == (0 if email == "c@example.com" else 1)


def test_check_sign_in_rehashes_under_new_parameters(app, make_user):
    make_user("c@example.com", "client", password=TEST_PASSWORD)
    stronger = {**app.config, "PASSWORD_HASH_TIME_COST": 2}
    with app.app_context():
        db = get_session()
        old = accounts.find_user(db, "c@example.com").password_hash
        user = accounts.check_sign_in(db, "c@example.com", TEST_PASSWORD, stronger)
        assert user is not None and user.password_hash != old
        assert not passwords.needs_rehash(user.password_hash, stronger)


def test_set_password_checks_the_rules_and_ends_every_session(app, make_user, login_as,
                                                              client):
    user = make_user("c@example.com", "client", password=TEST_PASSWORD)
    login_as(client, user)
    with app.app_context():
        db = get_session()
        fresh = db.get(User, user.id)
        old = fresh.password_hash
        with pytest.raises(passwords.PasswordRuleError):
            accounts.set_password(db, fresh, "short", app.config, NOW)
        assert fresh.password_hash == old and _sessions_of(db, fresh) == 1
        accounts.set_password(db, fresh, "a long and fresh passphrase 7", app.config, NOW)
        db.commit()
        assert fresh.password_changed_at is not None
        assert passwords.verify_password(fresh.password_hash, "a long and fresh passphrase 7",
                                         app.config)
        assert _sessions_of(db, fresh) == 0


@pytest.mark.parametrize(
    ("base", "path", "next_path", "expected"),
    [
        ("https://portal.example.org/", "/auth/link/t", "",
         "https://portal.example.org/auth/link/t"),
        ("https://portal.example.org", "/auth/link/t", "/members/a b",
         "https://portal.example.org/auth/link/t?next=%2Fmembers%2Fa+b"),
    ],
)
def test_public_url_uses_the_configured_base(base, path, next_path, expected):
    assert accounts.public_url({"PUBLIC_BASE_URL": base}, path, next_path) == expected
