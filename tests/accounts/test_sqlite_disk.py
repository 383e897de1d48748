"""SQLite on a small disk (finding 8): the write-ahead log is bounded, a production start is
refused while the disk is too full, and sign-in comes back by itself once space returns."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from gate import create_app, db, sqlite_disk
from gate.config import ConfigError
from tests.accounts.conftest import post_form
from tests.accounts.test_production import PRODUCTION
from tests.conftest import TEST_PASSWORD, BufferedClient

DISK_MB = 8
MIN_FREE_MB = 1


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs of ``DISK_MB`` megabytes (needs root and the mount command)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(  # noqa: S603, S607 - fixed command, test-made folder
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)  # noqa: S603, S607


def fill(folder: Path) -> Path:
    """Write a ballast file in ``folder`` until its disk is full; its path."""
    ballast = folder / "ballast"
    descriptor = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):  # big chunks, then the last few bytes
            with contextlib.suppress(OSError):
                while os.write(descriptor, b"\0" * size):
                    pass
    finally:
        os.close(descriptor)
    return ballast


def production_config(app_config: dict, disk: Path) -> dict:
    return {**app_config, **PRODUCTION, "DATABASE_URL": f"sqlite:///{disk / 'portal.sqlite3'}",
            "SQLITE_MIN_FREE_MB": MIN_FREE_MB, "TRUSTED_HOSTS": ["localhost"]}


def portal_client(app):
    app.test_client_class = BufferedClient
    return app.test_client()


def sign_in(app) -> int:
    client = portal_client(app)
    return post_form(client, "/auth/login", {"email": "owner@example.com",
                                             "password": TEST_PASSWORD}).status_code


def test_a_full_disk_refuses_the_start_and_space_brings_sign_in_back(app_config, small_disk):
    config = production_config(app_config, small_disk)
    app = create_app(config)
    with app.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts

        session = db.get_session()
        account = accounts.ensure_account(session, "Owner Ltd", "eft")
        user = accounts.create_user(session, "owner@example.com", "client", account=account)
        user.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
        session.commit()
    assert sign_in(app) == 302
    ballast = fill(small_disk)
    assert sign_in(app) == 503  # the running gate: a clear 503, no traceback
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert any("sqlite_disk" in p and "MB free" in p for p in health.get_json()["problems"])
    with pytest.raises(ConfigError, match=r"MB free; SQLite needs at least 5 MB"):
        create_app(config)  # a restart is refused with one line, not 503 on every sign-in
    ballast.unlink()
    assert sign_in(app) == 302  # space is back: the running gate signs in again
    assert app.test_client().get("/healthz").status_code == 200
    db.database(app).engine.dispose()
    assert sign_in(create_app(config)) == 302  # and so does a restarted one


def test_the_command_line_refuses_a_full_disk_in_one_line(small_disk, tmp_path):
    from tests import servers

    env = servers.sop_env({**PRODUCTION, "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
                           "DATABASE_URL": f"sqlite:///{small_disk / 'portal.sqlite3'}",
                           "SQLITE_MIN_FREE_MB": str(DISK_MB)})
    result = servers.run_cli(env, "db", "upgrade", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: the disk holding")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_the_write_ahead_log_is_bounded_and_truncated_at_start(app_config, tmp_path):
    config = {**app_config, **PRODUCTION}
    app = create_app(config)
    path = sqlite_disk.sqlite_path(app.config["DATABASE_URL"])
    assert path is not None
    wal = Path(f"{path}-wal")
    engine = db.database(app).engine
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch (body TEXT)"))
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM scratch").fetchone()  # pins the log
        for _ in range(40):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO scratch VALUES (:b)"), {"b": "x" * 200_000})
        # A reader kept the log from being checkpointed.
        assert wal.stat().st_size > sqlite_disk.WAL_SIZE_LIMIT
    finally:
        reader.execute("COMMIT")
        reader.close()
    for _ in range(2):  # the next commit checkpoints; the one after restarts the log, cut back
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM scratch"))
    assert wal.stat().st_size <= sqlite_disk.WAL_SIZE_LIMIT
    create_app(config)  # a start checkpoints with TRUNCATE: the log is empty
    assert wal.stat().st_size == 0


def test_development_mode_skips_the_disk_check(app_config, monkeypatch):
    monkeypatch.setattr(sqlite_disk.shutil, "disk_usage", lambda _p: type("Usage", (), {"free": 0}))
    create_app(app_config)  # no refusal: the embedded default works on any disk


@pytest.mark.parametrize(("free_mb", "refused"), [(4, True), (5, False), (500, False)])
def test_free_space_needs_the_log_bound_plus_the_margin(tmp_path, monkeypatch, free_mb,
                                                        refused):
    usage = type("Usage", (), {"free": free_mb * 1024 * 1024})
    monkeypatch.setattr(sqlite_disk.shutil, "disk_usage", lambda _p: usage)
    check = lambda: sqlite_disk.check_free_space(tmp_path / "x.sqlite3", MIN_FREE_MB)  # noqa: E731
    if refused:
        with pytest.raises(ConfigError, match="move to PostgreSQL"):
            check()
    else:
        check()
