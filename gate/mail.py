"""Outgoing email: a queue in the database, delivered by SMTP or written to an outbox folder.

``SMTP_URL`` (``smtp://user:pass@host:port``, ``smtps://...``, ``?starttls=true``) selects SMTP;
without it each message is written to ``OUTBOX_DIR`` as an ``.eml`` file and, in development
mode only, its links are logged so ``make serve`` works without a mail server.

Views call :func:`queue` (no commit), commit, then :func:`dispatch`. The web process never
sends mail itself: ``sop-portal mail worker`` (started beside gunicorn by ``sop-portal serve``)
polls the queue every ``MAIL_POLL_SECONDS`` (1 s) and delivers, so a slow or failing SMTP server
never holds a web worker or changes an HTTP answer, and new mail goes out within a poll of an
SMTP outage ending. With ``MAIL_DELIVERY=inline`` (and under ``TESTING``) ``dispatch`` delivers
before the response returns, so tests need no worker. A failed message stays queued with its
error and is retried with back-off up to ``MAIL_MAX_ATTEMPTS``; the queue lives in the database,
so a message queued before a restart is delivered after it. ``sop-portal mail list`` shows the
queue, ``sop-portal mail retry`` retries now.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from gate.config import ConfigError, is_production, resolve_path
from gate.db import database
from gate.models import MailMessage, utcnow

log = logging.getLogger("gate.mail")

_LEASE = timedelta(minutes=2)
DELIVERY_MODES = ("worker", "inline")


@dataclass(frozen=True)
class DeliveryReport:
    """How many messages one delivery round sent and how many failed."""

    sent: int = 0
    failed: int = 0


def queue(session: Session, to: str, subject: str, body: str) -> MailMessage:
    """Add a message to the queue (the caller commits, then calls :func:`dispatch`)."""
    message = MailMessage(to_addr=to, subject=subject, body=body, next_attempt_at=utcnow())
    session.add(message)
    return message


def current_app_object() -> Flask:
    """The application behind ``current_app``, to hand to code that outlives this context."""
    # Flask declares ``current_app`` as the application; at run time it is werkzeug's proxy.
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


def dispatch(app: Flask | None = None) -> None:
    """Deliver queued mail now when this app delivers inline (tests); else the worker does.

    ``app`` defaults to the current app.
    """
    if app is None:
        app = current_app_object()
    if delivers_inline(app.config):
        deliver_due(app)


def delivers_inline(config: Mapping[str, Any]) -> bool:
    """True when requests deliver their own mail: ``MAIL_DELIVERY=inline`` or ``TESTING``."""
    return config.get("MAIL_DELIVERY") == "inline" or bool(config.get("TESTING"))


def run_worker(app: Flask, *, poll: float, should_stop: Callable[[], bool],
               once: bool = False) -> DeliveryReport:
    """Deliver due mail every ``poll`` seconds until ``should_stop()``; the totals sent/failed.

    A database or delivery problem is logged in one line and retried at the next poll: the
    worker never dies of it. ``once`` runs a single round (for scripts and tests).
    """
    sent = failed = 0
    log.info("mail worker started (polling every %.1f s)", poll)
    while not should_stop():
        try:
            report = deliver_due(app)
        except Exception as exc:  # noqa: BLE001 - logged; the next poll tries again
            log.warning("mail worker: delivery round failed: %s: %s", type(exc).__name__, exc)
            report = DeliveryReport()
        sent += report.sent
        failed += report.failed
        if once:
            break
        deadline = time.monotonic() + poll
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, poll))
    log.info("mail worker stopped (%d sent, %d failed)", sent, failed)
    return DeliveryReport(sent=sent, failed=failed)


def deliver_due(app: Flask, now: datetime | None = None, limit: int = 50) -> DeliveryReport:
    """Try every queued message whose time has come; returns what was sent and what failed."""
    now = now or utcnow()
    sent = failed = 0
    with database(app).sessions() as session:
        due_ids = list(
            session.scalars(
                select(MailMessage.id)
                .where(MailMessage.status == "queued", MailMessage.next_attempt_at <= now)
                .order_by(MailMessage.id)
                .limit(limit)
            )
        )
        for message_id in due_ids:
            if not _claim(session, message_id, now):
                continue
            message = session.get(MailMessage, message_id)
            if message is None:
                continue
            if _attempt(app.config, message, now):
                sent += 1
            else:
                failed += 1
            session.commit()
    return DeliveryReport(sent=sent, failed=failed)


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Lease a message so two workers never send it twice."""
    result = session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.status == "queued",
            MailMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + _LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _attempt(config: Mapping[str, Any], message: MailMessage, now: datetime) -> bool:
    message.attempts += 1
    try:
        where = deliver(config, message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500].replace("\n", " ")
        max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 6))
        if message.attempts >= max_attempts:
            message.status = "failed"
        base = int(config.get("MAIL_RETRY_SECONDS", 60))
        message.next_attempt_at = now + timedelta(
            seconds=min(base * 2 ** (message.attempts - 1), 3600)
        )
        log.warning(
            "mail %d not delivered (attempt %d of %d, %s): %s",
            message.id, message.attempts, max_attempts, message.status, message.last_error,
        )
        return False
    _log_delivery(config, message, where)
    message.status = "sent"
    message.sent_at = now
    message.last_error = ""
    message.body = ""  # it may hold a live sign-in link
    return True


def _log_delivery(config: Mapping[str, Any], message: MailMessage, where: str) -> None:
    if where.startswith("smtp"):
        log.info("mail %d sent by %s", message.id, where)
        return
    if is_production(config):
        log.info("mail %d written to %s", message.id, where)
        return
    base = re.escape(str(config.get("PUBLIC_BASE_URL", "")).rstrip("/"))
    links = re.findall(base + r"/\S+", message.body) if base else []
    log.info(
        "mail %d to %s written to %s (development mode, link: %s)",
        message.id, message.to_addr, where, " ".join(links) or "-",
    )


def build_message(config: Mapping[str, Any], message: MailMessage) -> EmailMessage:
    """The RFC 5322 message for a queued row."""
    email = EmailMessage()
    email["From"] = sender(config)
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(domain=_base_host(config))
    # 7bit keeps links readable (and clickable) in the outbox files; other text is QP-encoded.
    cte = "7bit" if message.body.isascii() else "quoted-printable"
    email.set_content(message.body, cte=cte)
    return email


def sender(config: Mapping[str, Any]) -> str:
    """``MAIL_FROM``, or ``SOP Portal <no-reply@host of PUBLIC_BASE_URL>``."""
    configured = str(config.get("MAIL_FROM") or "")
    return configured or f"SOP Portal <no-reply@{_base_host(config)}>"


def _base_host(config: Mapping[str, Any]) -> str:
    host = urlsplit(str(config.get("PUBLIC_BASE_URL") or "")).hostname or "localhost"
    return host if "." in host else f"{host}.localdomain"


def deliver(config: Mapping[str, Any], message: MailMessage) -> str:
    """Send one message now; returns where it went. Raises on failure."""
    email = build_message(config, message)
    smtp_url = str(config.get("SMTP_URL") or "")
    if smtp_url:
        return _send_smtp(smtp_url, email, float(config.get("SMTP_TIMEOUT", 10)))
    return str(_write_outbox(resolve_path(str(config["OUTBOX_DIR"])), message, email))


def _send_smtp(url: str, email: EmailMessage, timeout: float) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:port")
    options = parse_qs(parts.query)
    starttls = options.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
    with client:
        if starttls:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)
    return f"smtp {parts.hostname}:{parts.port or (465 if parts.scheme == 'smtps' else 25)}"


def _write_outbox(folder: Path, message: MailMessage, email: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = message.created_at.strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{message.id:06d}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(email.as_bytes())
    os.replace(temporary, path)
    return path


def retry_now(session: Session, include_failed: bool = True) -> int:
    """Make queued (and, by default, failed) messages due now; returns how many."""
    statuses = ["queued", "failed"] if include_failed else ["queued"]
    result = session.execute(
        update(MailMessage)
        .where(MailMessage.status.in_(statuses))
        .values(status="queued", next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def listing(session: Session, status: str | None = None) -> list[MailMessage]:
    """Messages, newest first, optionally of one status."""
    query = select(MailMessage).order_by(MailMessage.id.desc())
    if status:
        query = query.where(MailMessage.status == status)
    return list(session.scalars(query))


def init_app(app: Flask) -> None:
    """Mail settings; in development the outbox log line (with the link) is shown."""
    if app.config["MAIL_DELIVERY"] not in DELIVERY_MODES:
        raise ConfigError(f"MAIL_DELIVERY={app.config['MAIL_DELIVERY']!r} is not valid: use "
                          "'worker' (sop-portal mail worker sends) or 'inline' (tests)")
    if float(app.config["MAIL_POLL_SECONDS"]) <= 0:
        raise ConfigError("MAIL_POLL_SECONDS must be a positive number of seconds")
    if not is_production(app.config) and log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
        _ = app.logger  # installs Flask's handler on the "gate" logger
