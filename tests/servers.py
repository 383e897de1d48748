"""Real servers for tests, each on a free loopback port: gunicorn, nginx, PostgreSQL, Redis, SMTP.

Every helper is a context manager that waits for readiness by polling (with a timeout) and
stops what it started on exit, even when the test body failed::

    with gunicorn(env, log_dir=tmp) as gate:
        urllib.request.urlopen(gate.url + "/healthz")

``sop_env()`` builds the environment a server or a CLI run gets: the test's own settings, never
the developer's ``DATABASE_URL`` or ``SECRET_KEY`` leaking in from the shell. ``run_cli()`` runs
the real ``sop-portal`` command with such an environment.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOP_PORTAL = str(BIN / "sop-portal")
NGINX = "/usr/sbin/nginx"
REDIS_SERVER = "/usr/bin/redis-server"
CHROMIUM = "/usr/bin/chromium"
LOOPBACK = "127.0.0.1"


class ServerError(RuntimeError):
    """A server did not start or stop as expected; the message carries its log's tail."""


# --- ports, polling, processes -------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def http_status(url: str, timeout: float = 2.0, host: str | None = None) -> int | None:
    """The status code of a GET on ``url`` (no redirects followed), or None when unreachable.

    ``host`` overrides the Host header (a gate with TRUSTED_HOSTS refuses its address).
    """
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)
    except (OSError, ValueError):
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Process:
    """A server process started by a test, with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def send(self, sig: int) -> None:
        """Send ``sig`` unless the process has already exited."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the process to exit; kill it when it does not in time."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        """Signal the process, wait for it, kill it when it does not exit in time."""
        self.send(sig)
        self.wait(timeout)

    def tail(self) -> str:
        """The end of this process's log."""
        return log_tail(self.log_path)


def wait_until(check: Callable[[], bool], *, timeout: float, what: str,
               process: Process | None = None, interval: float = 0.05) -> None:
    """Poll ``check`` until it returns True; raise ServerError with the log on timeout or exit."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if process is not None and not process.alive():
            raise ServerError(
                f"{what}: {process.name} exited with {process.popen.returncode}\n{process.tail()}"
            )
        if time.monotonic() > deadline:
            tail = process.tail() if process is not None else ""
            raise ServerError(f"{what}: not ready after {timeout:.0f} s\n{tail}")
        time.sleep(interval)


def spawn(name: str, argv: list[str], *, log_path: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None) -> Process:
    """Start ``argv`` in its own process group with stdout and stderr going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603 - argv built by the test helpers
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
        )
    return Process(name, popen, log_path)


# --- the portal's environment and CLI --------------------------------------------------------


def _portal_variables() -> set[str]:
    from gate.config import defaults

    return set(defaults("/nonexistent")) | {"SOP_PORTAL_INSTANCE", "FLASK_APP"}


def sop_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The environment for a portal process: the shell's, minus any portal settings, plus these."""
    portal = _portal_variables()
    env = {name: value for name, value in os.environ.items() if name not in portal}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update({name: str(value) for name, value in settings.items()})
    return env


def run_cli(env: Mapping[str, str], *args: str, check: bool = True,
            timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``sop-portal ARGS`` with ``env`` from the repository root; fail loudly when asked."""
    result = subprocess.run(  # noqa: S603 - fixed executable, test-chosen arguments
        [SOP_PORTAL, *args], env=dict(env), cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"sop-portal {' '.join(args)} exited {result.returncode}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def portal_app(env: Mapping[str, str]) -> Any:
    """The app a ``sop-portal`` process with ``env`` would build, made in this process.

    Every setting comes from ``env`` (never from this process's own environment), so
    ``invoke(app, ...)`` runs a command as ``run_cli(env, ...)`` would, without the second or
    so each new process spends importing the portal. One difference: work a command leaves
    to a background thread finishes here, where a real process may exit before it does.
    """
    from gate import create_app
    from gate.config import defaults, from_environ

    instance = env.get("SOP_PORTAL_INSTANCE") or str(ROOT / "instance")
    settings: dict[str, Any] = {**defaults(instance), **from_environ(env)}
    settings["INSTANCE_PATH"] = instance
    return create_app(settings)


def invoke(app: Any, *args: str) -> str:
    """Run ``sop-portal ARGS`` on ``app`` in this process; its standard output."""
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise AssertionError(
            f"sop-portal {' '.join(args)} exited {result.exit_code}: {result.output}"
            f"{result.exception!r}"
        )
    return str(result.stdout)


def build_site(site_dir: Path, site_url: str) -> Path:
    """Build both sites (``sop-portal build``) for the address they will be served at.

    The public site goes to ``site_dir``, the members site beside it (``members-site``). Only
    the address differs from a developer's build: Material's instant navigation follows only
    links whose host and port match the sitemap's, so a site served on a test's free port
    must be built for that port, as a production site is built for its public address.
    """
    run_cli(sop_env({
        "PUBLIC_BASE_URL": site_url.rstrip("/"),
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
    }), "build")
    return site_dir


# --- gunicorn (sop-portal serve) -------------------------------------------------------------


@dataclass
class Gate:
    """A running ``sop-portal serve`` (gunicorn serving gate.wsgi:app)."""

    url: str
    port: int
    env: dict[str, str]
    process: Process


@contextlib.contextmanager
def gunicorn(env: Mapping[str, str], *, log_dir: Path, workers: int = 2,
             port: int | None = None, timeout: float = 30.0) -> Iterator[Gate]:
    """Run ``sop-portal serve --host 127.0.0.1 --port P --workers N`` until the block ends.

    ``env`` is the complete environment (build it with ``sop_env``). Ready when ``/healthz``
    answers 200 (asked under the first of ``TRUSTED_HOSTS`` when that is set).
    """
    with gunicorns([env], log_dir=log_dir, workers=workers, ports=[port],
                   timeout=timeout) as gates:
        yield gates[0]


@contextlib.contextmanager
def gunicorns(envs: Sequence[Mapping[str, str]], *, log_dir: Path, workers: int = 2,
              ports: Sequence[int | None] | None = None,
              timeout: float = 30.0) -> Iterator[list[Gate]]:
    """Several ``sop-portal serve`` at once ("machines"), started and stopped together."""
    ports = [p or free_port() for p in (ports or [None] * len(envs))]
    processes: list[Process] = []
    try:
        for env, port in zip(envs, ports, strict=True):
            argv = [SOP_PORTAL, "serve", "--host", LOOPBACK, "--port", str(port),
                    "--workers", str(workers)]
            processes.append(spawn(f"gunicorn:{port}", argv, env=env, cwd=ROOT,
                                   log_path=log_dir / f"gunicorn-{port}.log"))
        gates = []
        for env, port, process in zip(envs, ports, processes, strict=True):
            url = f"http://{LOOPBACK}:{port}"
            host = (env.get("TRUSTED_HOSTS") or "").split(",")[0].strip() or None
            wait_until(lambda u=url, h=host: http_status(u + "/healthz", host=h) == 200,
                       timeout=timeout, what="gunicorn", process=process)
            gates.append(Gate(url, port, dict(env), process))
        yield gates
    finally:
        # SIGINT is gunicorn's quick shutdown: tests do not need the graceful 30 s.
        for process in processes:
            process.send(signal.SIGINT)
        for process in processes:
            process.wait()


# --- nginx ------------------------------------------------------------------------------------


@dataclass
class Nginx:
    """A running nginx with a test's configuration."""

    url: str
    port: int
    prefix: Path
    process: Process

    def error_log(self) -> str:
        """nginx's error log so far."""
        return log_tail(self.prefix / "error.log", 200)


@contextlib.contextmanager
def nginx(conf: Path, *, prefix: Path, port: int, scheme: str = "http",
          timeout: float = 15.0) -> Iterator[Nginx]:
    """Run ``nginx -c CONF -p PREFIX -e PREFIX/error.log -g 'daemon off;'`` until the block ends.

    ``conf`` must keep its pid file and temp paths under ``prefix`` (the template's runtime
    folder) and listen on ``port``.
    """
    prefix.mkdir(parents=True, exist_ok=True)
    argv = [NGINX, "-c", str(conf), "-p", f"{prefix}/", "-e", str(prefix / "error.log"),
            "-g", "daemon off;"]
    test = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True, check=False)  # noqa: S603
    if test.returncode != 0:
        raise ServerError(f"nginx -t refused {conf}:\n{test.stderr}")
    process = spawn(f"nginx:{port}", argv, log_path=prefix / "nginx.out", cwd=prefix)
    try:
        wait_until(lambda: port_open(port), timeout=timeout, what="nginx", process=process)
        yield Nginx(f"{scheme}://{LOOPBACK}:{port}", port, prefix, process)
    finally:
        process.stop(signal.SIGQUIT)


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian layout), or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if not found:
        return None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster listening on 127.0.0.1."""

    port: int
    folder: Path
    bindir: Path
    _databases: list[str] = field(default_factory=list)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one of this cluster's databases."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        if not name.replace("_", "").isalnum() or not name[0].isalpha():
            raise ValueError(f"not a plain database name: {name!r}")
        import psycopg

        conninfo = f"host={LOOPBACK} port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.url(name)

    def empty_database(self, name: str) -> None:
        """Truncate every table of a database made by ``create_database`` (fast reuse).

        ``alembic_version`` keeps its row: it records the schema, which stays.
        """
        if name not in self._databases:
            raise ValueError(f"not a database of this cluster's tests: {name!r}")
        import psycopg

        conninfo = f"host={LOOPBACK} port={self.port} user=postgres dbname={name}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'")]
            if tables:
                conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    def drop_database(self, name: str) -> None:
        """Drop a database made by ``create_database``, ending any connection still open."""
        if name not in self._databases:
            raise ValueError(f"not a database of this cluster's tests: {name!r}")
        import psycopg

        conninfo = f"host={LOOPBACK} port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._databases.remove(name)


def _as_postgres(argv: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextlib.contextmanager
def postgres(timeout: float = 30.0) -> Iterator[Postgres]:
    """initdb a cluster in a temporary folder and run it on a free loopback port."""
    bindir = postgres_bindir()
    if bindir is None:
        raise ServerError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    folder = Path(tempfile.mkdtemp(prefix="sop-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    log = folder / "postgres.log"
    try:
        _pg_run(bindir, ["initdb", "-D", str(folder / "data"), "-U", "postgres", "-A", "trust",
                         "-E", "UTF8", "--no-sync"], timeout)
        options = (f"-p {port} -k {folder} -c listen_addresses={LOOPBACK} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _pg_run(bindir, ["pg_ctl", "-D", str(folder / "data"), "-l", str(log), "-w",
                         "-t", str(int(timeout)), "-o", options, "start"], timeout)
        try:
            yield Postgres(port, folder, bindir)
        finally:
            _pg_run(bindir, ["pg_ctl", "-D", str(folder / "data"), "-m", "fast", "-w",
                             "stop"], timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pg_run(bindir: Path, argv: list[str], timeout: float) -> None:
    command = _as_postgres([str(bindir / argv[0]), *argv[1:]])
    result = subprocess.run(  # noqa: S603 - fixed PostgreSQL binaries
        command, capture_output=True, text=True, timeout=timeout + 5, check=False
    )
    if result.returncode != 0:
        raise ServerError(f"{argv[0]} failed ({result.returncode}): {result.stderr}"
                          f"{result.stdout}")


# --- Redis ------------------------------------------------------------------------------------


@dataclass
class Redis:
    """A throwaway redis-server on 127.0.0.1 that keeps nothing on disk."""

    url: str
    port: int
    process: Process


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis(log_dir: Path, timeout: float = 15.0) -> Iterator[Redis]:
    """Run redis-server without persistence on a free loopback port."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="sop-redis-"))
    argv = [REDIS_SERVER, "--bind", LOOPBACK, "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no",
            "--protected-mode", "yes"]
    process = spawn(f"redis:{port}", argv, log_path=log_dir / f"redis-{port}.log")
    try:
        wait_until(lambda: _redis_pings(port), timeout=timeout, what="redis-server",
                   process=process)
        yield Redis(f"redis://{LOOPBACK}:{port}/0", port, process)
    finally:
        process.stop(signal.SIGTERM)
        shutil.rmtree(workdir, ignore_errors=True)


# --- SMTP -------------------------------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://{LOOPBACK}:{self.port}"
        self.messages: list[EmailMessage] = []
        self._changed = threading.Condition()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """aiosmtpd handler hook: store the message."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self._changed.notify_all()
        return "250 Message accepted"

    def start(self) -> None:
        """Start listening (aiosmtpd runs its own event loop in a thread)."""
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=LOOPBACK, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, recipient: str, timeout: float = 15.0, *,
                 after: int = 0) -> EmailMessage:
        """The first message to ``recipient`` among those received after the first ``after``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages[after:]:
                    if recipient.lower() in str(message.get("To", "")).lower():
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {recipient} within {timeout:.0f} s")
                self._changed.wait(remaining)


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP sink for the duration of the block."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def message_text(message: EmailMessage) -> str:
    """The plain-text body of a message (or its HTML when it has no text part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


# --- TLS and a small HTTP client --------------------------------------------------------------


def self_signed_cert(folder: Path, host: str) -> tuple[Path, Path]:
    """A throwaway certificate for ``host`` and 127.0.0.1 (openssl), as (cert, key) files."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    result = subprocess.run(  # noqa: S603 - fixed openssl arguments
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=DNS:{host},IP:{LOOPBACK}",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"openssl could not make a certificate: {result.stderr}")
    return cert, key


@dataclass
class Reply:
    """One HTTP response, read in full."""

    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        """One header's value (None when absent)."""
        return self.headers.get(name)


class HttpClient:
    """A cookie-keeping HTTP(S) client that never follows redirects and sends raw paths.

    ``host`` overrides the Host header (the public name behind a loopback address); with
    ``ssl_context`` the connection is HTTPS; ``headers`` go with every request. Form posts
    send a same-origin Referer and Origin, as a browser does (Flask-WTF checks the Referer over
    HTTPS); ``origin`` sets that origin when the client stands in for a proxy.
    """

    def __init__(self, base_url: str, *, host: str | None = None,
                 ssl_context: Any = None, headers: Mapping[str, str] | None = None,
                 origin: str | None = None) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.address = (parts.hostname or LOOPBACK, parts.port or 80)
        self.host = host or parts.netloc
        self.ssl_context = ssl_context
        self.headers = dict(headers or {})
        self._origin = origin
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        """The origin a browser would see: scheme and public host."""
        return self._origin or f"{self.scheme}://{self.host}"

    def request(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                form: Mapping[str, str] | None = None, timeout: float = 15.0) -> Reply:
        """Send one request and read the whole answer."""
        import http.client
        from urllib.parse import urlencode

        if self.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                *self.address, timeout=timeout, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(*self.address, timeout=timeout)
        sent = {"Host": self.host, "Accept": "text/html", "User-Agent": "sop-portal-tests",
                **self.headers}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = self.origin + path
            sent["Origin"] = self.origin
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            conn.close()
        self._keep_cookies(reply)
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: Mapping[str, str], **kwargs: Any) -> Reply:
        """POST a form to ``path``."""
        return self.request("POST", path, form=form, **kwargs)

    def csrf_token(self, path: str) -> str:
        """The ``csrf_token`` of the form served at ``path``."""
        import re

        reply = self.get(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reply.text)
        if not match:
            raise AssertionError(f"no csrf_token in {path} ({reply.status}): {reply.text[:300]}")
        return match.group(1)

    def sign_in(self, email: str, password: str) -> Reply:
        """Post the real sign-in form."""
        token = self.csrf_token("/auth/login")
        return self.post("/auth/login", {"email": email, "password": password,
                                         "csrf_token": token})

    def _keep_cookies(self, reply: Reply) -> None:
        from http.cookies import SimpleCookie

        for raw in reply.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
