"""Sign-in and sessions (SECURITY.md "Sign-in and sessions")."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from freezegun import freeze_time

from tests.security.helpers import (
    assert_clean,
    csrf_token,
    is_signed_in,
    needs,
    post_form,
    set_cookie_headers,
    sign_in,
)

pytestmark = needs("gate.accounts.routes", "gate.accounts.sessions")

EMAIL = "client@example.org"
SESSION = "sop-session"
REMEMBER = "sop-remember"
_TOKEN_VALUE = re.compile(rb'name="csrf_token"[^>]*>|value="[^"]*"')


@pytest.fixture
def password():
    from tests.conftest import TEST_PASSWORD

    return TEST_PASSWORD


@pytest.fixture
def user(make_user, password):
    return make_user(EMAIL, role="client", password=password, audiences=("clients",))


def _hash_calls(monkeypatch) -> list[str]:
    """Record every argon2 verification and hash (real or dummy user) without changing it."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash

    def spy_verify(self, *args, **kwargs):
        calls.append("verify")
        return verify(self, *args, **kwargs)

    def spy_hash(self, *args, **kwargs):
        calls.append("hash")
        return hash_(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", spy_verify)
    monkeypatch.setattr(PasswordHasher, "hash", spy_hash)
    return calls


# --- 6.3.8 enumeration ------------------------------------------------------------------------


@pytest.mark.asvs("6.3.8")
def test_asvs_6_3_8_wrong_password_and_unknown_email_look_the_same(client, user, monkeypatch):
    from gate.accounts import passwords

    wrong = sign_in(client, EMAIL, "not-the-password-at-all")
    before = passwords.dummy_verifications
    unknown = sign_in(client, "nobody@example.org", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code
    assert _TOKEN_VALUE.sub(b"", wrong.get_data()) == _TOKEN_VALUE.sub(b"", unknown.get_data())
    # similar time: the unknown email still costs one password hash
    assert passwords.dummy_verifications == before + 1


@pytest.mark.asvs("6.3.8")
@pytest.mark.parametrize(
    "email",
    [pytest.param("nobody@example.org", id="unknown"),
     pytest.param("not-an-email", id="malformed"),
     pytest.param(EMAIL.upper(), id="case-variant-wrong-password")],
)
def test_asvs_6_3_8_every_failed_sign_in_costs_one_hash(client, user, monkeypatch, email):
    calls = _hash_calls(monkeypatch)
    response = sign_in(client, email, "not-the-password-at-all")
    assert_clean(response)
    assert calls.count("verify") == 1, calls


# --- 6.3.1 rate limits ------------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """Limits and windows from configuration, shortened to one second for the test."""
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT="3/second", LOGIN_LIMIT_PER_IP="6/second",
                      RATELIMIT_ENABLED=True)
    return app


def _after_window(attempt, limit_seconds: float = 3.0):
    """Retry ``attempt`` until it is not a 429 (the shortened window passed); its response."""
    deadline = time.monotonic() + limit_seconds
    while True:
        response = attempt()
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


@pytest.mark.asvs("6.3.1")
def test_asvs_6_3_1_failures_per_account_are_limited_before_hashing(limited, user, password,
                                                                    monkeypatch):
    client = limited.test_client()
    tokens = [csrf_token(client, "/auth/login") for _ in range(2)]
    attempts = [client.post("/auth/login", data={
        "email": EMAIL, "password": "wrong-password-123", "csrf_token": tokens[0]})
        for _ in range(3)]
    assert [a.status_code for a in attempts] == [200] * 3
    calls = _hash_calls(monkeypatch)
    blocked = client.post("/auth/login", data={  # even the right password waits
        "email": EMAIL, "password": password, "csrf_token": tokens[1]})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 0
    assert calls == [], "the limit must be checked before any hashing"
    assert not is_signed_in(client)
    # the limit is per account: another address is not held back by it
    assert sign_in(client, "someone-else@example.org", "wrong-password-123").status_code == 200
    # no permanent lockout: once the (shortened) window has passed the right password works
    response = _after_window(lambda: sign_in(client, EMAIL, password))
    assert response.status_code in (302, 303)
    assert is_signed_in(client)


@pytest.mark.asvs("6.3.1")
def test_asvs_6_3_1_attempts_per_ip_are_limited(limited, user, monkeypatch):
    client = limited.test_client()
    token = csrf_token(client, "/auth/login")
    statuses = [client.post("/auth/login", data={
        "email": f"user{i}@example.org", "password": "wrong-password-123", "csrf_token": token,
    }).status_code for i in range(6)]
    assert statuses == [200] * 6
    calls = _hash_calls(monkeypatch)
    blocked = client.post("/auth/login", data={
        "email": "user99@example.org", "password": "wrong-password-123", "csrf_token": token})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert calls == []
    elsewhere = limited.test_client()
    other_ip = {"REMOTE_ADDR": "10.9.8.7"}
    other_token = csrf_token(elsewhere, "/auth/login")
    assert elsewhere.post("/auth/login", environ_base=other_ip, data={
        "email": "user99@example.org", "password": "wrong-password-123",
        "csrf_token": other_token}).status_code == 200
    response = _after_window(lambda: client.post("/auth/login", data={
        "email": "user99@example.org", "password": "wrong-password-123", "csrf_token": token}))
    assert response.status_code == 200


@pytest.mark.asvs("6.3.1")
def test_asvs_6_3_1_windows_come_from_configuration(app):
    """The production windows are configuration (shortened above), not constants."""
    from limits import parse

    for key in ("LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_LIMIT_PER_IP", "LINK_LIMIT_PER_EMAIL",
                "LINK_LIMIT_PER_IP"):
        assert parse(str(app.config[key])).amount >= 1


# --- 6.2.8 / 6.2.9 password lengths -----------------------------------------------------------


@pytest.mark.asvs("6.2.9")
@pytest.mark.parametrize(
    "secret",
    [pytest.param("correct horse battery staple " * 3, id="87-chars"),
     pytest.param("Zürich-Straße-東京-пароль-🔑-" * 4, id="unicode"),
     pytest.param("x7!" * 341, id="1023-chars")],
)
def test_asvs_6_2_9_long_and_unicode_passwords_work_and_are_not_truncated(client, make_user,
                                                                          secret):
    make_user("long@example.org", role="client", password=secret, audiences=("clients",))
    assert sign_in(client, "long@example.org", secret[:-1]).status_code == 200  # refused
    assert not is_signed_in(client)
    assert sign_in(client, "long@example.org", secret).status_code in (302, 303)
    assert is_signed_in(client)


@pytest.mark.asvs("6.2.8")
@pytest.mark.parametrize(
    ("size", "statuses"),
    [pytest.param(1_000_000, (400, 413), id="1MB"),
     pytest.param(3_000_000, (413,), id="3MB-over-request-limit"),
     pytest.param(1025, (400,), id="just-over-max")],
)
def test_asvs_6_2_8_an_oversized_password_is_refused_before_hashing(client, user, monkeypatch,
                                                                   size, statuses):
    calls = _hash_calls(monkeypatch)
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"email": EMAIL, "password": "p" * size,
                                                "csrf_token": token})
    assert_clean(response)
    assert response.status_code in statuses
    assert calls == []


# --- CSRF and session fixation ----------------------------------------------------------------


@pytest.mark.asvs("[4.2.2]")
@pytest.mark.parametrize(
    "token",
    [pytest.param(None, id="missing"), pytest.param("forged-token", id="forged"),
     pytest.param("", id="empty")],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout", "/auth/link",
                                  "/auth/logout-everywhere"])
def test_asvs_4_2_2_a_form_post_without_a_valid_csrf_token_is_400(client, user, password,
                                                                 token, path):
    assert sign_in(client, EMAIL, password).status_code in (302, 303)
    data = {"email": EMAIL, "password": password}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert is_signed_in(client), "a refused POST must not have signed anyone out"


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


# --- 7.4.x revocation -------------------------------------------------------------------------


def _revoke(runner, email):
    result = runner.invoke(args=["users", "revoke", email])
    assert result.exit_code == 0, result.output


def _change_password(app, email, password):
    other = app.test_client()
    assert sign_in(other, email, password).status_code in (302, 303)
    response = post_form(other, "/auth/password", {
        "current_password": password, "password": "a brand new pass phrase 42",
        "confirm": "a brand new pass phrase 42"})
    assert response.status_code == 200, response.get_data()[:300]


def _everywhere(app, email, password):
    other = app.test_client()
    assert sign_in(other, email, password).status_code in (302, 303)
    response = post_form(other, "/auth/logout-everywhere", {}, form_path="/auth/logout")
    assert response.status_code in (302, 303)


@pytest.mark.asvs("7.4.1")
@pytest.mark.parametrize(
    "end",
    [pytest.param(lambda app, runner, pw: _revoke(runner, EMAIL), id="user-revoked"),
     pytest.param(lambda app, runner, pw: _change_password(app, EMAIL, pw),
                  id="password-changed"),
     pytest.param(lambda app, runner, pw: _everywhere(app, EMAIL, pw),
                  id="sign-out-everywhere")],
)
@pytest.mark.parametrize("keep", ["session-cookie", "remember-cookie-only"])
def test_asvs_7_4_1_ended_sessions_are_anonymous_on_the_next_request(app, runner, user,
                                                                    password, end, keep):
    client = app.test_client()
    assert sign_in(client, EMAIL, password, remember="y").status_code in (302, 303)
    assert client.get_cookie(REMEMBER) is not None, "remember cookie expected"
    if keep == "remember-cookie-only":
        client.delete_cookie(SESSION)
        assert is_signed_in(client), "the remember cookie alone restores the session"
    end(app, runner, password)
    assert not is_signed_in(client)
    fresh = app.test_client()
    remember = client.get_cookie(REMEMBER)
    if remember is not None:
        fresh.set_cookie(REMEMBER, remember.value)
        assert not is_signed_in(fresh)


@pytest.mark.asvs("8.3.2")
def test_asvs_8_3_2_a_removed_grant_closes_the_item_on_the_next_request(app, runner, user,
                                                                       password):
    client = app.test_client()
    assert sign_in(client, EMAIL, password).status_code in (302, 303)
    page = "/members/clients/"
    assert client.get(page).status_code == 200
    result = runner.invoke(args=["users", "ungrant", EMAIL, "clients"])
    assert result.exit_code == 0, result.output
    assert client.get(page).status_code == 403


# --- 3.3.x cookie attributes ------------------------------------------------------------------


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


def csrf_token_at(client, base_url: str) -> str:
    response = client.get("/auth/login", base_url=base_url)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


# --- 7.3.x lifetimes and tampered cookies -----------------------------------------------------


@pytest.mark.asvs("7.3.1")
def test_asvs_7_3_1_an_idle_session_ends(app, user, password):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    idle = int(app.config["SESSION_IDLE_MINUTES"])
    with freeze_time(start) as clock:
        client = app.test_client()
        assert sign_in(client, EMAIL, password).status_code in (302, 303)
        clock.tick(timedelta(minutes=idle - 1))
        assert is_signed_in(client), "activity within the idle limit keeps the session"
        clock.tick(timedelta(minutes=idle - 1))
        assert is_signed_in(client)
        clock.tick(timedelta(minutes=idle + 1))
        assert not is_signed_in(client)


@pytest.mark.asvs("7.3.2")
def test_asvs_7_3_2_a_session_ends_at_its_absolute_lifetime(app, user, password):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    hours = float(app.config["SESSION_ABSOLUTE_HOURS"])
    step = timedelta(minutes=max(1, int(app.config["SESSION_IDLE_MINUTES"]) // 2))
    with freeze_time(start) as clock:
        client = app.test_client()
        assert sign_in(client, EMAIL, password).status_code in (302, 303)
        while datetime.now(UTC) + step < start + timedelta(hours=hours):
            clock.tick(step)
            assert is_signed_in(client)
        clock.tick(step)
        assert not is_signed_in(client)


@pytest.mark.asvs("9.1.1")
@pytest.mark.parametrize(
    "mangle",
    [pytest.param(lambda v: v[:-3] + "abc", id="signature"),
     pytest.param(lambda v: "." + v, id="leading-dot"),
     pytest.param(lambda v: v.split(".")[0] + ".x.y", id="wrong-parts"),
     pytest.param(lambda v: "A" * 5000, id="huge"),
     pytest.param(lambda v: "%%%\\\"'<>", id="junk"),
     pytest.param(lambda v: "", id="empty")],
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


# --- 3.7.2 next ------------------------------------------------------------------------------

OFFSITE = [
    "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example",
    "https://evil.example/", "http:evil.example", "https:/evil.example", "/\t/evil.example/",
    "/%09/evil.example", "%2F%2Fevil.example", "/%2F/evil.example", "/%5Cevil.example",
    "%252F%252Fevil.example", "//user@evil.example", "/@evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", " //evil.example", "//evil.example%2F@127.0.0.1",
    "/\r\n/evil.example", "\x00//evil.example", "data:text/html,hi", "//ⓔvil.example",
]


@pytest.mark.asvs("3.7.2")
@pytest.mark.parametrize("target", OFFSITE + ["/members/clients/?a=1#x"])
def test_asvs_3_7_2_next_stays_on_this_site(client, user, password, target):
    response = sign_in(client, EMAIL, password, next=target)
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert parts.scheme in ("", "http"), location
    assert location.startswith("/") or location.startswith("http://localhost/")
    path = location.replace("http://localhost", "", 1)
    assert not path.startswith(("//", "/\\")), location
    assert not re.search(r"[\x00-\x20\\]", path), location
    login_page = client.get(f"/auth/login?next={target}")
    assert_clean(login_page)
