"""Fixtures for the members area: a small restricted folder and signed-in personas."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from members_support import PERSONAS, SECRET, TREE, audit_events, hostile_tree, write_tree

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small valid restricted folder (plus a secret file next to it, outside it)."""
    (tmp_path / "outside-secret.txt").write_text(SECRET, encoding="utf-8")
    return write_tree(tmp_path / "restricted", TREE)


@pytest.fixture
def sign_in(client, make_user, login_as):
    """``sign_in(persona)``: create that persona's user and sign the test client in."""

    def do(persona: str):
        spec = PERSONAS[persona]
        if spec is None:
            return None
        user = make_user(f"{persona}@example.com", **spec)
        login_as(client, user)
        return user

    return do


class _Buffered(FlaskClient):
    """Reads and closes every response, file responses included."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


class SharedSite:
    """One app on a hostile restricted folder, shared by a module's table-driven tests.

    Creating an app costs about 0.15 s; the traversal and variant tables have dozens of rows,
    and none of them changes any state, so they share this one.
    """

    def __init__(self, app, tree: Path) -> None:
        app.test_client_class = _Buffered
        self.app = app
        self.tree = tree
        self._clients: dict[str, object] = {}

    def client(self, persona: str):
        """A test client signed in as ``persona`` (a fresh one for ``anonymous``)."""
        if persona == "anonymous":
            return self.app.test_client()
        if persona not in self._clients:
            self._clients[persona] = self._sign_in(persona)
        return self._clients[persona]

    def _sign_in(self, persona: str):
        from gate import accounts, sessions
        from gate.db import get_session

        spec = dict(PERSONAS[persona] or {})
        client = self.app.test_client()
        with self.app.app_context():
            db = get_session()
            account = None
            if spec.get("role") == "client":
                account = accounts.ensure_account(db, spec["account"])
            user = accounts.create_user(db, f"{persona}@example.com", spec["role"],
                                        account=account)
            for audience in spec.get("audiences", ()):
                accounts.grant(db, user, audience)
            db.commit()
            raw = sessions.start(user)
            db.commit()
        with client.session_transaction() as session:
            session["_user_id"] = raw
            session["_fresh"] = True
        return client


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory, site_dir):
    """A module-wide app serving :func:`hostile_tree` (see :class:`SharedSite`)."""
    from gate import create_app

    base = tmp_path_factory.mktemp("shared")
    (base / "outside-secret.txt").write_text(SECRET, encoding="utf-8")
    tree = hostile_tree(write_tree(base / "restricted", TREE))
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(base / "instance"),
        "DATABASE_URL": f"sqlite:///{base / 'instance' / 'test.sqlite3'}",
        "OUTBOX_DIR": str(base / "outbox"),
        "SITE_DIR": str(site_dir),
        "RESTRICTED_DIR": str(tree),
        "MKDOCS_CONFIG": str(ROOT / "mkdocs.yml"),
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "MAIL_DELIVERY": "inline",
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
    })
    return SharedSite(app, tree)


@pytest.fixture
def audit_log(app):
    """``audit_log(action)``: the audit events recorded with ``action``."""
    return lambda action: audit_events(app, action)
