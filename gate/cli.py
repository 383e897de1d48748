"""The app's commands: a Flask ``FlaskGroup`` plus the portal's own commands.

The ``sop-portal`` console script is the plain click group in :mod:`gate.console`: it answers
the calculator commands without the app and hands every other command to this group.
Commands that belong to one concern live in that concern's module and are registered on
``app.cli`` by ``create_app``; this module holds the group and the commands that run the
whole portal (``serve``, ``build``).
"""

from __future__ import annotations

import os
import subprocess  # nosec B404 - runs mkdocs with a fixed argument list
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from gate import create_app
from gate.config import ConfigError, check_production, resolve_path
from gate.console import fail as fail  # re-exported: the concerns import it from here


def _make_app(*_args: Any, **_kwargs: Any) -> Any:
    try:
        return create_app()
    except ConfigError as exc:
        fail(str(exc))


@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False)
def main() -> None:
    """SOP Portal: public SOP site, members gate and billing calculators."""


build_checks: list = []
"""Callables ``(app) -> list[str]`` run after the MkDocs build; each string is a problem."""


@main.command("build")
@click.option("--no-strict", is_flag=True, help="Let MkDocs warnings pass.")
@with_appcontext
def build_command(no_strict: bool) -> None:
    """Build the public site with MkDocs, then run the content and leak checks."""
    config = current_app.config
    site = resolve_path(config["SITE_DIR"])
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-q",
               "-f", str(resolve_path(config["MKDOCS_CONFIG"])), "-d", str(site)]
    if not no_strict:
        command.append("--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(command, env=env, check=False)  # nosec B603 - fixed argv
    if result.returncode != 0:
        fail(f"mkdocs build failed with status {result.returncode}")
    problems: list[str] = []
    for check in build_checks:
        problems.extend(check(current_app))
    for problem in problems:
        click.echo(f"check failed: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"built {site}")


@main.command("serve")
@click.option("--host", default=None, help="Address to bind (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port (default: PORT or 8000).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="gunicorn worker processes (default: WEB_CONCURRENCY or 2).")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the portal under gunicorn."""
    config = current_app.config
    try:
        check_production(config)
    except ConfigError as exc:
        fail(str(exc))
    host = host or config["HOST"]
    port = port or int(config["PORT"])
    workers = workers or int(config["WEB_CONCURRENCY"])
    click.echo(f"SOP Portal at http://{host}:{port}/ ({workers} gunicorn workers)")
    argv = [sys.executable, "-m", "gunicorn", "--no-control-socket",
            "--workers", str(workers), "--bind", f"{host}:{port}",
            "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1",
            "--logger-class", "gate.accesslog.RedactingLogger",
            "gate.wsgi:app"]
    os.execv(sys.executable, argv)  # nosec B606 - replaces this process with gunicorn
