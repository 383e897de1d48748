"""``/healthz`` checks beyond the database: the rate limiter's storage, the mail queue and the
free space of a production SQLite database's disk.

Each check raises :class:`Unhealthy` naming what is wrong; ``/healthz`` lists every failing
check with a 503, so a load balancer or a monitor notices a stopped Redis or a mail queue
that no worker empties. The database check lives with the database (:mod:`gate.db`).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from gate.config import ConfigError, is_production
from gate.db import get_session
from gate.extensions import limiter
from gate.models import MailMessage, utcnow
from gate.sqlite_disk import check_free_space, sqlite_path


class Unhealthy(RuntimeError):
    """A dependency is down; the message says which and how."""


def limiter_storage() -> None:
    """The rate limiter's shared storage (Redis) answers; the memory store always does."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    try:
        alive = bool(limiter.storage.check())
    except Exception as exc:  # noqa: BLE001 - any storage failure is "down"
        raise Unhealthy(f"rate-limit storage unreachable ({type(exc).__name__})") from None
    if not alive:
        raise Unhealthy("rate-limit storage unreachable (limits are kept per process)")


def sqlite_disk() -> None:
    """Production SQLite: its disk still has the room a start needs (``SQLITE_MIN_FREE_MB``)."""
    path = sqlite_path(str(current_app.config.get("DATABASE_URL", "")))
    if path is None or not is_production(current_app.config):
        return
    try:
        check_free_space(path, int(current_app.config["SQLITE_MIN_FREE_MB"]))
    except ConfigError as exc:
        raise Unhealthy(str(exc)) from None


def mail_queue() -> None:
    """No queued message is older than ``MAIL_QUEUE_MAX_AGE`` seconds (a worker sends them)."""
    limit = int(current_app.config["MAIL_QUEUE_MAX_AGE"])
    oldest = get_session().scalar(
        select(func.min(MailMessage.created_at)).where(MailMessage.status == "queued")
    )
    if oldest is not None and utcnow() - oldest > timedelta(seconds=limit):
        age = int((utcnow() - oldest).total_seconds())
        raise Unhealthy(f"the oldest queued mail waits for {age} s (more than {limit} s): "
                        "is `sop-portal mail worker` running and SMTP reachable?")

