"""One-time links and tokens (SECURITY.md "One-time links and tokens")."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from gate.accounts import tokens
from tests.security.helpers import assert_clean, csrf_token, is_signed_in, needs

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG = {"SECRET_KEY": "k" * 40, "SECRET_KEY_FALLBACKS": [], "TOKEN_MAX_AGE_LINK": 600}
LINK = re.compile(r"https?://\S+/auth/link/(\S+)")


def _signed(purpose: str, at: datetime, config: dict = CONFIG) -> str:
    with freeze_time(at):
        return tokens.serializer(purpose, config).dumps({"j": "jti-1", "u": 7})


@pytest.mark.asvs("9.2.1")
@pytest.mark.parametrize(
    ("issued", "read_at", "purpose_read", "config_read", "expected"),
    [
        pytest.param(NOW, NOW + timedelta(seconds=599), "link", CONFIG, "ok", id="fresh"),
        pytest.param(NOW, NOW + timedelta(seconds=601), "link", CONFIG, "expired", id="expired"),
        pytest.param(NOW + timedelta(hours=1), NOW, "link", CONFIG, "expired", id="from-future"),
        pytest.param(NOW, NOW, "reset", CONFIG, "invalid", id="other-purpose-salt"),
        pytest.param(NOW, NOW, "link", {**CONFIG, "SECRET_KEY": "x" * 40}, "invalid",
                     id="other-key"),
    ],
)
def test_asvs_9_2_1_expired_future_and_other_purpose_tokens_are_refused(
    issued, read_at, purpose_read, config_read, expected
):
    token = _signed("link", issued)
    with freeze_time(read_at):
        assert tokens.read(token, purpose_read, config_read).status.value == expected


@pytest.mark.asvs("9.2.2")
@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda t: "x" + t, id="prefix"),
        pytest.param(lambda t: t + "." + t, id="doubled"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t * 50, id="oversized"),
    ],
)
def test_asvs_9_2_2_a_tampered_token_is_invalid(mangle):
    token = _signed("link", NOW)
    with freeze_time(NOW):
        assert tokens.read(mangle(token), "link", CONFIG).status is tokens.TokenStatus.INVALID


# --- through the gate -------------------------------------------------------------------------


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


@pytest.fixture
def subscriber(app, make_user):
    return make_user("reader@example.org", role="subscriber",
                     audiences=("newsletter:payments",))


@pytest.mark.asvs("6.3.8")
@needs("gate.accounts.routes")
def test_asvs_6_3_8_link_request_answers_the_same_for_known_and_unknown(client, subscriber):
    known = _request_link(client, subscriber.email)
    unknown = _request_link(client, "nobody-here@example.org")
    assert known.status_code == unknown.status_code
    strip = re.compile(rb'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub(b"", known.get_data()) == strip.sub(b"", unknown.get_data())


@pytest.mark.asvs("3.5.3")
@needs("gate.accounts.routes")
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
@needs("gate.accounts.routes")
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
@needs("gate.accounts.routes")
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
@needs("gate.accounts.routes")
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


@pytest.mark.asvs("8.3.2")
@needs("gate.accounts.routes", "gate.crm")
def test_asvs_8_3_2_a_subscriber_removed_after_the_link_was_sent_is_refused(app, client,
                                                                           subscriber):
    from tests.security.helpers import confirm_link

    _request_link(client, subscriber.email)
    token = _link_token(app, subscriber.email)
    app.config["FLUENTCRM_WEBHOOK_SECRET"] = "hook-secret-for-test"
    hook = client.post("/hooks/fluentcrm", json={
        "email": subscriber.email, "status": "unsubscribed", "lists": "", "tags": "",
    }, headers={"X-Webhook-Secret": "hook-secret-for-test"})
    assert hook.status_code < 300, hook.get_data()
    confirm_link(client, token)
    page = client.get("/members/newsletter/payments/", headers={"Accept": "application/json"})
    assert page.status_code in (401, 403, 404)


@pytest.fixture
def production_config(app_config):
    """Production mode (set before the app is made: request this fixture first)."""
    app_config.update(SOP_PORTAL_ENV="production", PUBLIC_BASE_URL="https://portal.example.org",
                      TRUSTED_HOSTS=["portal.example.org", "localhost"])  # the test client's
    return app_config


@pytest.mark.asvs("16.2.5")
@needs("gate.accounts.routes")
def test_asvs_16_2_5_tokens_never_appear_in_logs(production_config, app, client, subscriber,
                                                caplog):
    """In production mode (development mode logs outbox links on purpose, see the README)."""
    import logging

    caplog.set_level(logging.DEBUG)
    _request_link(client, subscriber.email)
    token = _link_token(app, subscriber.email)
    from tests.security.helpers import confirm_link

    client.get(f"/auth/link/{token}")
    confirm_link(client, token)
    assert token not in caplog.text
    assert token[:20] not in caplog.text


@pytest.mark.asvs("6.3.1")
@needs("gate.accounts.routes")
@pytest.mark.parametrize(
    ("limits", "addresses"),
    [pytest.param({"LINK_LIMIT_PER_EMAIL": "2/minute", "LINK_LIMIT_PER_IP": "100/minute"},
                  ["reader@example.org"] * 3, id="per-email"),
     pytest.param({"LINK_LIMIT_PER_EMAIL": "100/minute", "LINK_LIMIT_PER_IP": "2/minute"},
                  ["other1@example.org", "other2@example.org", "reader@example.org"],
                  id="per-ip")],
)
def test_asvs_6_3_1_too_many_link_requests_are_429_and_send_nothing(app, client, subscriber,
                                                                   limits, addresses):
    from gate.db import database
    from gate.models import MailMessage

    app.config.update(limits)
    statuses = [_request_link(client, email).status_code for email in addresses]
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429
    with database(app).sessions() as session:
        from sqlalchemy import select

        sent = [m.to_addr for m in session.scalars(select(MailMessage))]
    expected = addresses[:2].count(subscriber.email)
    assert sent.count(subscriber.email) == expected, "a refused request must send no email"
