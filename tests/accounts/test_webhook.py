"""`POST /hooks/fluentcrm`: one contact live, authenticated by a shared secret."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, User
from tests.accounts.conftest import signed_in_email

SECRET = "hook-secret-0123456789"
PAY = "Online Sales FAQ: Payments"
STORE = "Online Sales FAQ: Store Setup"
AUTH = {"X-Webhook-Secret": SECRET}


@pytest.fixture
def app_config(app_config):
    """The webhook configured with a known secret."""
    return {**app_config, "FLUENTCRM_WEBHOOK_SECRET": SECRET}


def grants_of(app, email: str) -> tuple[str, ...] | None:
    from gate.db import get_session

    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == email))
        return None if user is None else tuple(g.audience for g in user.grants)


def audit_rows(app, action: str) -> list[AuditEvent]:
    from gate.db import get_session

    with app.app_context():
        return list(get_session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("send", "expected"),
    (
        (lambda c: c.post("/hooks/fluentcrm", headers=AUTH, json={
            "email": " New@Example.com ", "status": "subscribed", "lists": [PAY, STORE],
            "first_name": "Nia", "last_name": "Ng"}),
         ["payments", "store-setup"]),
        (lambda c: c.post("/hooks/fluentcrm", headers=AUTH, json={
            "email": "new@example.com", "status": "Subscribed",
            "lists": [{"id": 3, "title": PAY}], "tags": None}),
         ["payments"]),
        (lambda c: c.post("/hooks/fluentcrm", headers=AUTH, data={
            "email": "new@example.com", "status": "subscribed", "lists": f"{PAY}, {STORE}"}),
         ["payments", "store-setup"]),
        (lambda c: c.post("/hooks/fluentcrm", headers=AUTH, data={
            "email": "new@example.com", "status": "subscribed", "lists[]": [PAY, "Other"]}),
         ["payments"]),
    ),
)
def test_a_subscribed_contact_gets_its_sections(app, client, send, expected):
    response = send(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "email": "new@example.com", "status": "subscribed", "sections": expected, "changed": True,
    }
    assert grants_of(app, "new@example.com") == tuple(f"newsletter:{s}" for s in expected)
    again = send(client)
    assert again.get_json()["changed"] is False


def test_unsubscribe_removes_grants_and_the_open_session_is_anonymous_next(
    app, client, make_user, login_as
):
    user = make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))
    browser = app.test_client()
    login_as(browser, user)
    assert signed_in_email(app, browser) == "sub@example.com"
    response = client.post("/hooks/fluentcrm", headers=AUTH, json={
        "email": "SUB@example.com", "status": "unsubscribed"})
    assert response.status_code == 200
    assert response.get_json() == {
        "email": "sub@example.com", "status": "unsubscribed", "sections": [], "changed": True,
    }
    assert grants_of(app, "sub@example.com") == ()
    assert signed_in_email(app, browser) is None
    page = browser.get("/members/newsletter/payments/", headers={"Accept": "application/json"})
    assert page.status_code == 401
    removed = audit_rows(app, "grant.remove")
    assert [(e.email, e.target, e.detail) for e in removed] == [
        ("sub@example.com", "newsletter:payments", "fluentcrm webhook")]
    assert removed[0].ip == "127.0.0.1"


def test_an_unknown_contact_that_is_not_subscribed_creates_nobody(app, client):
    response = client.post("/hooks/fluentcrm", headers=AUTH, json={
        "email": "stranger@example.com", "status": "bounced", "lists": PAY})
    assert response.get_json() == {
        "email": "stranger@example.com", "status": "bounced", "sections": [], "changed": False,
    }
    assert grants_of(app, "stranger@example.com") is None


def test_a_client_keeps_client_access(app, client, make_user):
    make_user("alice@example.com", "client", account="Acme Ltd")
    client.post("/hooks/fluentcrm", headers=AUTH,
                json={"email": "alice@example.com", "status": "subscribed", "lists": PAY})
    assert grants_of(app, "alice@example.com") == (
        "client:acme-ltd", "clients", "newsletter:payments")
    client.post("/hooks/fluentcrm", headers=AUTH,
                json={"email": "alice@example.com", "status": "spammed"})
    assert grants_of(app, "alice@example.com") == ("client:acme-ltd", "clients")


@pytest.mark.parametrize(
    ("headers", "status"),
    (
        ({}, 401),
        ({"X-Webhook-Secret": ""}, 401),
        ({"X-Webhook-Secret": SECRET[:-1]}, 401),
        ({"X-Webhook-Secret": SECRET + "x"}, 401),
        ({"X-Webhook-Secret": SECRET.upper()}, 401),
        ({"X-Webhook-Secret": "é" + SECRET}, 401),
        ({"Authorization": f"Bearer {SECRET}"}, 401),
        (AUTH, 200),
    ),
)
def test_the_secret_is_required(app, client, headers, status):
    response = client.post("/hooks/fluentcrm", headers=headers,
                           json={"email": "a@example.com", "status": "subscribed", "lists": PAY})
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert grants_of(app, "a@example.com") is None
        assert [e.outcome for e in audit_rows(app, "webhook.fluentcrm")] == ["denied"]


def test_the_secret_is_compared_in_constant_time(app, client, monkeypatch):
    from gate import fluentcrm

    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(fluentcrm.hmac, "compare_digest", spy)
    client.post("/hooks/fluentcrm", headers={"X-Webhook-Secret": "wrong"},
                json={"email": "a@example.com", "status": "pending"})
    client.post("/hooks/fluentcrm", headers=AUTH,
                json={"email": "a@example.com", "status": "pending"})
    assert seen == [(b"wrong", SECRET.encode()), (SECRET.encode(), SECRET.encode())]


@pytest.mark.parametrize("secret", ("", None))
def test_an_unconfigured_webhook_answers_404(app_config, secret):
    from gate import create_app

    app = create_app({**app_config, "FLUENTCRM_WEBHOOK_SECRET": secret})
    response = app.test_client().post(
        "/hooks/fluentcrm", headers={"X-Webhook-Secret": ""},
        json={"email": "a@example.com", "status": "subscribed"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_configured"


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    (
        ({"json": {"status": "subscribed", "lists": PAY}}, "email", "is required"),
        ({"json": {"email": "", "status": "pending"}}, "email", "is required"),
        ({"json": {"email": "a@@example.com", "status": "pending"}}, "email", "exactly one @"),
        ({"json": {"email": ["a@example.com"], "status": "pending"}}, "email", "must be text"),
        ({"json": {"email": "a@example.com"}}, "status", "is required"),
        ({"json": {"email": "a@example.com", "status": "gone"}}, "status", "not a FluentCRM"),
        ({"json": {"email": "a@example.com", "status": "subscribed"}}, "lists", "lists or tags"),
        ({"json": {"email": "a@example.com", "status": "subscribed", "lists": 7}}, "lists",
         "titles"),
        ({"json": {"email": "a@example.com", "status": "subscribed", "tags": [{"id": 1}]}},
         "tags", "titles"),
        ({"json": {"email": "a@example.com", "status": "pending", "first_name": 5}},
         "first_name", "must be text"),
        ({"json": {"email": "a@example.com", "status": "pending", "last_name": "x" * 201}},
         "last_name", "longer than 200"),
        ({"json": ["a@example.com", "subscribed"]}, "body", "JSON object"),
        ({"data": "{not json", "content_type": "application/json"}, "body", "JSON object"),
        ({"data": "email=a@example.com", "content_type": "text/plain"}, "body", "form"),
        ({"data": {"email": "a@example.com"}}, "status", "is required"),
    ),
)
def test_bad_bodies_answer_400_naming_the_field(app, client, kwargs, field, words):
    response = client.post("/hooks/fluentcrm", headers=AUTH, **kwargs)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["field"] == field and error["code"] == "invalid"
    assert words in error["message"]
    assert grants_of(app, "a@example.com") is None


def test_formula_names_are_neutralised(app, client):
    client.post("/hooks/fluentcrm", headers=AUTH, json={
        "email": "f@example.com", "status": "subscribed", "tags": "", "lists": [PAY],
        "first_name": "=cmd|' /C calc'!A0", "last_name": "\r\nSmith"})
    from gate.db import get_session

    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == "f@example.com"))
        assert user.name == "cmd|' /C calc'!A0 Smith"


def test_no_csrf_token_is_needed_but_other_methods_are_refused(app, client):
    assert client.get("/hooks/fluentcrm").status_code in (404, 405)  # the site catches GETs
    assert client.put("/hooks/fluentcrm", headers=AUTH, json={}).status_code == 405
    response = client.post("/hooks/fluentcrm", headers=AUTH,
                           data={"email": "a@example.com", "status": "pending"})
    assert response.status_code == 200  # a form without csrf_token is accepted here


def test_the_webhook_is_rate_limited(app_config):
    from gate import create_app

    app = create_app({**app_config, "FLUENTCRM_WEBHOOK_RATE_LIMIT": "3/minute"})
    client = app.test_client()
    codes = [
        client.post("/hooks/fluentcrm", headers=AUTH,
                    json={"email": "a@example.com", "status": "pending"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
