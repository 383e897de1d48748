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


@pytest.mark.parametrize(
    ("settings", "sent_by_the_request"),
    [
        ({"TESTING": True, "MAIL_DELIVERY": "worker"}, True),  # tests need no worker
        ({"TESTING": False, "MAIL_DELIVERY": "inline"}, True),
        ({"TESTING": False, "MAIL_DELIVERY": "worker"}, False),  # production: the worker sends
    ],
)
def test_the_web_process_never_sends_mail_itself(app, client, subscriber, runner, smtp_server,
                                                 settings, sent_by_the_request):
    app.config.update(SMTP_URL=smtp_server.url, **settings)
    seen = len(smtp_server.messages)
    assert post_form(client, "/auth/link", {"email": "sub@example.com"}).status_code == 200
    (message,) = _messages(app)
    assert (message.status == "sent") is sent_by_the_request
    result = runner.invoke(args=["mail", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("0 sent, 0 failed" if sent_by_the_request
                                     else "1 sent, 0 failed")
    assert "/auth/link/" in body_of(smtp_server.wait_for("sub@example.com", after=seen))


@pytest.mark.parametrize(
    ("value", "message"),
    [("background", "MAIL_DELIVERY='background' is not valid"),
     ("", "MAIL_DELIVERY='' is not valid")],
)
def test_bad_mail_settings_are_refused(app_config, value, message):
    from gate import create_app
    from gate.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        create_app({**app_config, "MAIL_DELIVERY": value})


def test_a_queued_message_survives_a_restart(app_config, smtp_server):
    """Queued by one process, which then stops; a new process's worker delivers it."""
    from gate import create_app
    from gate.db import database

    settings = {**app_config, "TESTING": False, "DATABASE_AUTO_UPGRADE": True,
                "MAIL_DELIVERY": "worker",
                "SMTP_URL": smtp_server.url}
    first = create_app(settings)
    with first.app_context():
        mail.queue(get_session(), "later@example.com", "Queued before a restart", "Body")
        get_session().commit()
    database(first).engine.dispose()  # the first process is gone
    seen = len(smtp_server.messages)
    second = create_app(settings)
    result = second.test_cli_runner().invoke(args=["mail", "worker", "--once"])
    assert result.output.strip() == "1 sent, 0 failed"
    assert smtp_server.wait_for("later@example.com", after=seen)["Subject"] == (
        "Queued before a restart")


def test_new_mail_goes_out_within_seconds_of_an_smtp_outage_ending(app_config):
    """The worker polls the queue: it never sleeps past new mail until a retry is due."""
    import threading
    import time

    from gate import create_app
    from tests.servers import SmtpSink

    sink = SmtpSink()  # its port is chosen; nothing listens yet: SMTP is down
    app = create_app({**app_config, "TESTING": False, "DATABASE_AUTO_UPGRADE": True,
                      "MAIL_DELIVERY": "worker",
                      "SMTP_URL": sink.url, "SMTP_TIMEOUT": 2})
    with app.app_context():
        mail.queue(get_session(), "during@example.com", "During the outage", "Body")
        get_session().commit()
    stop = threading.Event()
    worker = threading.Thread(target=mail.run_worker, args=(app,),
                              kwargs={"poll": 0.2, "should_stop": stop.is_set})
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while _messages(app)[0].attempts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _messages(app)[0].last_error  # failed once, retried later with back-off
        sink.start()  # SMTP is back
        with app.app_context():
            mail.queue(get_session(), "after@example.com", "After the outage", "Body")
            get_session().commit()
        started = time.monotonic()
        sink.wait_for("after@example.com", timeout=5)
        assert time.monotonic() - started < 2.0
    finally:
        stop.set()
        worker.join(timeout=10)
        sink.stop()
    assert not worker.is_alive()


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


def _worker_pids(parent: int) -> list[int]:
    """Processes running ``sop-portal mail worker --parent PARENT``."""
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv and b"--parent" in argv and str(parent).encode() in argv:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_serve_starts_a_mail_worker_that_ends_with_it(tmp_path, site_dir, smtp_server):
    """``sop-portal serve``: gunicorn answers, its mail worker delivers, both stop together."""
    import time

    from tests import servers

    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"), "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "OUTBOX_DIR": str(tmp_path / "outbox"), "SMTP_URL": smtp_server.url})
    servers.run_cli(env, "db", "upgrade")
    servers.run_cli(env, "users", "add", "sub@example.com", "--role", "subscriber",
                    "--audience", "newsletter:payments")
    seen = len(smtp_server.messages)
    with servers.gunicorn(env, log_dir=tmp_path, workers=1) as gate:
        master = gate.process.popen.pid
        assert len(_worker_pids(master)) == 1
        browser = servers.HttpClient(gate.url)
        token = browser.csrf_token("/auth/link")
        assert browser.post("/auth/link", {"csrf_token": token,
                                           "email": "sub@example.com"}).status == 200
        assert "/auth/link/" in body_of(smtp_server.wait_for("sub@example.com", after=seen))
    deadline = time.monotonic() + 10
    while _worker_pids(master) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _worker_pids(master) == []
