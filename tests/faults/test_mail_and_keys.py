"""The SMTP server down; the secret key rotated (SECRET_KEY_FALLBACKS)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from gate import create_app
from tests.conftest import TEST_PASSWORD, BufferedClient
from tests.security.helpers import csrf_token, is_signed_in, post_form, sign_in
from tests.servers import SmtpSink, message_text

SUBSCRIBER = "reader@example.org"
CLIENT = "client@example.org"
_TOKEN_FIELD = re.compile(rb'name="csrf_token"[^>]*>|value="[^"]*"')


def _messages(app):
    from gate.db import database
    from gate.models import MailMessage

    with database(app).sessions() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


# --- SMTP down --------------------------------------------------------------------------------


@pytest.fixture
def sink(app_config):
    """An SMTP sink whose port is chosen but not yet listening (request it before ``app``)."""
    server = SmtpSink()
    app_config.update(SMTP_URL=server.url, SMTP_TIMEOUT=2, MAIL_DELIVERY="inline")
    yield server
    server.stop()


@pytest.mark.asvs("16.5.2")
def test_smtp_down_changes_no_answer_keeps_the_message_retries_and_logs(sink, app, runner,
                                                                        make_user, caplog):
    caplog.set_level(logging.INFO)
    make_user(SUBSCRIBER, role="subscriber", audiences=("newsletter:payments",))
    client = app.test_client()
    down = post_form(client, "/auth/link", {"email": SUBSCRIBER})
    unknown = post_form(client, "/auth/link", {"email": "nobody@example.org"})
    # the answer is the same as for an unknown address: the failure reveals nothing
    assert down.status_code == unknown.status_code == 200
    assert _TOKEN_FIELD.sub(b"", down.get_data()) == _TOKEN_FIELD.sub(b"", unknown.get_data())
    (queued,) = _messages(app)
    assert queued.status == "queued" and queued.attempts == 1
    assert queued.last_error and "Traceback" not in queued.last_error
    assert "not delivered" in caplog.text
    listed = runner.invoke(args=["mail", "list"])
    assert "queued" in listed.output and "error:" in listed.output

    sink.start()  # the server is back
    from gate import mail
    from gate.models import utcnow

    report = mail.deliver_due(app, now=utcnow() + timedelta(hours=2))  # the retry is due
    assert (report.sent, report.failed) == (1, 0)
    received = sink.wait_for(SUBSCRIBER, timeout=10)
    assert "/auth/link/" in message_text(received)
    (sent,) = _messages(app)
    assert sent.status == "sent" and sent.attempts == 2 and sent.body == ""


# --- secret key rotation ----------------------------------------------------------------------

OLD, NEW = "old-secret-key-" + "o" * 32, "new-secret-key-" + "n" * 32


@pytest.fixture
def keys(app_config):
    """Three apps over one database: the old key, the new key with the old as a fallback, and
    the new key alone (the fallback removed)."""

    def make(secret, fallbacks):
        app = create_app({**app_config, "SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": fallbacks})
        app.test_client_class = BufferedClient
        return app

    return make(OLD, []), make(NEW, [OLD]), make(NEW, [])


def _move(cookie_from, to_app, names=("sop-session",)):
    client = to_app.test_client()
    for name in names:
        found = cookie_from.get_cookie(name)
        if found is not None:
            client.set_cookie(name, found.value)
    return client


@pytest.mark.asvs("11.6.2")
def test_secret_rotation_keeps_old_sessions_and_links_while_the_old_key_is_a_fallback(keys):
    old, rotated, removed = keys
    with old.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts
        from gate.db import get_session

        db = get_session()
        account = accounts.ensure_account(db, "Rotation Client")
        user = accounts.create_user(db, CLIENT, "client", account=account)
        user.password_hash = passwords.hash_password(TEST_PASSWORD, old.config)
        subscriber = accounts.create_user(db, SUBSCRIBER, "subscriber")
        accounts.grant(db, subscriber, "newsletter:payments")
        db.commit()

    before = old.test_client()
    assert sign_in(before, CLIENT, TEST_PASSWORD).status_code in (302, 303)
    post_form(before, "/auth/link", {"email": SUBSCRIBER})
    body = _messages(old)[-1].body or ""
    if not body:
        from pathlib import Path

        body = "".join(p.read_text() for p in Path(old.config["OUTBOX_DIR"]).glob("*.eml"))
    token = re.search(r"/auth/link/([A-Za-z0-9_.\-]+)", body).group(1)

    # the new key, the old one a fallback: the old session and the old link still work
    carried = _move(before, rotated)
    assert is_signed_in(carried)
    assert carried.get("/members/clients/").status_code == 200
    reader = rotated.test_client()
    assert reader.get(f"/auth/link/{token}").status_code == 200
    # new sessions are signed with the new key: accepted without the old key, refused by it
    fresh = rotated.test_client()
    assert sign_in(fresh, CLIENT, TEST_PASSWORD).status_code in (302, 303)
    assert is_signed_in(_move(fresh, removed))
    assert not is_signed_in(_move(fresh, old))

    # the fallback removed: the old session is a clean sign-in prompt, the old link refused
    stale = _move(before, removed)
    assert not is_signed_in(stale)
    page = stale.get("/members/clients/", headers={"Accept": "text/html"})
    assert page.status_code in (302, 303) and "/auth/login" in page.headers["Location"]
    refused = removed.test_client().get(f"/auth/link/{token}")
    assert refused.status_code == 400 and b"Traceback" not in refused.get_data()
    # and a sign-in works at once with the new key alone
    again = removed.test_client()
    assert sign_in(again, CLIENT, TEST_PASSWORD).status_code in (302, 303)
    assert is_signed_in(again)


@pytest.mark.asvs("11.6.2")
def test_after_rotation_an_open_form_or_remembered_session_asks_again_cleanly(keys):
    """Documented: Flask-WTF tokens and Flask-Login remember cookies ignore the fallbacks."""
    old, rotated, _removed = keys
    with old.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts
        from gate.db import get_session

        db = get_session()
        user = accounts.create_user(db, CLIENT, "client",
                                    account=accounts.ensure_account(db, "Rotation Client"))
        user.password_hash = passwords.hash_password(TEST_PASSWORD, old.config)
        db.commit()
    before = old.test_client()
    token = csrf_token(before, "/auth/login")
    assert sign_in(before, CLIENT, TEST_PASSWORD, remember="y").status_code in (302, 303)
    remembered = _move(before, rotated, names=("sop-remember",))
    assert not is_signed_in(remembered)  # asks to sign in again, no error
    form = _move(before, rotated)
    stale_post = form.post("/auth/logout", data={"csrf_token": token})
    assert stale_post.status_code == 400 and b"Traceback" not in stale_post.get_data()
