"""Sessions: cookies, lifetimes, remember-me, revocation on the next request, key rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate import create_app
from gate.accounts import sessions
from gate.models import utcnow
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import TEST_PASSWORD, BufferedClient

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")


def _set_cookie(response, name):
    found = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(name + "=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


def test_cookie_flags_over_http(client, client_user, login):
    response = login(client, "alice@example.com", TEST_PASSWORD, remember="y")
    for name in ("sop-session", "sop-remember"):
        header = _set_cookie(response, name)
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
        assert "Secure" not in header and "Domain" not in header


def test_cookie_flags_under_https(app_config, make_user):
    app = create_app({**app_config, "PUBLIC_BASE_URL": "https://portal.example"})
    app.test_client_class = BufferedClient
    client = app.test_client()
    from tests.conftest import form_csrf_token

    with app.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts
        from gate.db import get_session

        db = get_session()
        user = accounts.create_user(db, "staff@example.com", "staff")
        user.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
        db.commit()
    base = "https://portal.example"
    client.get(f"{base}/auth/login")
    token = form_csrf_token(client, f"{base}/auth/login")
    response = client.post(f"{base}/auth/login", data={
        "email": "staff@example.com", "password": TEST_PASSWORD, "remember": "y",
        "csrf_token": token}, headers={"Referer": f"{base}/auth/login"})
    assert response.status_code == 302
    for name in ("__Host-sop-session", "__Host-sop-remember"):
        header = _set_cookie(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
        assert "Path=/" in header and "Domain" not in header
    assert "Strict-Transport-Security" in response.headers


def test_the_session_cookie_changes_at_sign_in(client, client_user, login):
    client.get("/auth/login")
    before = client.get_cookie("sop-session").value
    login(client, "alice@example.com", TEST_PASSWORD)
    after = client.get_cookie("sop-session").value
    assert before != after


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "", "eyJfdXNlcl9pZCI6IngifQ.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "." * 4000,
     "\u00e9\u00e9"],
)
def test_a_tampered_cookie_is_anonymous_never_5xx(app, client, client_user, login, cookie):
    login(client, "alice@example.com", TEST_PASSWORD, remember="y")
    client.set_cookie("sop-session", cookie)
    client.set_cookie("sop-remember", cookie)
    for path in ("/auth/logout", "/auth/login", "/auth/password", "/"):
        assert client.get(path).status_code < 500
    assert signed_in_email(app, client) is None


def test_a_modified_signed_cookie_is_anonymous(app, client, client_user, login):
    login(client, "alice@example.com", TEST_PASSWORD)
    value = client.get_cookie("sop-session").value
    client.set_cookie("sop-session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert signed_in_email(app, client) is None


@pytest.mark.parametrize(
    ("steps_minutes", "signed_in"),
    [
        ([59], True),
        ([61], False),
        ([50, 50, 50], True),  # active: each request resets the idle clock
        ([50] * 14, True),  # 11 h 40 min: inside the absolute lifetime
        ([50] * 15, False),  # 12 h 30 min: past the absolute lifetime
        ([60 * 24], False),
    ],
)
def test_idle_and_absolute_lifetimes(app, client, client_user, login, steps_minutes, signed_in):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_ABSOLUTE_HOURS=12)
    with freeze_time(utcnow()) as frozen:
        login(client, "alice@example.com", TEST_PASSWORD)
        assert signed_in_email(app, client) == "alice@example.com"
        results = []
        for minutes in steps_minutes:
            frozen.tick(timedelta(minutes=minutes))
            results.append(client.get("/auth/logout").status_code == 200)
        assert results[-1] is signed_in
        assert all(results[:-1])


def test_remember_me_outlives_the_session_but_not_revocation(app, client, client_user, login,
                                                              runner):
    with freeze_time(utcnow()) as frozen:
        login(client, "alice@example.com", TEST_PASSWORD, remember="y")
        client.delete_cookie("sop-session")  # the browser was closed
        frozen.tick(timedelta(days=3))
        assert client.get("/auth/logout").status_code == 200
        assert runner.invoke(args=["users", "revoke", "alice@example.com"]).exit_code == 0
        assert client.get("/auth/logout").status_code == 302
        assert signed_in_email(app, client) is None


def test_remember_me_ends_after_remember_days(app, client, client_user, login):
    app.config["REMEMBER_DAYS"] = 14
    with freeze_time(utcnow()) as frozen:
        login(client, "alice@example.com", TEST_PASSWORD, remember="y")
        client.delete_cookie("sop-session")
        frozen.tick(timedelta(days=15))
        remember = client.get_cookie("sop-remember")
        client.set_cookie("sop-remember", remember.value)  # even if the browser kept it
        assert signed_in_email(app, client) is None


def _two_browsers(app, login):
    first, second = app.test_client(), app.test_client()
    login(first, "alice@example.com", TEST_PASSWORD, remember="y")
    login(second, "alice@example.com", TEST_PASSWORD)
    return first, second


@pytest.mark.parametrize(
    "revoke",
    ["cli-revoke", "logout-everywhere", "password-change", "reset"],
)
def test_revocation_takes_effect_on_the_next_request(app, client_user, login, runner, revoke,
                                                     outbox):
    first, second = _two_browsers(app, login)
    assert first.get("/auth/logout").status_code == 200
    new_password = "a brand new passphrase 99"
    if revoke == "cli-revoke":
        assert runner.invoke(args=["users", "revoke", "alice@example.com"]).exit_code == 0
    elif revoke == "logout-everywhere":
        response = post_form(second, "/auth/logout-everywhere", {}, form_path="/auth/logout")
        assert response.status_code == 302
    elif revoke == "password-change":
        response = post_form(second, "/auth/password", {
            "current_password": TEST_PASSWORD, "password": new_password,
            "confirm": new_password})
        assert response.status_code == 200
    else:
        post_form(app.test_client(), "/auth/reset", {"email": "alice@example.com"})
        token = outbox.last_token("alice@example.com", "reset")
        third = app.test_client()
        response = post_form(third, f"/auth/reset/{token}", {
            "password": new_password, "confirm": new_password})
        assert response.status_code == 302
    assert first.get("/auth/logout").status_code == 302  # anonymous now
    assert signed_in_email(app, first) is None  # remember cookie included
    if revoke == "password-change":
        assert signed_in_email(app, second) == "alice@example.com"  # the changer stays in
    elif revoke != "reset":
        assert signed_in_email(app, second) is None


def test_grant_changes_apply_on_the_next_request(app, client, make_user, login_as, runner):
    user = make_user("c@example.com", "client", account="Acme Ltd")
    login_as(client, user)

    def audiences():
        from flask_login import current_user

        cookie = client.get_cookie("sop-session")
        with app.test_request_context("/", headers={"Cookie": f"sop-session={cookie.value}"}):
            return current_user.audiences(utcnow())

    assert audiences() == {"clients", "client:acme-ltd"}
    assert runner.invoke(args=["users", "grant", "c@example.com",
                               "newsletter:payments"]).exit_code == 0
    assert "newsletter:payments" in audiences()
    assert runner.invoke(args=["users", "ungrant", "c@example.com",
                               "client:acme-ltd"]).exit_code == 0
    assert audiences() == {"clients", "newsletter:payments"}


def test_key_rotation_keeps_sessions_and_drops_remember_cookies(app_config, make_user, login):
    old, new = "old-key-" + "a" * 40, "new-key-" + "b" * 40
    first = create_app({**app_config, "SECRET_KEY": old})
    client = first.test_client()
    with first.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts
        from gate.db import get_session

        db = get_session()
        user = accounts.create_user(db, "staff@example.com", "staff")
        user.password_hash = passwords.hash_password(TEST_PASSWORD, first.config)
        db.commit()
    assert login(client, "staff@example.com", TEST_PASSWORD, remember="y").status_code == 302
    rotated = create_app({**app_config, "SECRET_KEY": new, "SECRET_KEY_FALLBACKS": [old]})
    assert signed_in_email(rotated, client) == "staff@example.com"
    client.delete_cookie("sop-session")
    # documented: Flask-Login's remember cookie does not honour the fallbacks
    assert signed_in_email(rotated, client) is None
    without = create_app({**app_config, "SECRET_KEY": new})
    client2 = first.test_client()
    login(client2, "staff@example.com", TEST_PASSWORD)
    assert signed_in_email(without, client2) is None


def test_unauthorized_keeps_a_safe_next(app):
    with app.test_request_context("/members/clients/x?q=1"):
        response = sessions.unauthorized()
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fmembers%2Fclients%2Fx%3Fq%3D1"
    with app.test_request_context("/members/x", headers={"X-Requested-With": "XMLHttpRequest"}):
        assert sessions.unauthorized().status_code == 401
