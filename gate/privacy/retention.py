"""How long personal data is kept (POPIA): the retention settings and their cut-offs.

Pure rules, no database and no clock: :func:`policy` reads and checks the ``RETENTION_*``
settings, :func:`cutoffs` turns them into the moment before which each category of data goes,
given ``now``. :mod:`gate.privacy.prune` applies them (``sop-portal prune``).

Categories (each a setting in days):

- ``sent_mail``: delivered messages of the mail queue, counted from when they were sent;
  the copies in ``OUTBOX_DIR`` follow the same period.
- ``failed_mail``: messages given up on (``failed``), counted from when they were queued.
- ``tokens``: emailed links (invitation, reset, sign-in), counted from when they expire
  (used ones too: until then a used link still says "already used").
- ``sessions``: sign-in sessions, counted from when they ended (expiry, or the idle timeout
  of a session without "remember me").
- ``access_requests``: decided access requests, counted from the decision (pending ones stay
  until staff decide).
- ``audit``: audit rows keep their action, time, outcome and user id, but their email, IP
  address and any email address in their target or detail are removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gate.config import ConfigError

SETTINGS: dict[str, str] = {
    "sent_mail": "RETENTION_SENT_MAIL_DAYS",
    "failed_mail": "RETENTION_FAILED_MAIL_DAYS",
    "tokens": "RETENTION_TOKEN_DAYS",
    "sessions": "RETENTION_SESSION_DAYS",
    "access_requests": "RETENTION_ACCESS_REQUEST_DAYS",
    "audit": "RETENTION_AUDIT_PERSONAL_DAYS",
}
"""category -> its setting; the defaults (:func:`gate.config.defaults`) suit a small business
under POPIA: 30, 90, 1, 30, 180 and 365 days."""
CATEGORIES = tuple(SETTINGS)
MAX_DAYS = 36_500
"""A period longer than a century is a typing mistake, not a policy."""


@dataclass(frozen=True)
class Policy:
    """The retention periods in days, per category, and the sign-in idle timeout."""

    days: Mapping[str, int]
    session_idle: timedelta


@dataclass(frozen=True)
class Cutoffs:
    """Per category, the moment at or before which its data goes (see the module doc).

    ``idle_sessions`` applies to sessions without "remember me": they ended at their last
    request plus the idle timeout, so they go when ``last_seen_at`` is at or before it.
    """

    by_category: Mapping[str, datetime]
    idle_sessions: datetime

    def __getitem__(self, category: str) -> datetime:
        return self.by_category[category]


def days_setting(name: str, value: Any) -> int:
    """A number of days from a setting: a whole number from 0 to :data:`MAX_DAYS`.

    Raises ConfigError naming the setting for anything else (``-1``, ``1.5``, ``"abc"``, True).
    """
    if value is None:
        raise ConfigError(f"{name} is not set: give a whole number of days")
    if isinstance(value, bool):
        raise ConfigError(f"{name}={value!r} is not valid: give a whole number of days")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not valid: give a whole number "
                              "of days") from None
    if not isinstance(value, int):
        raise ConfigError(f"{name}={value!r} is not valid: give a whole number of days")
    if not 0 <= value <= MAX_DAYS:
        raise ConfigError(f"{name}={value!r} is not valid: give a number of days from 0 "
                          f"to {MAX_DAYS}")
    return value


def policy(config: Mapping[str, Any]) -> Policy:
    """The retention policy of ``config``; ConfigError (naming the setting) on a bad value."""
    days = {category: days_setting(name, config.get(name)) for category, name in SETTINGS.items()}
    idle = config.get("SESSION_IDLE_MINUTES", 0)
    try:
        idle_minutes = float(idle)
    except (TypeError, ValueError):
        raise ConfigError(f"SESSION_IDLE_MINUTES={idle!r} is not a number of minutes") from None
    return Policy(days=days, session_idle=timedelta(minutes=max(idle_minutes, 0.0)))


def cutoffs(now: datetime, rules: Policy) -> Cutoffs:
    """The cut-off of every category at ``now`` (timezone-aware; ValueError when naive)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    by_category = {category: now - timedelta(days=rules.days[category])
                   for category in CATEGORIES}
    return Cutoffs(by_category=by_category,
                   idle_sessions=by_category["sessions"] - rules.session_idle)


def init_app(app: Any) -> None:
    """Check the retention settings when the app starts (ConfigError names a bad one)."""
    for name in SETTINGS.values():
        app.config[name] = days_setting(name, app.config.get(name))
