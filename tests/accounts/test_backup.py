"""``sop-portal backup`` and ``restore``: a consistent copy taken while requests run, restored
into a fresh database with every user, grant and audit row (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gate import create_app
from tests.accounts.conftest import post_form

pytestmark = pytest.mark.usefixtures("db_url")


def _rows(app) -> dict[str, set]:
    from gate.db import database
    from gate.models import AuditEvent, Grant, User

    with database(app).sessions() as session:
        return {
            "users": set(session.scalars(select(User.email))),
            "grants": {(g.user_id, g.audience) for g in session.scalars(select(Grant))},
            "audit": set(session.scalars(select(AuditEvent.id))),
        }


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'portal.sqlite3'}"
    cluster = request.getfixturevalue("pg_cluster")
    name = f"restored_{abs(hash(request.node.nodeid)) % 10**8}"
    request.addfinalizer(lambda: cluster.drop_database(name))
    return cluster.create_database(name)


def test_a_backup_taken_under_load_restores_every_row(app, app_config, runner, make_user,
                                                       request, tmp_path, db_url):
    for n in range(20):
        make_user(f"client{n}@example.com", "client", audiences=("newsletter:payments",))
    stop = threading.Event()

    def traffic() -> None:  # failed sign-ins: an audit row each, while the backup runs
        client = app.test_client()
        while not stop.is_set():
            post_form(client, "/auth/login", {"email": "client1@example.com",
                                              "password": "not the password 1"})

    app.config["RATELIMIT_ENABLED"] = False
    quiet = len(_rows(app)["audit"])
    workers = [threading.Thread(target=traffic) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        while len(_rows(app)["audit"]) < quiet + 5:  # the traffic is writing
            time.sleep(0.01)
        before = _rows(app)
        result = runner.invoke(args=["backup", str(tmp_path / "portal.backup")])
        after = _rows(app)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert result.exit_code == 0, result.output
    fresh = _fresh_database(request, tmp_path, db_url)
    restored_app = create_app({**app_config, "DATABASE_URL": fresh,
                               "DATABASE_AUTO_UPGRADE": False})
    try:
        restored = restored_app.test_cli_runner().invoke(
            args=["restore", str(tmp_path / "portal.backup")])
        assert restored.exit_code == 0, restored.output
        found = _rows(restored_app)
    finally:
        from gate.db import database

        database(restored_app).engine.dispose()
    for kind in ("users", "grants", "audit"):
        assert before[kind] <= found[kind] <= after[kind], kind
    assert len(found["users"]) == 20 and len(found["grants"]) >= 20 * 3


@pytest.mark.parametrize(
    ("command", "content", "message"),
    [
        ("restore", None, "no backup file at"),
        ("restore", b"not a database at all", "is not a"),
        ("backup", "folder", "backup failed"),
    ],
)
def test_bad_backup_files_are_refused_with_a_reason(app, runner, tmp_path, command, content,
                                                    message):
    target = tmp_path / "file.backup"
    if content == "folder":
        target = tmp_path / "no-such-folder" / "file.backup"
    elif content is not None:
        target.write_bytes(content)
    result = runner.invoke(args=[command, str(target)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert _rows(app)["users"] == set()  # the database is untouched
