"""`POST /hooks/fluentcrm`: one contact live, authenticated by a shared secret."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, User
from tests.accounts.conftest import signed_in_email
from tests.newsletter import shapes
from tests.newsletter.helpers import DATA, PAY, STORE

SECRET = "hook-secret-0123456789"
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


NIA = shapes.Contact(31, " New@Example.com ", first_name="Nia", last_name="Ng",
                     lists=(PAY, STORE), tags=("Webinar",))


def post_json(client, body: bytes, headers=AUTH):
    """POST a body encoded as the action's "Send as JSON format" sends it."""
    return client.post("/hooks/fluentcrm", headers=headers, data=body,
                       content_type="application/json; charset=utf-8")


def post_form(client, body: str, headers=AUTH):
    """POST a body encoded as the action's "Send as Form Method" sends it."""
    return client.post("/hooks/fluentcrm", headers=headers, data=body,
                       content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    ("send", "expected"),
    (
        (lambda c: post_json(c, shapes.json_encode(shapes.custom_body(NIA))),
         ["payments", "store-setup"]),
        (lambda c: post_form(c, shapes.http_build_query(shapes.custom_body(NIA))),
         ["payments", "store-setup"]),
        (lambda c: post_json(c, shapes.json_encode(shapes.custom_body(
            shapes.Contact(31, "new@example.com", lists=(PAY, "Other")),
            {"email": "{{contact.email}}", "status": "{{contact.status}}",
             "lists": "{{contact.lists.title}}"}))),
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
    from gate.newsletter import webhook

    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
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
        ({"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"}, "body",
         "JSON object"),
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


# ---- FluentCRM as it really is (issue 16) ------------------------------------------------------

RAW_JSON = (DATA / "fluentcrm_webhook_raw.json").read_bytes()
RAW_FORM = (DATA / "fluentcrm_webhook_raw.form").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("send", "held", "expected"),
    (
        # FluentCRM's default body carries no lists: a subscribed contact keeps its sections
        (lambda c: post_json(c, RAW_JSON), ("newsletter:payments",), ("newsletter:payments",)),
        (lambda c: post_form(c, RAW_FORM), ("newsletter:store-setup",),
         ("newsletter:store-setup",)),
        # ... and a contact who left loses every section
        (lambda c: post_json(c, shapes.json_encode(shapes.raw_body(
            shapes.Contact(21, "-dash@example.com", status="unsubscribed")))),
         ("newsletter:payments",), ()),
        (lambda c: post_form(c, shapes.http_build_query(shapes.raw_body(
            shapes.Contact(21, "-dash@example.com", status="bounced")))),
         ("newsletter:payments", "newsletter:store-setup"), ()),
    ),
)
def test_item_1_the_default_raw_body_updates_the_status(app, client, make_user, send, held,
                                                        expected):
    make_user("-dash@example.com", "subscriber", audiences=held)
    response = send(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["email"] == "-dash@example.com"
    assert response.get_json()["sections"] == [a.removeprefix("newsletter:") for a in expected]
    assert grants_of(app, "-dash@example.com") == expected
    assert audit_rows(app, "grant.add") == []  # make_user does not audit; nothing was added


def test_item_1_a_raw_body_for_an_unknown_contact_creates_nobody(app, client):
    response = post_json(client, RAW_JSON)
    assert response.status_code == 200
    assert response.get_json() == {"email": "-dash@example.com", "status": "subscribed",
                                   "sections": [], "changed": False}
    assert grants_of(app, "-dash@example.com") is None


@pytest.mark.parametrize(
    ("body", "held", "expected"),
    (
        # "List Removed" and "Tag Removed" automations remove only that list's sections
        ({"event": "list_removed", "list": PAY},
         ("newsletter:payments", "newsletter:store-setup"), ("newsletter:store-setup",)),
        ({"event": "tag_removed", "tag": "+VIP"}, ("newsletter:payments", "newsletter:vip"),
         ("newsletter:payments",)),
        # "List Applied" (a contact re-added to a list) and "Tag Applied" add them back
        ({"event": "list_applied", "list": STORE}, ("newsletter:payments",),
         ("newsletter:payments", "newsletter:store-setup")),
        ({"event": "tag_applied", "tag": "+VIP"}, (), ("newsletter:vip",)),
        # an unmapped list changes nothing; a status in the body still rules
        ({"event": "list_removed", "list": "Monthly Specials"}, ("newsletter:payments",),
         ("newsletter:payments",)),
        ({"event": "list_applied", "list": PAY, "status": "unsubscribed"},
         ("newsletter:store-setup",), ()),
    ),
)
def test_item_2_list_and_tag_events_add_or_remove_one_section(app_config, tmp_path, make_user,
                                                               body, held, expected):
    from gate import create_app

    path = tmp_path / "map.toml"
    path.write_text(shapes.VIP_MAP, encoding="utf-8")
    app = create_app({**app_config, "NEWSLETTER_MAP_FILE": str(path)})
    client = app.test_client()
    make_user("sub@example.com", "subscriber", audiences=held)
    response = client.post("/hooks/fluentcrm", headers=AUTH,
                           json={"email": "SUB@example.com", **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["sections"] == [a.removeprefix("newsletter:") for a in expected]
    assert grants_of(app, "sub@example.com") == expected


def test_item_2_an_event_keeps_an_end_date_on_the_other_sections(app, client, make_user):
    from datetime import timedelta

    from gate.accounts import services as accounts
    from gate.db import get_session
    from gate.models import utcnow

    user = make_user("sub@example.com", "subscriber")
    ends = utcnow() + timedelta(days=30)
    with app.app_context():
        db = get_session()
        accounts.grant(db, db.get(User, user.id), "newsletter:payments", ends)
        db.commit()
    client.post("/hooks/fluentcrm", headers=AUTH, json={
        "email": "sub@example.com", "event": "list_applied", "list": STORE})
    from gate.db import get_session as again

    with app.app_context():
        grants = {g.audience: g.ends_at for g in again().get(User, user.id).grants}
    assert grants["newsletter:store-setup"] is None
    assert grants["newsletter:payments"] is not None


@pytest.mark.parametrize(
    "send",
    (
        lambda c: post_json(c, (DATA / "fluentcrm_webhook_typo.json").read_bytes()),
        lambda c: post_form(c, shapes.http_build_query(shapes.custom_body(
            shapes.EDGE[1], {**shapes.CUSTOM_DATA, "lists": "{{contact.lists}}"}))),
    ),
)
def test_item_3_a_smartcode_typo_is_refused_and_changes_nothing(app, client, make_user, send):
    make_user("oneil@example.com", "subscriber", audiences=("newsletter:store-setup",))
    response = send(client)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "empty_lists" and error["field"] == "lists"
    assert "{{contact.lists.title}}" in error["message"]
    assert grants_of(app, "oneil@example.com") == ("newsletter:store-setup",)


def test_item_3_the_right_smartcodes_are_accepted(app, client):
    response = post_json(client, (DATA / "fluentcrm_webhook_custom.json").read_bytes())
    assert response.status_code == 200
    assert response.get_json()["sections"] == ["store-setup"]
    response = post_form(client, (DATA / "fluentcrm_webhook_custom.form").read_text())
    assert response.get_json()["changed"] is False


def test_item_5_an_address_starting_with_a_dash_is_accepted(app, client):
    body = shapes.custom_body(shapes.EDGE[0])
    response = post_json(client, shapes.json_encode(body))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert grants_of(app, "-dash@example.com") == ("newsletter:payments",)


@pytest.mark.parametrize("method", ("GET", "HEAD"))
def test_item_8_get_answers_405_saying_to_use_post(app, client, method):
    response = client.open("/hooks/fluentcrm?email=a%40example.com&status=subscribed",
                           method=method, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    if method == "GET":
        assert "POST" in response.get_json()["error"]["message"]
    assert grants_of(app, "a@example.com") is None


# ---- a status-only body completed from the REST API --------------------------------------------

@pytest.fixture
def crm_api():
    """FluentCRM's REST API on loopback, with the awkward contacts."""
    with shapes.serve(shapes.FakeFluentCrm(shapes.EDGE)) as fake:
        yield fake


def _with_api(app_config, fake, **extra):
    from gate import create_app

    return create_app({**app_config, "FLUENTCRM_API_URL": fake.url,
                       "FLUENTCRM_API_USER": fake.user,
                       "FLUENTCRM_API_PASSWORD": fake.password, **extra})


def test_item_1_with_the_rest_api_a_raw_body_gets_the_contacts_lists(app_config, crm_api):
    app = _with_api(app_config, crm_api)
    response = post_json(app.test_client(), RAW_JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"email": "-dash@example.com", "status": "subscribed",
                                   "sections": ["payments"], "changed": True}
    assert grants_of(app, "-dash@example.com") == ("newsletter:payments",)
    assert any("get_by_email=-dash%40example.com" in r for r in crm_api.requests)


@pytest.mark.parametrize(
    ("password", "status", "words"),
    (("wrong", 502, "refused the credentials"), (None, 200, "")),
)
def test_a_raw_body_when_the_api_refuses_or_lacks_the_contact(app_config, crm_api, make_user,
                                                               password, status, words):
    if password is None:
        crm_api.contacts = []  # FluentCRM answers "Subscriber not found"
    app = _with_api(app_config, crm_api, FLUENTCRM_API_PASSWORD=password or crm_api.password)
    client = app.test_client()
    from gate.db import get_session
    from gate.models import Grant

    with app.app_context():
        db = get_session()
        db.add(User(email="-dash@example.com", role="subscriber", name="", active=True,
                    grants=[Grant(audience="newsletter:store-setup")]))
        db.commit()
    response = post_json(client, RAW_JSON)
    assert response.status_code == status, response.get_data(as_text=True)
    if words:
        assert words in response.get_json()["error"]["message"]
    assert grants_of(app, "-dash@example.com") == ("newsletter:store-setup",)
