"""Shared fixtures: the built public site (once per session), the app, its clients.

Area-specific fixtures live in the ``conftest.py`` of each test folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
# MkDocs loads the build hooks with their folder on sys.path; tests import them the same way.
if str(ROOT / "hooks") not in sys.path:
    sys.path.insert(0, str(ROOT / "hooks"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_PASSWORD = "correct horse battery staple 42"
"""The password ``make_user(..., password=TEST_PASSWORD)`` users sign in with."""
CHEAP_HASHING = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 8,
    "PASSWORD_HASH_PARALLELISM": 1,
}
_CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def require_system(condition: bool, what: str) -> None:
    """Skip on a developer machine, fail in CI, when a system package is missing."""
    if condition:
        return
    message = f"{what} is not installed (make system-deps installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def build_targets(out: Path, restricted: Path = ROOT / "restricted"):
    """Where ``sop-portal build`` of the working tree goes when its targets are under ``out``."""
    from gate import sitebuild

    return sitebuild.Targets(
        public_config=ROOT / "mkdocs.yml",
        members_config=ROOT / "mkdocs.members.yml",
        restricted_dir=restricted,
        site_dir=out / "site",
        members_dir=out / "members-site",
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """Both sites built from the working tree once per test session (strict, checked)."""
    from gate import sitebuild

    targets = build_targets(tmp_path_factory.mktemp("built"))
    sitebuild.build_sites(targets)
    return targets


@pytest.fixture(scope="session")
def site_dir(built) -> Path:
    """The public site of the session's build."""
    return built.site_dir


@pytest.fixture(scope="session")
def members_dir(built) -> Path:
    """The members site of the session's build."""
    return built.members_dir


def gate_config(base: Path, site_dir: Path, members_dir: Path | None = None,
                restricted_dir: Path = ROOT / "restricted", **extra) -> dict:
    """The one test configuration of the gate: instance, database and outbox under ``base``.

    Cheap argon2id and mail delivered before the request returns; ``extra`` overrides.
    """
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(base / "instance"),
        "DATABASE_URL": f"sqlite:///{base / 'instance' / 'test.sqlite3'}",
        "OUTBOX_DIR": str(base / "outbox"),
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(members_dir or site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(restricted_dir),
        "MKDOCS_CONFIG": str(ROOT / "mkdocs.yml"),
        "MEMBERS_MKDOCS_CONFIG": str(ROOT / "mkdocs.members.yml"),
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        **CHEAP_HASHING,
        "MAIL_DELIVERY": "inline",
        **extra,
    }


@pytest.fixture
def app_config(tmp_path: Path, site_dir: Path, request: pytest.FixtureRequest) -> dict:
    """The test configuration: a fresh instance folder, the session's built site.

    The database is SQLite, or each of SQLite and PostgreSQL for a test using ``db_url``.
    """
    config = gate_config(tmp_path, site_dir)
    if "db_url" in request.fixturenames:
        config["DATABASE_URL"] = request.getfixturevalue("db_url")
    return config


class BufferedClient(FlaskClient):
    """A test client that reads and closes every response (file responses included)."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config: dict):
    """A fresh app per test (fresh instance folder and database)."""
    from gate import create_app

    app = create_app(app_config)
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app):
    """The Flask test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The Flask CLI runner."""
    return app.test_cli_runner()


# ---- accounts and sign-in (gate.accounts, gate.accounts.routes) ----


def form_csrf_token(client, path: str) -> str:
    """The ``csrf_token`` of the form served at ``path``."""
    response = client.get(path)
    match = _CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, (path, response.status_code)
    return match.group(1)


@pytest.fixture
def make_user(app):
    """``make_user(email, role="client", password=None, audiences=(), account=None,
    account_type="eft") -> User``: a committed user (clients get an account, default
    "Test Client", and its grants; ``audiences`` are extra grants, taken as given)."""
    from gate.accounts import passwords
    from gate.accounts import services as accounts
    from gate.db import get_session

    def make(email, role="client", password=None, audiences=(), account=None,
             account_type="eft"):
        with app.app_context():
            db = get_session()
            client_account = None
            if role == "client":
                client_account = accounts.ensure_account(db, account or "Test Client",
                                                         account_type)
            user = accounts.create_user(db, email, role, account=client_account)
            for audience in audiences:
                accounts.grant(db, user, audience)
            if password is not None:
                user.password_hash = passwords.hash_password(password, app.config)
            db.commit()
            _ = (user.grants, user.account)  # loaded before the session closes
            return user

    return make


@pytest.fixture
def login(app):
    """``login(client, email, password, **fields)``: post the real sign-in form."""

    def do_login(client, email, password, **fields):
        token = form_csrf_token(client, "/auth/login")
        data = {"email": email, "password": password, "csrf_token": token, **fields}
        return client.post("/auth/login", data=data)

    return do_login


@pytest.fixture
def login_as(app):
    """``login_as(client, user)``: a signed-in session without the form (quick)."""
    from gate.accounts import sessions
    from gate.db import get_session
    from gate.models import User

    def do_login_as(client, user):
        with app.app_context():
            db = get_session()
            raw = sessions.start(db.get(User, user.id))
            db.commit()
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = raw
            session["_fresh"] = True
        return raw

    return do_login_as


@pytest.fixture(scope="session")
def smtp_server():
    """An aiosmtpd server on a free loopback port for the whole session.

    ``smtp_server.url`` goes into ``SMTP_URL``; ``smtp_server.messages`` collects every
    message; ``smtp_server.wait_for(recipient, after=n)`` waits for one (see tests/servers.py).
    """
    from tests.servers import smtp_sink

    with smtp_sink() as sink:
        yield sink


# ---- PostgreSQL: a throwaway cluster (tests/servers.py), started on first use ----


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's throwaway PostgreSQL cluster on a free loopback port."""
    from tests import servers

    require_system(servers.postgres_bindir() is not None, "postgresql")
    with servers.postgres() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_url(pg_cluster) -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`` of the throwaway cluster."""
    return pg_cluster.url()


@pytest.fixture(scope="session")
def _pg_test_database(pg_cluster) -> str:
    """One PostgreSQL database for the ``db_url`` tests, emptied after each of them."""
    pg_cluster.create_database("sop_tests")
    return "sop_tests"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.system)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database of each kind: a test that uses this fixture runs twice.

    ``app_config`` (hence ``app``, ``make_user``, ``login`` ...) picks it up, so a module opts
    its tests in with ``pytestmark = pytest.mark.usefixtures("db_url")``. Afterwards the
    connections the test left open are closed and every PostgreSQL table is truncated.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'test.sqlite3'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = request.getfixturevalue("_pg_test_database")
    try:
        with closing_connections_to(name):
            yield cluster.url(name)
    finally:
        cluster.empty_database(name)


@contextlib.contextmanager
def closing_connections_to(name: str):
    """Close, at the end of the block, every pooled connection opened to database ``name``
    (so the database can be emptied or dropped)."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    opened: list = []

    def remember(dbapi_connection, _record) -> None:
        if getattr(getattr(dbapi_connection, "info", None), "dbname", None) == name:
            opened.append(dbapi_connection)

    event.listen(Pool, "connect", remember)
    try:
        yield
    finally:
        event.remove(Pool, "connect", remember)
        for connection in opened:
            connection.close()
