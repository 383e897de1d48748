"""The mail queue: outbox folder or SMTP, failures recorded and retried, never visible."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from gate import mail
from gate.db import get_session
from gate.models import MailMessage, utcnow
from tests.accounts.conftest import body_of, post_form


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _messages(app) -> list[MailMessage]:
    with app.app_context():
        return list(get_session().scalars(select(MailMessage).order_by(MailMessage.id)))


def _strip(response) -> str:
    return re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))


def test_a_failing_smtp_server_changes_nothing_visible_and_is_retried(
    app, client, subscriber, runner, smtp_server
):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{_closed_port()}"
    known = post_form(client, "/auth/link", {"email": "sub@example.com"})
    unknown = post_form(client, "/auth/link", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert _strip(known) == _strip(unknown)
    (message,) = _messages(app)
    assert message.status == "queued" and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert "/auth/link/" in message.body  # kept until delivered
    listing = runner.invoke(args=["mail", "list"])
    assert "queued" in listing.output and "ConnectionRefusedError" in listing.output
    assert "/auth/link/" not in listing.output
    # the server comes back: the next round delivers it
    app.config["SMTP_URL"] = smtp_server.url
    seen = len(smtp_server.messages)
    assert mail.deliver_due(app).sent == 0  # not due yet (back-off)
    report = mail.deliver_due(app, now=utcnow() + timedelta(minutes=2))
    assert report.sent == 1
    assert "/auth/link/" in body_of(smtp_server.wait_for("sub@example.com", after=seen))
    (message,) = _messages(app)
    assert message.status == "sent" and message.body == "" and message.last_error == ""


def test_mail_retry_command(app, client, subscriber, runner, smtp_server):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{_closed_port()}"
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 1 and "1 failed" in result.output
    app.config["SMTP_URL"] = smtp_server.url
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0 and "1 sent" in result.output
    assert runner.invoke(args=["mail", "list", "--status", "sent"]).output.count("sent") == 1
    bad = runner.invoke(args=["mail", "list", "--status", "lost"])
    assert bad.exit_code == 2 and "bad --status" in bad.output


def test_a_message_fails_for_good_after_the_last_attempt(app, client, subscriber):
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{_closed_port()}", MAIL_MAX_ATTEMPTS=3)
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    later = utcnow()
    for _ in range(4):
        later += timedelta(hours=2)
        mail.deliver_due(app, now=later)
    (message,) = _messages(app)
    assert message.status == "failed" and message.attempts == 3


@pytest.mark.parametrize("url", ["http://127.0.0.1:25", "smtp://", "smtp://:25"])
def test_a_bad_smtp_url_is_recorded_not_raised(app, client, subscriber, url):
    app.config["SMTP_URL"] = url
    assert post_form(client, "/auth/link", {"email": "sub@example.com"}).status_code == 200
    (message,) = _messages(app)
    assert message.status == "queued" and "SMTP_URL" in message.last_error


def test_background_delivery(app, client, subscriber, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, MAIL_DELIVERY="background")
    seen = len(smtp_server.messages)
    assert post_form(client, "/auth/link", {"email": "sub@example.com"}).status_code == 200
    assert "/auth/link/" in body_of(smtp_server.wait_for("sub@example.com", after=seen))


def test_the_outbox_holds_readable_messages(app, client, subscriber, outbox):
    post_form(client, "/auth/link", {"email": "sub@example.com"})
    files = list(outbox.folder.glob("*.eml"))
    assert len(files) == 1 and not list(outbox.folder.glob("*.tmp"))
    raw = files[0].read_text(encoding="utf-8")
    assert "Subject: Your sign-in link for the SOP Portal" in raw
    assert re.search(r"http://127\.0\.0\.1:8000/auth/link/\S+\n", raw)  # not wrapped


def test_header_injection_is_impossible(app):
    with app.app_context():
        db = get_session()
        message = mail.queue(db, "a@example.com\r\nBcc: b@example.com", "Hi", "body")
        db.commit()
        with freeze_time(utcnow()):
            assert mail.deliver_due(app).sent == 0
        db.refresh(message)
        assert message.status == "queued" and "ValueError" in message.last_error
