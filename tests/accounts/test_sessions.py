"""Sessions (gate.accounts.sessions): cookies, lifetimes, remember-me, revocation on the next
request, tampered cookies, key rotation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate import create_app
from gate.accounts import sessions
from gate.models import utcnow
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import assert_clean, is_signed_in, set_cookie_headers, sign_in

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

EMAIL = "client@example.org"
SESSION = "sop-session"
REMEMBER = "sop-remember"




def _set_cookie(response, name):
    found = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(name + "=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


@pytest.mark.asvs("7.3.1")
@pytest.mark.asvs("7.3.2")
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


@pytest.mark.asvs("7.4.1")
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


@pytest.mark.asvs("8.3.2")
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


@pytest.mark.asvs("7.2.4")
def test_asvs_7_2_4_the_session_cookie_changes_at_sign_in(client, user, password):
    client.get("/auth/login")
    before = client.get_cookie(SESSION)
    assert before is not None, "the sign-in form sets a session cookie (CSRF)"
    assert sign_in(client, EMAIL, password).status_code in (302, 303)
    after = client.get_cookie(SESSION)
    assert after is not None and after.value != before.value
    # the pre-sign-in cookie does not carry the new session
    stale = client.application.test_client()
    stale.set_cookie(SESSION, before.value)
    assert not is_signed_in(stale)


@pytest.fixture
def public_base(app_config, request):
    """Set PUBLIC_BASE_URL before the app is created (use it as the first argument)."""
    app_config["PUBLIC_BASE_URL"] = request.param
    return request.param


@pytest.mark.asvs("3.3.1")
@pytest.mark.parametrize(
    ("public_base", "prefix", "secure"),
    [pytest.param("https://portal.example.org", "__Host-", True, id="https"),
     pytest.param("http://127.0.0.1:8000", "", False, id="http-development")],
    indirect=["public_base"],
)
def test_asvs_3_3_1_cookie_attributes(public_base, make_user, client, password, prefix, secure):
    make_user(EMAIL, role="client", password=password, audiences=("clients",))
    scheme_base = "https://portal.example.org" if secure else "http://localhost"
    token = csrf_token_at(client, scheme_base)
    response = client.post("/auth/login", base_url=scheme_base, data={
        "email": EMAIL, "password": password, "remember": "y", "csrf_token": token},
        headers={"Referer": scheme_base + "/auth/login"})
    assert response.status_code in (302, 303)
    for name in (SESSION, REMEMBER):
        headers = set_cookie_headers(response, prefix + name)
        assert headers, (name, response.headers.getlist("Set-Cookie"))
        attrs = [a.strip().lower() for a in headers[-1].split(";")[1:]]
        assert "httponly" in attrs
        assert "samesite=lax" in attrs
        assert ("secure" in attrs) is secure
        assert not any(a.startswith("domain=") for a in attrs)
        assert "path=/" in attrs
        assert headers[-1].startswith(prefix + name + "=")
    assert ("Strict-Transport-Security" in response.headers) is secure


def csrf_token_at(client, base_url: str) -> str:
    response = client.get("/auth/login", base_url=base_url)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.asvs("9.1.1")
@pytest.mark.parametrize(
    "mangle",
    [pytest.param(lambda v: v[:-3] + "abc", id="signature"),
     pytest.param(lambda v: "." + v, id="leading-dot"),
     pytest.param(lambda v: v.split(".")[0] + ".x.y", id="wrong-parts"),
     pytest.param(lambda v: "A" * 5000, id="huge"),
     pytest.param(lambda v: "%%%\\\"'<>", id="junk"),
     pytest.param(lambda v: "", id="empty"),
     pytest.param(lambda v: "\u00e9\u00e9", id="non-ascii"),
     pytest.param(lambda v: "eyJfdXNlcl9pZCI6IngifQ.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  id="well-formed-unsigned")],
)
def test_asvs_9_1_1_a_tampered_cookie_is_anonymous_never_an_error(app, user, password, mangle):
    client = app.test_client()
    assert sign_in(client, EMAIL, password).status_code in (302, 303)
    value = client.get_cookie(SESSION).value
    tampered = app.test_client()
    raw = {"Cookie": f"{SESSION}={mangle(value)}; {REMEMBER}={mangle(value)}"}
    for path in ("/members/", "/members/clients/", "/auth/login", "/"):
        assert_clean(tampered.get(path, headers=raw))
    background = tampered.get("/members/", headers={**raw, "Accept": "application/json"})
    assert background.status_code == 401
