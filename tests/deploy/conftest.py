"""The production shape, for real: nginx in front, gunicorn gates behind, PostgreSQL and Redis.

``production`` is the deployment the README describes, run on loopback: the site built with
``sop-portal build``, the schema made with ``sop-portal db upgrade``, two ``sop-portal serve``
instances (two "machines") sharing one PostgreSQL database and one Redis rate-limit store, and
nginx configured by ``sop-portal nginx-config`` with TLS (a throwaway certificate) in front.
Everything runs with ``SOP_PORTAL_ENV=production``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.conftest import require_system

PUBLIC_HOST = "portal.example.test"
PUBLIC_BASE_URL = f"https://{PUBLIC_HOST}"
INVITE = re.compile(r"https://[^/\s]+(/auth/invite/\S+)")
LINK = re.compile(r"https://[^/\s]+(/auth/link/\S+)")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Redis]:
    """A throwaway redis-server for the session."""
    require_system(Path(servers.REDIS_SERVER).exists(), "redis-server")
    with servers.redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def gate_settings(folder: Path, *, database_url: str, site_dir: Path,
                  extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one gate "machine": its own instance folder, shared everything else."""
    return servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(folder / "instance"),
        "DATABASE_URL": database_url,
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(servers.ROOT / "restricted"),
        "OUTBOX_DIR": str(folder / "outbox"),
        **(extra or {}),
    })


@dataclass
class Production:
    """The running production stack."""

    url: str
    env: dict[str, str]
    gates: list[servers.Gate]
    web: servers.Nginx
    smtp: servers.SmtpSink
    site_dir: Path
    ssl_context: ssl.SSLContext
    admin: Any  # the app an administrator's `sop-portal` builds from `env`
    nginx_conf: Path  # what `sop-portal nginx-config --standalone` wrote

    def client(self) -> servers.HttpClient:
        """A fresh HTTPS client talking to nginx under the public host name."""
        return servers.HttpClient(self.url, host=PUBLIC_HOST, ssl_context=self.ssl_context)

    def gate_client(self, index: int, cookies: Mapping[str, str] | None = None
                    ) -> servers.HttpClient:
        """A client talking to one gate directly, with the headers nginx would add."""
        client = servers.HttpClient(
            self.gates[index].url, host=PUBLIC_HOST,
            headers={"X-Forwarded-For": servers.LOOPBACK, "X-Forwarded-Proto": "https"},
            origin=PUBLIC_BASE_URL,
        )
        client.cookies.update(cookies or {})
        return client

    def cli(self, *args: str) -> str:
        """``sop-portal ARGS`` on the production database (in this process); its output."""
        return servers.invoke(self.admin, *args)

    def invite(self, email: str, role: str = "client", *extra: str,
               password: str | None = None) -> tuple[servers.HttpClient, str]:
        """Add a user, invite them, and accept the emailed invitation through nginx.

        Returns the signed-in client and the password chosen.
        """
        self.cli("users", "add", email, "--role", role, *extra)
        seen = len(self.smtp.messages)
        self.cli("users", "invite", email)
        message = self.smtp.wait_for(email, after=seen)
        match = INVITE.search(servers.message_text(message))
        assert match, servers.message_text(message)
        path = match.group(1)
        password = password or secrets.token_urlsafe(18)
        browser = self.client()
        token = browser.csrf_token(path)
        reply = browser.post(path, {"csrf_token": token, "password": password,
                                    "confirm": password})
        assert reply.status in (302, 303), (reply.status, reply.text[:500])
        return browser, password


@contextlib.contextmanager
def production_stack(folder: Path, pg_cluster: servers.Postgres, redis_url: str,
                     smtp: servers.SmtpSink, *, workers: int = 2,
                     extra: Mapping[str, str] | None = None) -> Iterator[Production]:
    """Build, migrate and start nginx (TLS) -> two gates -> PostgreSQL, Redis and ``smtp``.

    The content comes from a copy of ``restricted/`` in ``folder`` (a test may add a page and
    rebuild); the sequence is the README's "Production deployment".
    """
    require_system(Path(servers.NGINX).exists(), "nginx")
    require_system(shutil.which("openssl") is not None, "openssl")
    restricted = folder / "restricted"
    shutil.copytree(servers.ROOT / "restricted", restricted, symlinks=True)
    shared = {
        "SOP_PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SMTP_URL": smtp.url,
        "RATELIMIT_STORAGE_URI": redis_url.rsplit("/", 1)[0] + "/1",
        "TRUSTED_PROXIES": "1",
        "TRUSTED_HOSTS": PUBLIC_HOST,
        "USE_X_ACCEL_REDIRECT": "true",
        "RESTRICTED_DIR": str(restricted),
        **(extra or {}),
    }
    url = pg_cluster.create_database(folder.name.replace("-", "_").strip("_0123456789")
                                     + secrets.token_hex(3))
    site = folder / "site"
    env = gate_settings(folder / "admin", database_url=url, site_dir=site, extra=shared)
    servers.run_cli(env, "build")
    servers.run_cli(env, "db", "upgrade")
    cert, key = servers.self_signed_cert(folder / "tls", PUBLIC_HOST)
    context = ssl.create_default_context(cafile=str(cert))
    machines = [gate_settings(folder / f"gate-{n}", database_url=url, site_dir=site, extra=shared)
                for n in (1, 2)]
    with servers.gunicorns(machines, log_dir=folder, workers=workers) as (first, second):
        port = servers.free_port()
        runtime = folder / "nginx"
        conf = folder / "nginx.conf"
        servers.run_cli(
            env, "nginx-config", "--listen", f"{servers.LOOPBACK}:{port}",
            "--upstream", f"{servers.LOOPBACK}:{first.port}",
            "--upstream", f"{servers.LOOPBACK}:{second.port}",
            "--tls-cert", str(cert), "--tls-key", str(key),
            "--user", current_user(), "--runtime-dir", str(runtime), "--log-dir", str(runtime),
            "--standalone", "--output", str(conf),
        )
        admin = servers.portal_app(env)
        try:
            with servers.nginx(conf, prefix=runtime, port=port, scheme="https") as web:
                yield Production(web.url, env, [first, second], web, smtp, site, context,
                                 admin, conf)
        finally:
            from gate.db import database

            database(admin).engine.dispose()


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory, pg_cluster: servers.Postgres,
               redis_server: servers.Redis,
               smtp_server: servers.SmtpSink) -> Iterator[Production]:
    """nginx (TLS) -> two gunicorn gates -> one PostgreSQL database and one Redis store.

    Shared by the whole session: tests make their own users (``invite``) and never reuse
    another test's.
    """
    with production_stack(tmp_path_factory.mktemp("production"), pg_cluster, redis_server.url,
                          smtp_server) as stack:
        yield stack


def current_user() -> str:
    """The user nginx's workers run as in tests: ours (the test folders are private)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def audit_events(run: Callable[..., str]) -> list[dict[str, Any]]:
    """The audit trail as printed by ``sop-portal audit --format json``."""
    return list(json.loads(run("audit", "--format", "json")))
