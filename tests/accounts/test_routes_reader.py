"""The reader's own pages: /auth/status, /auth/account, /auth/request-access, sign-in notices."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gate.db import get_session
from gate.models import AccessRequest, AuditEvent
from tests.accounts.conftest import body_of, post_form
from tests.conftest import TEST_PASSWORD


def _status(client) -> dict:
    response = client.get("/auth/status")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_status_anonymous_then_signed_in_then_out(client, client_user, login):
    assert _status(client) == {"signed_in": False, "email": None,
                               "account_url": "/auth/account", "notices": []}
    login(client, client_user.email, TEST_PASSWORD)
    status = _status(client)
    assert status["signed_in"] is True and status["email"] == "alice@example.com"
    assert status["notices"] == ["You are signed in as alice@example.com."]
    assert _status(client)["notices"] == []  # a notice is shown once
    post_form(client, "/auth/logout", {}, form_path="/auth/logout")
    assert _status(client) == {"signed_in": False, "email": None,
                               "account_url": "/auth/account",
                               "notices": ["You are signed out."]}


@pytest.mark.parametrize(("who", "expected", "absent"), (
    ("client", ["alice@example.com", "registered clients", "client account (Acme Ltd)",
                "Change your password", "Sign out everywhere",
                "/members/clients/plugin-setup-details/"],
     ["Online Sales FAQ newsletter's", "/members/newsletter/"]),
    ("subscriber", ["sub@example.com", "Payments section", "no password to change",
                    "Sign out everywhere", "/members/newsletter/payments/"],
     ["Change your password", "/members/clients/", "Acme"]),
    ("anonymous", [], []),
))
def test_account_page_says_who_and_what(client, client_user, subscriber, login_as, who,
                                        expected, absent):
    if who == "anonymous":
        response = client.get("/auth/account")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
        return
    login_as(client, client_user if who == "client" else subscriber)
    response = client.get("/auth/account")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in expected:
        assert text in html, text
    for text in absent:
        assert text not in html, text
    assert 'action="/auth/logout"' in html and 'action="/auth/logout-everywhere"' in html


def test_sign_in_page_while_signed_in_says_who_you_are(client, client_user, login_as):
    assert 'name="password"' in client.get("/auth/login").get_data(as_text=True)
    login_as(client, client_user)
    for path in ("/auth/login", "/auth/link"):
        html = client.get(path).get_data(as_text=True)
        assert "You are signed in as <strong>alice@example.com</strong>" in html
        assert 'name="password"' not in html and "/auth/account" in html


def test_sign_in_page_offers_the_emailed_link_first(client):
    html = client.get("/auth/login?next=/members/newsletter/").get_data(as_text=True)
    assert html.index("no password needed") < html.index('name="password"')
    assert "/auth/link?next=/members/newsletter/" in html


def test_a_used_link_while_signed_in_takes_you_on(app, client, subscriber, outbox):
    post_form(client, "/auth/link", {"email": subscriber.email, "next": "/members/"})
    token = outbox.last_token(subscriber.email, "link")
    assert post_form(client, f"/auth/link/{token}", {}).status_code == 302
    again = client.get(f"/auth/link/{token}?next=/members/newsletter/")
    assert again.status_code == 302 and again.headers["Location"] == "/members/newsletter/"
    stranger = app.test_client()
    assert stranger.get(f"/auth/link/{token}").status_code == 400  # signed out: refused


REQUEST = {"email": "New.Person@Example.com", "name": "New Person",
           "wanted": "Payments section", "message": "I read the newsletter."}


@pytest.mark.parametrize(("data", "status"), (
    (REQUEST, 200),
    ({"email": "alice@example.com"}, 200),                  # only the email is required
    ({**REQUEST, "email": ""}, 400),
    ({**REQUEST, "email": "two@@example.com"}, 400),
    ({**REQUEST, "message": "x" * 2001}, 400),
    ({**REQUEST, "wanted": "x" * 501}, 400),
))
def test_request_access_form(app, client, make_user, data, status):
    make_user("staff@example.com", "staff")
    response = post_form(client, "/auth/request-access", data)
    assert response.status_code == status
    with app.app_context():
        stored = get_session().scalars(select(AccessRequest)).all()
    assert len(stored) == (1 if status == 200 else 0)


def test_request_access_same_answer_known_or_not_and_staff_are_told(
        app, client, client_user, make_user, outbox):
    make_user("boss@example.com", "staff")
    app.config["STAFF_NOTIFY_EMAIL"] = "desk@example.com"
    known = post_form(client, "/auth/request-access", {**REQUEST, "email": client_user.email})
    unknown = post_form(client, "/auth/request-access", REQUEST)
    assert known.status_code == unknown.status_code == 200
    normalise = [r.get_data(as_text=True).replace(e, "EMAIL").split('name="csrf_token"')[0]
                 for r, e in ((known, client_user.email), (unknown, "new.person@example.com"))]
    assert normalise[0] == normalise[1]
    notices = outbox.to("desk@example.com")
    assert len(notices) == 2 and not outbox.to("boss@example.com")
    assert "Payments section" in body_of(notices[-1])
    assert "new.person@example.com" in body_of(notices[-1])
    with app.app_context():
        db = get_session()
        assert [r.status for r in db.scalars(select(AccessRequest))] == ["pending"] * 2
        assert db.scalars(select(AuditEvent).where(AuditEvent.action == "access.request")
                          ).all()


def test_without_staff_notify_email_every_staff_user_is_told(client, make_user, outbox):
    make_user("boss@example.com", "staff")
    post_form(client, "/auth/request-access", REQUEST)
    assert len(outbox.to("boss@example.com")) == 1


def test_request_access_prefills_what_and_who(client, client_user, login_as):
    html = client.get("/auth/request-access?wanted=Store+Setup").get_data(as_text=True)
    assert 'value="Store Setup"' in html
    login_as(client, client_user)
    assert 'value="alice@example.com"' in client.get("/auth/request-access").get_data(
        as_text=True)


def test_request_access_is_rate_limited(app, client):
    app.config["ACCESS_REQUEST_LIMIT_PER_EMAIL"] = "2/hour"
    answers = [post_form(client, "/auth/request-access", REQUEST).status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]
    assert post_form(client, "/auth/request-access",
                     {**REQUEST, "email": "other@example.com"}).status_code == 200


def test_request_access_without_csrf_is_400(client):
    assert client.post("/auth/request-access", data=REQUEST).status_code == 400


@pytest.mark.parametrize(("args", "code", "output"), (
    (["requests", "list"], 0, "new.person@example.com"),
    (["requests", "approve", "1"], 0, "approved"),
    (["requests", "decline", "1"], 0, "declined"),
    (["requests", "approve", "99"], 2, "no access request 99"),
    (["requests", "approve", "x"], 2, "Invalid value"),
))
def test_requests_cli(client, runner, args, code, output):
    post_form(client, "/auth/request-access", REQUEST)
    result = runner.invoke(args=args)
    assert result.exit_code == code, result.output
    assert output in result.output
