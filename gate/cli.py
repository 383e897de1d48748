"""The app's commands: a Flask ``FlaskGroup`` plus the portal's own commands.

The ``sop-portal`` console script is the plain click group in :mod:`gate.console`: it answers
the calculator commands without the app and hands every other command to this group.
Commands that belong to one concern live in that concern's module and are registered on
``app.cli`` by ``create_app``; this module holds the group and the commands that run the
whole portal (``serve``, ``build``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from gate import create_app, sitebuild
from gate.cli_errors import fail
from gate.config import ConfigError, check_production, resolve_path
from gate.ops.nginx import DeployConfigError, write_csp_include


def _make_app(*_args: Any, **_kwargs: Any) -> Any:
    try:
        return create_app()
    except ConfigError as exc:
        fail(str(exc))


def _missing_table(message: str) -> bool:
    """True for SQLite's and PostgreSQL's words for a table that does not exist."""
    return "no such table" in message or ("relation" in message and "does not exist" in message)


class PortalGroup(FlaskGroup):
    """Flask's group, with a database problem said in one line rather than a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            first = (str(exc.orig) or str(exc)).strip().splitlines()[0]
            if _missing_table(first):
                fail("the database has no tables for this release yet: run `sop-portal db "
                     "upgrade` first")
            fail(f"database error: {first}")


@click.group(cls=PortalGroup, create_app=_make_app, add_version_option=False)
def main() -> None:
    """SOP Portal: public SOP site, members gate and billing calculators."""


@main.command("build")
@with_appcontext
def build_command() -> None:
    """Build the public and the members site, check them, then put both in place."""
    config = current_app.config
    targets = sitebuild.Targets(
        public_config=resolve_path(config["MKDOCS_CONFIG"]),
        members_config=resolve_path(config["MEMBERS_MKDOCS_CONFIG"]),
        restricted_dir=resolve_path(config["RESTRICTED_DIR"]),
        site_dir=resolve_path(config["SITE_DIR"]),
        members_dir=resolve_path(config["MEMBERS_SITE_DIR"]),
    )
    try:
        sitebuild.build_sites(targets)
    except sitebuild.BuildError as exc:
        click.echo(f"build failed: {exc}", err=True)
        click.echo("the sites in place were left as they were", err=True)
        raise SystemExit(1) from exc
    click.echo(f"built {targets.site_dir} and {targets.members_dir}")
    try:  # the public pages' policy for nginx (README, "Production deployment")
        write_csp_include(config)
    except (DeployConfigError, OSError) as exc:
        fail(f"cannot write the nginx policy include: {exc}")


@main.command("serve")
@click.option("--host", default=None, help="Address to bind (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port (default: PORT or 8000).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="gunicorn worker processes (default: WEB_CONCURRENCY or 2).")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the portal under gunicorn, with `sop-portal mail worker` beside it."""
    config = current_app.config
    try:
        check_production(config)
    except ConfigError as exc:
        fail(str(exc))
    host = host or config["HOST"]
    port = port or int(config["PORT"])
    threads = 1
    if limits_in_process(config):
        if workers is not None and workers > 1:
            click.echo(f"warning: --workers {workers} runs as threads of one process: the rate "
                       "limits are counted in memory (RATELIMIT_STORAGE_URI=memory://); "
                       "several processes need RATELIMIT_STORAGE_URI=redis://...", err=True)
        # One process keeps the limits exact; threads serve requests side by side.
        threads = THREADS_PER_WORKER * (workers or int(config["WEB_CONCURRENCY"]))
        workers = 1
        shape = f"1 gunicorn process with {threads} threads"
    else:
        workers = workers or int(config["WEB_CONCURRENCY"])
        shape = f"{workers} gunicorn workers"
    click.echo(f"SOP Portal at http://{host}:{port}/ ({shape}, a mail worker)")
    # The worker watches this process id, which stays gunicorn's master after the exec.
    start_detached([sys.executable, "-m", "gate", "mail", "worker", "--parent",
                    str(os.getpid())])
    argv = gunicorn_argv(host, port, workers, threads)
    os.execv(sys.executable, argv)  # nosec B606 - replaces this process with gunicorn


THREADS_PER_WORKER = 4
"""Threads of the single gunicorn process per ``WEB_CONCURRENCY`` when limits are in-process."""


def limits_in_process(config: Any) -> bool:
    """True when the rate limits are counted in this process's memory (``memory://``).

    Several worker processes would then each count their own share: the limits hold exactly
    only in one process, or with a shared storage such as Redis.
    """
    if not config["RATELIMIT_ENABLED"]:
        return False
    return str(config["RATELIMIT_STORAGE_URI"]).startswith("memory")


def start_detached(argv: Sequence[str]) -> None:
    """Start ``argv`` in its own session, not as a child of this process (a double fork).

    gunicorn's master (this process after the exec) then has only its web workers as
    children; the mail worker exits by itself once the master is gone (``--parent``).
    """
    first = os.fork()
    if first == 0:  # the intermediate child: a new session, one more fork, then gone
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(argv[0], list(argv))  # nosec B606 - our own interpreter and module
        finally:
            os._exit(0)
    os.waitpid(first, 0)


def gunicorn_argv(host: str, port: int, workers: int, threads: int = 1) -> list[str]:
    """The gunicorn command line of ``sop-portal serve`` (``threads`` > 1: gthread workers).

    ``--forwarded-allow-ips ''``: gunicorn trusts no ``X-Forwarded-*`` header from any address
    (its default trusts 127.0.0.1); the gate's ProxyFix trusts exactly ``TRUSTED_PROXIES``.
    """
    worker_class = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
    return [sys.executable, "-m", "gunicorn", "--no-control-socket",
            "--workers", str(workers), *worker_class, "--bind", f"{host}:{port}",
            "--access-logfile", "-", "--forwarded-allow-ips", "",
            "--logger-class", "gate.accesslog.RedactingLogger",
            "gate.wsgi:app"]
