"""Shared plumbing for the benchmarks: loopback servers, the gate under gunicorn, sign-in.

Everything here binds to 127.0.0.1 on a free port chosen at run time and is stopped by
process id when the benchmark ends (or fails).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
GUNICORN_WORKERS = 2
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    """Poll ``url`` until it answers any HTTP status; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s: {last}")


@dataclass
class Server:
    """A child process listening on ``port``, stopped by its process id."""

    name: str
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        """Stop the process (TERM, then KILL after 10 s)."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_process(name: str, argv: Sequence[str], port: int, workdir: Path,
                  env: Mapping[str, str] | None = None, cwd: Path | None = None,
                  ready_path: str = "/") -> Server:
    """Start ``argv`` with output in ``workdir/<name>.log`` and wait until ``port`` answers."""
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed argv built by the benchmark
        list(argv), stdout=log, stderr=subprocess.STDOUT, cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
    )
    server = Server(name, process, port, log_path)
    try:
        wait_for_http(f"{server.base}{ready_path}")
    except RuntimeError:
        server.stop()
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{name} did not start; log:\n{tail}") from None
    return server


def gunicorn_argv(app_spec: str, port: int, workers: int = GUNICORN_WORKERS,
                  extra: Sequence[str] = ()) -> list[str]:
    """The gunicorn command line shared by the gate and the baseline (same settings)."""
    return [sys.executable, "-m", "gunicorn", "--no-control-socket", "--worker-class", "sync",
            "--workers", str(workers), "--bind", f"{LOOPBACK}:{port}", "--log-level", "warning",
            *extra, app_spec]


@dataclass
class Gate:
    """A gate instance: its environment, its folder and the gunicorn server."""

    workdir: Path
    env: dict[str, str]
    server: Server | None = None
    users: list[dict] = field(default_factory=list)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``sop-portal ARGS`` against this instance."""
        return subprocess.run(  # noqa: S603 - fixed argv
            [str(BIN / "sop-portal"), *args], cwd=ROOT, env={**os.environ, **self.env},
            capture_output=True, text=True, check=check,
        )


def gate_env(workdir: Path, site_dir: Path, extra: Mapping[str, str] | None = None) -> dict:
    """The environment of a throwaway gate instance under ``workdir``."""
    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        "SOP_PORTAL_ENV": "development",
        "SOP_PORTAL_INSTANCE": str(instance),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "OUTBOX_DIR": str(instance / "outbox"),
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(ROOT / "restricted"),
        "MKDOCS_CONFIG": str(ROOT / "mkdocs.yml"),
        "NO_MKDOCS_2_WARNING": "1",
    }
    env.update(extra or {})
    return env


def prepare_gate(workdir: Path, site_dir: Path, extra_env: Mapping[str, str] | None = None
                 ) -> Gate:
    """Create the database and the demo users of a fresh gate instance."""
    gate = Gate(workdir, gate_env(workdir, site_dir, extra_env))
    gate.cli("db", "upgrade")
    gate.users = json.loads(gate.cli("demo", "--json").stdout)
    return gate


def start_gate(gate: Gate, port: int | None = None, workers: int = GUNICORN_WORKERS,
               extra: Sequence[str] = ()) -> Server:
    """Serve ``gate`` under gunicorn on a free loopback port."""
    port = port or free_port()
    gate.server = start_process(
        "gate", gunicorn_argv("gate.wsgi:app", port, workers, extra), port, gate.workdir,
        env=gate.env, ready_path="/healthz",
    )
    return gate.server


class Browser:
    """A tiny cookie-keeping HTTP client for signing in and checking answers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, dict, bytes]:
        """GET (or POST form ``data``) ``path``; redirects are returned, not followed."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=dict(headers or {}))
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the form at ``path``."""
        status, _, body = self.request(path)
        match = _CSRF.search(body.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"no CSRF token in {path} (status {status})")
        return match.group(1) or match.group(2)

    def sign_in(self, email: str, password: str) -> int:
        """Post the real sign-in form; return the status (302/303 on success)."""
        token = self.csrf_token("/auth/login")
        status, _, _ = self.request(
            "/auth/login", {"email": email, "password": password, "csrf_token": token}
        )
        return status

    def cookie_header(self) -> str:
        """The Cookie header value carrying this client's session."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def demo_user(gate: Gate, role: str) -> dict:
    """The first demo user with ``role`` (``staff`` or ``client``)."""
    for user in gate.users:
        if user.get("role") == role:
            return user
    raise RuntimeError(f"sop-portal demo --json printed no {role} user")


@contextlib.contextmanager
def servers() -> Iterator[list[Server]]:
    """Collect servers started inside the block and stop them all at the end."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in reversed(started):
            server.stop()


def require_tool(name: str) -> str:
    """The path of a system tool, or exit with a one-line message naming its package."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists()
                                  else None)
    if not path:
        sys.exit(f"error: {name} is not installed (make system-deps installs it)")
    return path
