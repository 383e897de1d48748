"""The floor of any Python gate: bare Flask + Flask-Login, one SQLite row read per request.

Scenario (b) of ``bench/gate_vs_nginx.py``. It does the least a gate that honours
next-request revocation can do: load the signed-in user from SQLite on every request (so a
revoked user is refused at once) and return a page it read from disk once at start-up.

Run under gunicorn with the same settings as the gate::

    BARE_DB=/tmp/bare.sqlite3 BARE_PAGE=site/index.html \
        gunicorn --no-control-socket --workers 2 --chdir bench 'bare_app:create_app()'

``GET /login`` signs in the one benchmark user (no password: this app is never deployed);
``GET /page`` answers the cached page to a signed-in user and 401 otherwise.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from flask import Flask, Response, abort
from flask_login import LoginManager, UserMixin, login_required, login_user

_local = threading.local()


class BenchUser(UserMixin):
    """The one user of the baseline app."""

    def __init__(self, user_id: int, email: str) -> None:
        self.id = user_id
        self.email = email


def _connection(db_path: str) -> sqlite3.Connection:
    """One SQLite connection per worker thread, opened on first use."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(db_path, check_same_thread=True)
        _local.conn = conn
    return conn


def prepare_database(db_path: str) -> None:
    """Create the users table with its one active user (idempotent)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS users "
            "(id INTEGER PRIMARY KEY, email TEXT NOT NULL, active INTEGER NOT NULL)"
        )
        conn.execute(
            "INSERT OR IGNORE INTO users (id, email, active) VALUES (1, 'bench@example.org', 1)"
        )


def create_app(db_path: str | None = None, page_path: str | None = None) -> Flask:
    """The baseline app; paths default to the ``BARE_DB`` and ``BARE_PAGE`` variables."""
    db_path = db_path or os.environ["BARE_DB"]
    page = Path(page_path or os.environ["BARE_PAGE"]).read_text(encoding="utf-8")
    prepare_database(db_path)

    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("BARE_SECRET_KEY", "bench-only-not-a-secret")
    manager = LoginManager(app)

    @manager.user_loader
    def load_user(user_id: str) -> BenchUser | None:
        row = _connection(db_path).execute(
            "SELECT id, email FROM users WHERE id = ? AND active = 1", (int(user_id),)
        ).fetchone()
        return BenchUser(row[0], row[1]) if row else None

    @manager.unauthorized_handler
    def unauthorized() -> Response:
        abort(401)

    @app.get("/login")
    def login() -> str:
        user = load_user("1")
        if user is None:
            abort(403)
        login_user(user)
        return "signed in\n"

    @app.get("/page")
    @login_required
    def cached_page() -> Response:
        return Response(page, mimetype="text/html")

    return app
