"""Two-factor sign-in (accounts/twofactor.py): TOTP in a real clock window, recovery codes."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.conftest import TEST_PASSWORD, form_csrf_token

SECRET = re.compile(r"<code>([A-Z2-7]{32})</code>")


def _enrol(client, login):
    """Sign in with the password and turn two-factor sign-in on; (secret, recovery codes)."""
    login(client, "alice@example.com", TEST_PASSWORD)
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = SECRET.search(page).group(1)
    token = form_csrf_token(client, "/auth/two-factor")
    done = client.post("/auth/two-factor", data={"csrf_token": token,
                                                 "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)[-2000:]
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    client.post("/auth/logout", data={"csrf_token": form_csrf_token(client, "/auth/logout")})
    return secret, codes


def _password_step(client, login):
    response = login(client, "alice@example.com", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/two-factor/verify")
    assert client.get("/members/").status_code == 302  # not signed in yet


def _code_step(client, code):
    token = form_csrf_token(client, "/auth/two-factor/verify")
    return client.post("/auth/two-factor/verify", data={"csrf_token": token, "code": code})


@pytest.fixture
def alice(make_user):
    return make_user("alice@example.com", "client", password=TEST_PASSWORD)


def test_a_code_of_the_next_time_step_signs_in_once(client, login, alice):
    secret, _codes = _enrol(client, login)
    _password_step(client, login)
    totp = pyotp.TOTP(secret)
    replay = _code_step(client, totp.now())  # the step used to turn it on
    assert replay.status_code == 400 and "not right" in replay.get_data(as_text=True)
    nxt = totp.at(time.time() + totp.interval)
    assert _code_step(client, nxt).status_code == 302
    assert client.get("/members/").status_code == 200
    client.post("/auth/logout", data={"csrf_token": form_csrf_token(client, "/auth/logout")})
    _password_step(client, login)
    assert _code_step(client, nxt).status_code == 400  # used already


def test_a_recovery_code_signs_in_once(client, login, alice):
    _secret, codes = _enrol(client, login)
    _password_step(client, login)
    assert _code_step(client, codes[0].upper().replace("-", " ")).status_code == 302
    client.post("/auth/logout", data={"csrf_token": form_csrf_token(client, "/auth/logout")})
    _password_step(client, login)
    assert _code_step(client, codes[0]).status_code == 400
    assert _code_step(client, codes[1]).status_code == 302


@pytest.mark.parametrize(("offset", "accepted"), [(-90, False), (-30, True), (0, True),
                                                  (30, True), (90, False)])
def test_the_clock_window(app, alice, offset, accepted):
    from gate.accounts import twofactor
    from gate.db import get_session
    from gate.models import TotpCredential

    secret = pyotp.random_base32()
    now = time.time()
    with app.app_context():
        db = get_session()
        db.add(TotpCredential(user_id=alice.id, secret=secret, last_step=0))
        db.commit()
        code = pyotp.TOTP(secret).at(now + offset)
        assert (twofactor.check_code(db, alice.id, code, now) == "totp") is accepted
        assert twofactor.check_code(db, alice.id, "12345", now) is None
        assert twofactor.check_code(db, alice.id, "", now) is None


def test_the_pending_step_expires(client, login, alice):
    _enrol(client, login)
    _password_step(client, login)
    with client.session_transaction() as session:
        session["sop_2fa_pending"]["t"] -= 301
        session.modified = True
    response = client.get("/auth/two-factor/verify")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_code_step_needs_csrf(client, login, alice):
    _enrol(client, login)
    _password_step(client, login)
    assert client.post("/auth/two-factor/verify", data={"code": "123456"}).status_code == 400


def test_turning_it_off_needs_a_code(client, login, alice):
    secret, codes = _enrol(client, login)
    _password_step(client, login)
    _code_step(client, codes[0])
    token = form_csrf_token(client, "/auth/two-factor")
    bad = client.post("/auth/two-factor/off", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 400
    ok = client.post("/auth/two-factor/off", data={"csrf_token": token, "code": codes[1]})
    assert ok.status_code == 302
    client.post("/auth/logout", data={"csrf_token": form_csrf_token(client, "/auth/logout")})
    assert login(client, "alice@example.com", TEST_PASSWORD).headers["Location"] == "/members/"


@pytest.mark.parametrize(("env", "setting", "required"), [
    ("development", None, False), ("production", None, True),
    ("production", False, False), ("development", True, True),
])
def test_required_for_staff(env, setting, required):
    from gate.accounts import twofactor

    assert twofactor.required({"SOP_PORTAL_ENV": env, "REQUIRE_STAFF_2FA": setting}) is required


def test_staff_must_turn_it_on_before_the_staff_pages(app_config, make_user, login):
    from gate import create_app
    from tests.conftest import BufferedClient

    app = create_app({**app_config, "REQUIRE_STAFF_2FA": True})
    app.test_client_class = BufferedClient
    from gate.accounts import passwords
    from gate.accounts import services as accounts
    from gate.db import get_session

    with app.app_context():
        db = get_session()
        user = accounts.create_user(db, "boss@example.com", "staff")
        user.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
        db.commit()
    client = app.test_client()
    token = form_csrf_token(client, "/auth/login")
    client.post("/auth/login", data={"csrf_token": token, "email": "boss@example.com",
                                     "password": TEST_PASSWORD})
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/two-factor"
    page = client.get("/auth/two-factor").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    token = form_csrf_token(client, "/auth/two-factor")
    client.post("/auth/two-factor", data={"csrf_token": token,
                                          "code": pyotp.TOTP(secret).now()})
    assert client.get("/admin/users").status_code == 200
    off = client.post("/auth/two-factor/off", data={"csrf_token": token, "code": "000000"})
    assert off.status_code == 403


def test_staff_can_turn_it_off_for_a_lost_phone(app, client, login, login_as, alice,
                                                 make_user):
    _enrol(client, login)
    staff = make_user("boss@example.com", "staff")
    admin = app.test_client()
    login_as(admin, staff)
    page = f"/admin/users/{alice.id}"
    assert "Two-factor sign-in is on." in admin.get(page).get_data(as_text=True)
    token = form_csrf_token(admin, page)
    assert admin.post(f"{page}/two-factor-off", data={"csrf_token": token}).status_code == 303
    assert "Two-factor sign-in is off." in admin.get(page).get_data(as_text=True)
    again = admin.post(f"{page}/two-factor-off", data={"csrf_token": token})
    assert again.status_code == 400 and "not on" in again.get_data(as_text=True)
    assert login(client, "alice@example.com", TEST_PASSWORD).headers["Location"] == "/members/"
