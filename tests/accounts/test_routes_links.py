"""Subscribers' one-time sign-in links, end to end (SECURITY.md "One-time links and tokens")."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate import create_app
from gate.models import utcnow
from tests.accounts.conftest import body_of, post_form, signed_in_email, token_in
from tests.conftest import BufferedClient, form_csrf_token
from tests.security.helpers import assert_clean, csrf_token, is_signed_in

LINK = re.compile(r"https?://\S+/auth/link/(\S+)")


def _normalised(response) -> str:
    return re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))


@pytest.mark.asvs("6.3.8")
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


@pytest.mark.asvs("8.3.2")
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


@pytest.mark.asvs("16.2.5")
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


# ---- link redemption races and hosts (ASVS) ----

def _link_token(app, email: str) -> str:
    """The token of the newest sign-in link mailed to ``email`` (the outbox)."""
    from gate.db import database
    from gate.models import MailMessage

    with database(app).sessions() as session:
        from sqlalchemy import select

        messages = list(session.scalars(select(MailMessage).order_by(MailMessage.id)))
    bodies = [m.body for m in messages if m.to_addr == email and m.body]
    if not bodies:
        from pathlib import Path

        outbox = Path(app.config["OUTBOX_DIR"])
        bodies = [p.read_text() for p in sorted(outbox.glob("*.eml"))
                  if email in p.read_text()]
    assert bodies, f"no mail to {email}"
    match = LINK.search(bodies[-1].replace("=\n", ""))
    assert match, bodies[-1]
    return match.group(1)


def _request_link(client, email: str, base_url: str = "http://localhost", **headers):
    form = client.get("/auth/link", base_url=base_url, headers=headers)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
    assert match, form.status_code
    return client.post("/auth/link", base_url=base_url, headers=headers,
                       data={"email": email, "csrf_token": match.group(1)})


@pytest.mark.asvs("3.5.3")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_asvs_3_5_3_get_or_head_of_a_link_does_not_consume_it(app, client, subscriber, method):
    _request_link(client, subscriber.email)
    token = _link_token(app, subscriber.email)
    for _ in range(3):
        response = client.open(f"/auth/link/{token}", method=method)
        assert_clean(response, allowed=(200,))
        assert response.headers.get("Referrer-Policy") == "no-referrer"
        assert not is_signed_in(client)
    # still usable by the confirming POST
    from tests.security.helpers import confirm_link

    assert confirm_link(client, token).status_code in (302, 303)
    assert client.get("/members/", headers={"Accept": "text/html"}).status_code == 200


@pytest.mark.asvs("6.5.1")
def test_asvs_6_5_1_a_link_redeemed_twice_in_sequence_gives_one_session(app, subscriber):
    from tests.security.helpers import confirm_link

    first, second = app.test_client(), app.test_client()
    _request_link(first, subscriber.email)
    token = _link_token(app, subscriber.email)
    second_csrf = csrf_token(second, f"/auth/link/{token}")  # opened before the first use
    assert confirm_link(first, token).status_code in (302, 303)
    assert is_signed_in(first)
    shown = second.get(f"/auth/link/{token}")
    assert_clean(shown, allowed=(400, 410))
    again = confirm_link(second, token, csrf=second_csrf)
    assert_clean(again, allowed=(400, 410))
    assert not is_signed_in(second)


@pytest.mark.asvs("15.4.2")
def test_asvs_15_4_2_ten_concurrent_redemptions_give_exactly_one_session(app, subscriber):
    from sqlalchemy import func, select

    from gate.db import database
    from gate.models import LoginSession
    from tests.security.helpers import confirm_link, csrf_token

    clients = [app.test_client() for _ in range(10)]
    _request_link(clients[0], subscriber.email)
    token = _link_token(app, subscriber.email)
    csrf = [csrf_token(c, f"/auth/link/{token}") for c in clients]
    barrier = threading.Barrier(10)
    results: list[int] = []

    def redeem(index: int) -> None:
        barrier.wait()
        response = confirm_link(clients[index], token, csrf=csrf[index])
        results.append(response.status_code)

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 10 and all(s < 500 for s in results), results
    signed_in = [c for c in clients
                 if c.get("/members/", headers={"Accept": "application/json"}).status_code
                 != 401]
    assert len(signed_in) == 1
    with database(app).sessions() as session:
        count = session.scalar(select(func.count()).select_from(LoginSession).where(
            LoginSession.user_id == subscriber.id))
    assert count == 1


@pytest.mark.asvs("4.1.3")
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="host"),
        pytest.param({"X-Forwarded-Host": "evil.example"}, id="x-forwarded-host"),
        pytest.param({"Forwarded": "host=evil.example"}, id="forwarded"),
        pytest.param({"X-Forwarded-Server": "evil.example", "X-Host": "evil.example"},
                     id="x-host"),
    ],
)
def test_asvs_4_1_3_a_spoofed_host_never_reaches_an_emailed_link(app, client, subscriber,
                                                                 headers):
    base = "http://evil.example" if not headers else "http://localhost"
    response = _request_link(client, subscriber.email, base_url=base, **headers)
    assert response.status_code == 200
    token = _link_token(app, subscriber.email)
    assert token
    from gate.db import database
    from gate.models import MailMessage

    with database(app).sessions() as session:
        from sqlalchemy import select

        bodies = " ".join(m.body for m in session.scalars(select(MailMessage)))
    outbox = " ".join(p.read_text() for p in __import__("pathlib").Path(
        app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert "evil.example" not in bodies + outbox
    assert app.config["PUBLIC_BASE_URL"] in bodies + outbox
