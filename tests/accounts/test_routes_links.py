"""Subscribers' one-time sign-in links, end to end (SECURITY.md "One-time links and tokens")."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate import create_app
from gate.models import utcnow
from tests.accounts.conftest import body_of, post_form, signed_in_email, token_in
from tests.conftest import BufferedClient, form_csrf_token


def _normalised(response) -> str:
    return re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))


def test_known_and_unknown_addresses_get_the_same_answer(app, client, subscriber, make_user,
                                                         outbox):
    make_user("alice@example.com", "client")
    answers = [post_form(client, "/auth/link", {"email": email}) for email in (
        "sub@example.com", "nobody@example.com", "alice@example.com", "SUB@example.com ")]
    assert {a.status_code for a in answers} == {200}
    assert len({_normalised(a) for a in answers}) == 1
    assert len(outbox.to("sub@example.com")) == 2  # only the subscriber gets links
    assert outbox.to("alice@example.com") == [] and outbox.to("nobody@example.com") == []


def test_the_link_arrives_by_smtp_and_signs_in_once(app, client, subscriber, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["PUBLIC_BASE_URL"] = "https://portal.example"
    seen = len(smtp_server.messages)
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    form = client.get("/auth/link", headers=spoofed).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/auth/link", headers=spoofed, data={
        "email": "sub@example.com", "next": "/members/newsletter/payments/", "csrf_token": csrf})
    assert response.status_code == 200
    message = smtp_server.wait_for("sub@example.com", after=seen)
    text = body_of(message)
    assert "https://portal.example/auth/link/" in text and "evil.example" not in text
    assert message["From"].addresses[0].domain == "portal.example"
    token = token_in(text, "link")
    # mail scanners: GET and HEAD show the page and consume nothing
    for _ in range(3):
        page = client.get(f"/auth/link/{token}", query_string={
            "next": "/members/newsletter/payments/"})
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        assert client.head(f"/auth/link/{token}").status_code == 200
    assert signed_in_email(app, client) is None
    csrf = form_csrf_token(client, f"/auth/link/{token}")
    response = client.post(f"/auth/link/{token}", data={
        "csrf_token": csrf, "next": "/members/newsletter/payments/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/members/newsletter/payments/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert signed_in_email(app, client) == "sub@example.com"
    again = app.test_client()
    response = again.post(f"/auth/link/{token}", data={"csrf_token": csrf})
    assert response.status_code == 400
    assert signed_in_email(app, again) is None


def test_the_confirm_post_needs_its_csrf_token(app, client, subscriber, outbox):
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    token = outbox.last_token("sub@example.com", "link")
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(f"/auth/link/{token}", data=data).status_code == 400
    assert post_form(client, f"/auth/link/{token}", {}).status_code == 302  # still unused


def _add_subscriber(app, email: str) -> None:
    """Give ``app`` a buffered test client and a subscriber of the payments section."""
    app.test_client_class = BufferedClient
    with app.app_context():
        from gate.accounts import services as accounts
        from gate.db import get_session

        db = get_session()
        user = accounts.create_user(db, email, "subscriber")
        accounts.set_newsletter_grants(db, user, {"payments"})
        db.commit()


def test_the_confirm_post_works_over_https_without_a_referer(app_config, make_user):
    app = create_app({**app_config, "PUBLIC_BASE_URL": "https://portal.example"})
    _add_subscriber(app, "sub@example.com")
    client = app.test_client()
    base = "https://portal.example"
    post_form(client, f"{base}/auth/link", {"email": "sub@example.com"},
              form_path=f"{base}/auth/link", headers={"Referer": f"{base}/auth/link"})
    from tests.accounts.conftest import Outbox

    token = Outbox(__import__("pathlib").Path(app.config["OUTBOX_DIR"])).last_token(
        "sub@example.com", "link")
    csrf = form_csrf_token(client, f"{base}/auth/link/{token}")
    response = client.post(f"{base}/auth/link/{token}", data={"csrf_token": csrf},
                           headers={"Origin": "null"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("minutes", "status"),
    [(9, 302), (11, 400), (-30, 400)],  # fresh, expired, issued "in the future"
)
def test_link_lifetime(app, client, subscriber, outbox, minutes, status):
    start = utcnow()
    with freeze_time(start):
        post_form(client, "/auth/link", {"email": "sub@example.com"})
        token = outbox.last_token("sub@example.com", "link")
        csrf = form_csrf_token(client, "/auth/link")
    with freeze_time(start + timedelta(minutes=minutes)):
        response = client.post(f"/auth/link/{token}", data={"csrf_token": csrf})
        assert response.status_code == status
        if status == 400:
            assert client.get(f"/auth/link/{token}").status_code == 400


@pytest.mark.parametrize("removal", ["grants", "revoke"])
def test_a_removed_subscriber_cannot_use_a_link_sent_before(app, client, subscriber, outbox,
                                                             runner, removal):
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    token = outbox.last_token("sub@example.com", "link")
    if removal == "grants":
        args = ["users", "ungrant", "sub@example.com", "newsletter:payments"]
    else:
        args = ["users", "revoke", "sub@example.com"]
    assert runner.invoke(args=args).exit_code == 0
    response = post_form(client, f"/auth/link/{token}", {})
    assert response.status_code == 400
    assert signed_in_email(app, client) is None


@pytest.mark.parametrize(
    "token",
    ["", "x", "not-a-token", "a" * 600, "eyJqIjoiYSIsInUiOjF9.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
     "%2e%2e%2f", "..%2F..%2Fetc"],
)
def test_bad_tokens_are_refused_cleanly(client, token):
    for response in (client.get(f"/auth/link/{token}"), client.get(f"/auth/invite/{token}"),
                     client.get(f"/auth/reset/{token}")):
        assert response.status_code in (400, 404)
        assert b"Traceback" not in response.data


def test_a_token_for_another_purpose_is_refused(app, client, client_user, outbox):
    post_form(client, "/auth/reset", {"email": "alice@example.com"})
    token = outbox.last_token("alice@example.com", "reset")
    assert client.get(f"/auth/link/{token}").status_code == 400
    assert client.get(f"/auth/invite/{token}").status_code == 400
    assert client.get(f"/auth/reset/{token}").status_code == 200


def test_tokens_never_reach_the_logs_in_production(app_config, caplog, make_user):
    app = create_app({**app_config, "SOP_PORTAL_ENV": "production",
                      "SECRET_KEY": "production-key-0123456789abcdefghij", "PUBLIC_BASE_URL": "https://portal.example"})
    _add_subscriber(app, "sub@example.com")
    client = app.test_client()
    base = "https://portal.example"
    caplog.set_level(logging.DEBUG)
    post_form(client, f"{base}/auth/link", {"email": "sub@example.com"},
              form_path=f"{base}/auth/link", headers={"Referer": f"{base}/auth/link"})
    from tests.accounts.conftest import Outbox

    token = Outbox(__import__("pathlib").Path(app.config["OUTBOX_DIR"])).last_token(
        "sub@example.com", "link")
    csrf = form_csrf_token(client, f"{base}/auth/link/{token}")
    assert client.post(f"{base}/auth/link/{token}", data={"csrf_token": csrf}).status_code == 302
    assert client.post(f"{base}/auth/link/{token}", data={"csrf_token": csrf}).status_code == 400
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "written to" in logged  # the outbox line is there, without the link
    assert token not in logged and token[:20] not in logged


def test_the_development_outbox_log_shows_the_link(app, client, subscriber, caplog, outbox):
    caplog.set_level(logging.INFO, logger="gate.mail")
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    token = outbox.last_token("sub@example.com", "link")
    assert f"http://127.0.0.1:8000/auth/link/{token}" in caplog.text
