"""Flask extensions shared by every part of the gate, created once and bound in ``create_app``.

- ``login_manager``: Flask-Login; the user loader lives in :mod:`gate.accounts.sessions`.
- ``csrf``: Flask-WTF's CSRF protection for every form POST (a missing or bad token is a 400).
- ``limiter``: Flask-Limiter; no default limits, each view declares its own from configuration.
"""

from __future__ import annotations

import importlib.util
import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from gate.config import ConfigError

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def retry_after(response: Response) -> Response:
    """A 429 says when to come back (``Retry-After`` in seconds, from the breached window).

    Flask-Limiter's own headers would put ``Retry-After`` on every response of a limited
    route, successful ones included; only the refusal carries it here.
    """
    if response.status_code == 429 and "Retry-After" not in response.headers:
        breached = limiter.current_limit
        wait = breached.reset_at - time.time() if breached is not None else 60
        response.headers["Retry-After"] = str(max(1, int(wait)))
    return response


# Blueprints whose views declare no rate limit (and the limiter has no default limits): the
# limiter's per-request bookkeeping is skipped for them, which is measurable on the hot path of
# restricted pages (about 0.15 ms of CPU per request).
UNLIMITED_BLUEPRINTS = frozenset({"members", "site"})


@limiter.request_filter
def _no_declared_limits() -> bool:
    """True for requests to views that carry no rate limit (see ``UNLIMITED_BLUEPRINTS``)."""
    return request.blueprint in UNLIMITED_BLUEPRINTS


def init_app(app: Flask) -> None:
    """Bind the extensions to ``app``.

    Degrade, never crash: when the shared limiter storage (Redis) is down, each process keeps
    the same limits in memory until it answers again (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``);
    a Redis that hangs is given up after ``RATELIMIT_STORAGE_TIMEOUT`` seconds.
    """
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss")):
        if importlib.util.find_spec("redis") is None:
            raise ConfigError("RATELIMIT_STORAGE_URI names Redis, but its driver is not "
                              "installed: pip install 'sop-portal[redis]'")
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    app.after_request(retry_after)
