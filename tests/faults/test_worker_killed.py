"""A gunicorn worker killed in the middle of a request: the other workers keep serving."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests import servers

pytestmark = [pytest.mark.system, pytest.mark.slow]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def _socket_inode(local_port: int, remote_port: int) -> str | None:
    """The inode of the server-side socket of our connection, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == remote_port and int(remote.split(":")[1], 16) == (
            local_port
        ):
            return fields[9]
    return None


def _owner_of(inode: str, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        response.read()
        return int(response.status)


@pytest.fixture
def gate_env(tmp_path: Path, site_dir: Path) -> dict[str, str]:
    instance = tmp_path / "instance"
    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'portal.sqlite3'}",
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(servers.ROOT / "restricted"),
        "SECRET_KEY": secrets.token_hex(32),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    })
    servers.run_cli(env, "db", "upgrade")
    return env


def test_a_worker_killed_mid_request_leaves_the_others_serving(gate_env, tmp_path):
    with servers.gunicorn(gate_env, log_dir=tmp_path, workers=2) as gate:
        master = gate.process.popen.pid
        workers = _children(master)
        assert len(workers) == 2
        # Start a request and stop half-way through its headers: one worker now holds it.
        stuck = socket.create_connection((servers.LOOPBACK, gate.port), timeout=10)
        stuck.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        local_port = stuck.getsockname()[1]
        victim = None
        deadline = time.monotonic() + 10
        while victim is None and time.monotonic() < deadline:
            inode = _socket_inode(local_port, gate.port)
            victim = _owner_of(inode, workers) if inode else None
            time.sleep(0.05)
        assert victim in workers, "no worker picked up the half-sent request"

        # Freeze the master so it cannot replace the dead worker yet: whatever answers now
        # is the surviving worker (with a single worker these requests would time out).
        os.kill(master, signal.SIGSTOP)
        try:
            os.kill(victim, signal.SIGKILL)
            # The killed request ends (connection closed or reset), it does not hang.
            try:
                assert stuck.recv(1024) == b""
            except ConnectionResetError:
                pass
            finally:
                stuck.close()
            statuses = [_get(gate.url + path) for path in ("/healthz", "/", "/healthz") * 5]
            assert statuses == [200] * 15
        finally:
            os.kill(master, signal.SIGCONT)

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = _children(master)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        replaced = _children(master)
        assert victim not in replaced and len(replaced) == 2, replaced
        assert [_get(gate.url + "/healthz") for _ in range(10)] == [200] * 10
