"""Flask extensions shared by every part of the gate, created once and bound in ``create_app``.

- ``login_manager``: Flask-Login; the user loader lives in :mod:`gate.sessions`.
- ``csrf``: Flask-WTF's CSRF protection for every form POST (a missing or bad token is a 400).
- ``limiter``: Flask-Limiter; no default limits, each view declares its own from configuration.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    """Bind the extensions to ``app`` (the rate-limit headers include ``Retry-After``)."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "sop-portal")
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
