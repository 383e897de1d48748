"""Password sign-in and sign-out through the real forms (gate.accounts.routes)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gate.accounts import passwords
from gate.db import get_session
from gate.models import AuditEvent
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import TEST_PASSWORD, form_csrf_token
from tests.security.helpers import assert_clean, is_signed_in, sign_in

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

EMAIL = "client@example.org"



def _audit(app, action):
    with app.app_context():
        return [(e.action, e.outcome, e.email, e.ip) for e in get_session().scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_sign_in_then_out(app, client, client_user, login):
    response = login(client, "Alice@Example.com ", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/members/"
    assert signed_in_email(app, client) == "alice@example.com"
    assert client.get("/auth/logout").status_code == 200  # GET only shows the buttons
    assert signed_in_email(app, client) == "alice@example.com"
    response = post_form(client, "/auth/logout", {}, form_path="/auth/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_email(app, client) is None
    assert _audit(app, "signin") == [("signin", "ok", "alice@example.com", "127.0.0.1")]
    assert [a[:2] for a in _audit(app, "signout")] == [("signout", "ok")]


def test_an_old_copy_of_the_cookie_is_dead_after_sign_out(app, client, client_user, login):
    login(client, "alice@example.com", TEST_PASSWORD)
    saved = client.get_cookie("sop-session").value
    post_form(client, "/auth/logout", {}, form_path="/auth/logout")
    client.set_cookie("sop-session", saved)
    assert signed_in_email(app, client) is None


def _normalised(body: str, email: str) -> str:
    body = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", body)
    return body.replace(email, "EMAIL")


@pytest.mark.asvs("6.3.8")
def test_wrong_password_and_unknown_email_look_the_same(app, client, client_user, login,
                                                        monkeypatch):
    real_verify = passwords.verify_password
    calls = []

    def spy(stored, password, config):
        calls.append(stored)
        return real_verify(stored, password, config)

    monkeypatch.setattr(passwords, "verify_password", spy)
    before = passwords.dummy_verifications
    wrong = login(client, "alice@example.com", "not the right password")
    unknown = login(client, "nobody@example.com", "not the right password")
    assert wrong.status_code == unknown.status_code == 200
    assert _normalised(wrong.get_data(as_text=True), "alice@example.com") == _normalised(
        unknown.get_data(as_text=True), "nobody@example.com"
    )
    assert "not right" in wrong.get_data(as_text=True)
    # both cost one argon2 verification: the real hash, then the dummy one
    assert passwords.dummy_verifications == before + 1
    assert len(calls) == 2 and calls[0] != calls[1]
    assert all(stored.startswith("$argon2id$") for stored in calls)
    assert [a[1] for a in _audit(app, "signin")] == ["failed", "failed"]


@pytest.mark.parametrize(
    ("email", "password", "role", "active"),
    [
        ("alice@example.com", "not the right password", "client", True),
        ("alice@example.com", TEST_PASSWORD, "client", False),  # revoked
        ("sub@example.com", TEST_PASSWORD, "subscriber", True),  # subscribers use links
        ("nobody@example.com", TEST_PASSWORD, None, True),
        ("not-an-email", TEST_PASSWORD, None, True),
    ],
)
def test_every_failure_gives_the_same_answer(app, client, make_user, login, runner, email,
                                             password, role, active):
    if role:
        make_user(email, role, password=TEST_PASSWORD,
                  audiences=("newsletter:payments",) if role == "subscriber" else ())
    if not active:
        assert runner.invoke(args=["users", "revoke", email]).exit_code == 0
    response = login(client, email, password)
    assert response.status_code == 200
    assert "The email or password is not right." in response.get_data(as_text=True)
    assert signed_in_email(app, client) is None


@pytest.mark.asvs("6.2.8")
@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"email": "", "password": TEST_PASSWORD}, 400),
        ({"email": "alice@example.com", "password": ""}, 400),
        ({"email": "alice@example.com"}, 400),
        ({"email": "a" * 400 + "@example.com", "password": TEST_PASSWORD}, 400),
        ({"email": "alice@example.com", "password": "p" * 1025}, 400),
        ({"email": "alice@example.com", "password": "p" * 1_000_000}, 400),
        ({"email": "alice@example.com", "password": "p" * 2_000_000}, 413),
    ],
)
def test_bad_or_oversized_input_is_refused_before_hashing(app, client, client_user, data,
                                                           status, monkeypatch):
    calls = []
    monkeypatch.setattr(passwords, "verify_password", lambda *a: calls.append(1))
    monkeypatch.setattr(passwords, "verify_dummy", lambda *a: calls.append(1))
    response = post_form(client, "/auth/login", data)
    assert response.status_code == status
    assert calls == []


NEXT_TABLE = [
    ("/sops/billing/", "/sops/billing/"),
    ("/members/clients/?q=1", "/members/clients/?q=1"),
    ("//evil.example", "/members/"),
    ("/\\evil.example", "/members/"),
    ("https:evil.example", "/members/"),
    ("https://evil.example/", "/members/"),
    ("%2F%2Fevil.example", "/members/"),
    ("/%5Cevil.example", "/members/"),
    ("/\t/evil.example", "/members/"),
    ("\t//evil.example", "/members/"),
    ("javascript:alert(1)", "/members/"),
    ("", "/members/"),
    ('//evil.example/', '/members/'),
    ('///evil.example/', '/members/'),
    ('/\\evil.example/', '/members/'),
    ('\\\\evil.example', '/members/'),
    ('https://evil.example/', '/members/'),
    ('http:evil.example', '/members/'),
    ('https:/evil.example', '/members/'),
    ('/\t/evil.example/', '/members/'),
    ('/%09/evil.example', '/members/'),
    ('%2F%2Fevil.example', '/members/'),
    ('/%2F/evil.example', '/members/'),
    ('/%5Cevil.example', '/members/'),
    ('%252F%252Fevil.example', '/members/'),
    ('//user@evil.example', '/members/'),
    ('/@evil.example', '/@evil.example'),
    ('javascript:alert(1)', '/members/'),
    ('JaVaScRiPt:alert(1)', '/members/'),
    (' //evil.example', '/members/'),
    ('//evil.example%2F@127.0.0.1', '/members/'),
    ('/\r\n/evil.example', '/members/'),
    ('\x00//evil.example', '/members/'),
    ('data:text/html,hi', '/members/'),
    ('//ⓔvil.example', '/members/'),
]


@pytest.mark.asvs("3.7.2")
@pytest.mark.parametrize(("next_value", "location"), NEXT_TABLE)
def test_next_never_leaves_the_site(client, client_user, login, next_value, location):
    response = login(client, "alice@example.com", TEST_PASSWORD, next=next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == location


@pytest.mark.parametrize(("next_value", "shown"), [
    ("/members/x", "/members/x"), ("//evil.example", ""), ("https://evil.example", ""),
])
def test_the_login_form_carries_only_a_safe_next(client, next_value, shown):
    body = client.get("/auth/login", query_string={"next": next_value}).get_data(as_text=True)
    assert f'name="next" type="hidden" value="{shown}"' in body


def test_anonymous_requests_for_protected_pages(client):
    for path in ("/auth/password", "/auth/account"):  # pages worth coming back to
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/login?next=" + path.replace("/", "%2F")
    response = client.get("/auth/password", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_rehash_happens_when_the_cost_changes(app, client, client_user, login):
    app.config["PASSWORD_HASH_TIME_COST"] = 2
    assert login(client, "alice@example.com", TEST_PASSWORD).status_code == 302
    with app.app_context():
        from gate.accounts.services import find_user

        assert "t=2" in find_user(get_session(), "alice@example.com").password_hash
    assert form_csrf_token(client, "/auth/login")


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


@pytest.mark.asvs("[4.2.2]")
@pytest.mark.parametrize(
    "token",
    [pytest.param(None, id="missing"), pytest.param("forged-token", id="forged"),
     pytest.param("", id="empty")],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout", "/auth/link", "/auth/reset",
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
