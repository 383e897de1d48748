"""Invitations (``sop-portal users invite``) and password resets (``/auth/reset``), end to end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate.models import utcnow
from tests.accounts.conftest import body_of, post_form, signed_in_email, token_in
from tests.conftest import TEST_PASSWORD, form_csrf_token

NEW_PASSWORD = "a long and fresh passphrase 7"


def test_invite_set_password_sign_in_sign_out(app, client, make_user, runner, smtp_server,
                                              login):
    app.config["SMTP_URL"] = smtp_server.url
    make_user("new@example.com", "client", account="Acme Ltd")
    seen = len(smtp_server.messages)
    result = runner.invoke(args=["users", "invite", "New@Example.com"])
    assert result.exit_code == 0, result.output
    text = body_of(smtp_server.wait_for("new@example.com", after=seen))
    assert "http://127.0.0.1:8000/auth/invite/" in text and "72 hours" in text
    token = token_in(text, "invite")
    page = client.get(f"/auth/invite/{token}")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(f"/auth/invite/{token}").status_code == 200
    # a weak password is refused and the token stays usable
    response = post_form(client, f"/auth/invite/{token}", {
        "password": "password1234", "confirm": "password1234"})
    assert response.status_code == 400 and "too common" in response.get_data(as_text=True)
    response = post_form(client, f"/auth/invite/{token}", {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert response.status_code == 400 and "differ" in response.get_data(as_text=True)
    response = post_form(client, f"/auth/invite/{token}", {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/members/"
    assert signed_in_email(app, client) == "new@example.com"
    post_form(client, "/auth/logout", {}, form_path="/auth/logout")
    assert signed_in_email(app, client) is None
    # single use
    assert client.get(f"/auth/invite/{token}").status_code == 400
    assert login(client, "new@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("hours", "status"), [(71, 200), (73, 400)])
def test_invitations_last_72_hours(app, client, make_user, runner, outbox, hours, status):
    make_user("new@example.com", "staff")
    start = utcnow()
    with freeze_time(start):
        assert runner.invoke(args=["users", "invite", "new@example.com"]).exit_code == 0
    token = outbox.last_token("new@example.com", "invite")
    with freeze_time(start + timedelta(hours=hours)):
        assert client.get(f"/auth/invite/{token}").status_code == status


def test_reset_flow(app, client, client_user, login, outbox):
    other = app.test_client()
    login(other, "alice@example.com", TEST_PASSWORD)
    known = post_form(client, "/auth/reset", {"email": "alice@example.com"})
    unknown = post_form(client, "/auth/reset", {"email": "nobody@example.com"})
    strip = re.compile(r'value="[^"]+"')
    assert known.status_code == unknown.status_code == 200
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True))
    assert len(outbox.messages()) == 1
    text = body_of(outbox.to("alice@example.com")[0])
    assert "1 hour." in text
    token = token_in(text, "reset")
    response = post_form(client, f"/auth/reset/{token}", {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert signed_in_email(app, client) == "alice@example.com"
    assert signed_in_email(app, other) is None  # the password changed: other sessions end
    assert login(app.test_client(), "alice@example.com", TEST_PASSWORD).status_code == 200
    assert login(app.test_client(), "alice@example.com", NEW_PASSWORD).status_code == 302
    assert client.get(f"/auth/reset/{token}").status_code == 400  # used
    csrf = form_csrf_token(client, "/auth/reset")
    assert client.post(f"/auth/reset/{token}", data={
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf}).status_code == 400


@pytest.mark.parametrize(("minutes", "status"), [(59, 200), (61, 400)])
def test_reset_links_last_an_hour(app, client, client_user, outbox, minutes, status):
    start = utcnow()
    with freeze_time(start):
        post_form(client, "/auth/reset", {"email": "alice@example.com"})
    token = outbox.last_token("alice@example.com", "reset")
    with freeze_time(start + timedelta(minutes=minutes)):
        assert client.get(f"/auth/reset/{token}").status_code == status


@pytest.mark.parametrize(
    ("email", "role", "mailed"),
    [
        ("alice@example.com", "client", True),
        ("boss@example.com", "staff", True),
        ("sub@example.com", "subscriber", False),
        ("nobody@example.com", None, False),
        ("bad@@example.com", None, False),
    ],
)
def test_who_receives_a_reset_link(client, make_user, outbox, email, role, mailed):
    if role:
        make_user(email, role, audiences=("newsletter:payments",) if role == "subscriber" else ())
    response = post_form(client, "/auth/reset", {"email": email})
    assert response.status_code == (400 if "@@" in email else 200)
    assert bool(outbox.to(email)) is mailed


def test_password_change_needs_the_current_password(app, client, client_user, login):
    login(client, "alice@example.com", TEST_PASSWORD)
    response = post_form(client, "/auth/password", {
        "current_password": "not the password at all", "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    response = post_form(client, "/auth/password", {
        "current_password": TEST_PASSWORD, "password": "short", "confirm": "short"})
    assert response.status_code == 400
    response = post_form(client, "/auth/password", {
        "current_password": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 200 and "Password changed" in response.get_data(as_text=True)
    assert signed_in_email(app, client) == "alice@example.com"
    assert login(app.test_client(), "alice@example.com", NEW_PASSWORD).status_code == 302


def test_subscribers_have_no_password_to_change(client, subscriber, login_as):
    login_as(client, subscriber)
    assert client.get("/auth/password").status_code == 403
    assert form_csrf_token(client, "/auth/logout")


def _change_by_newer_reset(app, client, outbox) -> None:
    post_form(client, "/auth/reset", {"email": "alice@example.com"})
    newer = outbox.last_token("alice@example.com", "reset")
    response = post_form(app.test_client(), f"/auth/reset/{newer}", {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def _change_at_auth_password(app, client, outbox) -> None:
    other = app.test_client()
    token = form_csrf_token(other, "/auth/login")
    other.post("/auth/login", data={"email": "alice@example.com", "password": TEST_PASSWORD,
                                    "csrf_token": token})
    response = post_form(other, "/auth/password", {
        "current_password": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 200


def _change_in_the_database(app, client, outbox) -> None:
    from gate.accounts import passwords
    from gate.accounts import services as accounts
    from gate.db import get_session

    with app.app_context():
        db = get_session()
        user = accounts.find_user(db, "alice@example.com")
        user.password_hash = passwords.hash_password(NEW_PASSWORD, app.config)
        db.commit()


def _no_change(app, client, outbox) -> None:
    """The bad-input row's counterpart: nothing changed, the old link still works."""


@pytest.mark.parametrize(
    ("change", "old_link_status"),
    [
        (_change_by_newer_reset, 400),
        (_change_at_auth_password, 400),
        (_change_in_the_database, 400),
        (_no_change, 302),
    ],
)
def test_older_reset_links_end_when_the_password_changes(app, client, client_user, outbox,
                                                         change, old_link_status):
    post_form(client, "/auth/reset", {"email": "alice@example.com"})
    old = outbox.last_token("alice@example.com", "reset")
    change(app, client, outbox)
    attacker = app.test_client()
    assert attacker.get(f"/auth/reset/{old}").status_code == (
        200 if old_link_status == 302 else 400)
    response = post_form(attacker, f"/auth/reset/{old}", {
        "password": "the attacker's own phrase 9", "confirm": "the attacker's own phrase 9"},
        form_path="/auth/reset")
    assert response.status_code == old_link_status
    if old_link_status == 400:
        assert signed_in_email(app, attacker) is None


def test_an_invitation_ends_once_a_password_is_set(app, client, make_user, runner, outbox):
    make_user("new@example.com", "client", account="Acme Ltd")
    assert runner.invoke(args=["users", "invite", "new@example.com"]).exit_code == 0
    first = outbox.last_token("new@example.com", "invite")
    assert runner.invoke(args=["users", "invite", "new@example.com"]).exit_code == 0
    second = outbox.last_token("new@example.com", "invite")
    assert first != second
    response = post_form(client, f"/auth/invite/{second}", {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert app.test_client().get(f"/auth/invite/{first}").status_code == 400
