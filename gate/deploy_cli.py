"""``sop-portal nginx-config``: the production nginx configuration, filled in from the config.

The template is ``deploy/nginx.conf``; every ``{{NAME}}`` in it is replaced with a value this
module has checked (no quote, brace, semicolon or line break can reach nginx), and the
Content-Security-Policy carries the inline-script hashes of the current build, exactly as the
gate's own pages do. The tests run nginx with the output of this command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gate.config import resolve_path
from gate.exceptions import GateError
from gate.security import CSP_HASHES_FILE, build_csp, load_script_hashes
from gate.sitebuild import BUILDS_DIR

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# Characters that could end a directive, open a block, start a variable or break a line.
_UNSAFE = re.compile(r"[\s;{}\"'$\\#]")
_HOST_PORT = re.compile(r"^(?:(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):)?(?P<port>\d{1,5})$")
_SERVER_NAME = re.compile(r"^(?:_|[A-Za-z0-9*](?:[A-Za-z0-9.*-]{0,252}))$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}(?: [a-z_][a-z0-9_-]{0,31})?$")


class DeployConfigError(GateError, ValueError):
    """A value cannot go into the nginx configuration; the message says which and why."""


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{NAME}}`` in ``template``; refuse unknown or unused names."""
    wanted = set(_PLACEHOLDER.findall(template))
    missing = sorted(wanted - set(values))
    if missing:
        raise DeployConfigError(f"no value for template placeholder(s): {', '.join(missing)}")
    unused = sorted(set(values) - wanted)
    if unused:
        raise DeployConfigError(f"template has no placeholder(s): {', '.join(unused)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def listen_address(value: str, *, tls: bool) -> str:
    """``PORT`` or ``HOST:PORT`` as an nginx ``listen`` parameter (with ``ssl`` under TLS)."""
    match = _HOST_PORT.match(value.strip())
    if not match or not 1 <= int(match.group("port")) <= 65535:
        raise DeployConfigError(f"--listen {value!r}: expected PORT or HOST:PORT (1-65535)")
    return f"{value.strip()} ssl" if tls else value.strip()


def upstream_address(value: str) -> str:
    """``HOST:PORT`` or ``unix:/path`` of the gate's gunicorn."""
    value = value.strip()
    if value.startswith("unix:/") and not _UNSAFE.search(value):
        return value
    match = _HOST_PORT.match(value)
    if not match or not match.group("host") or not 1 <= int(match.group("port")) <= 65535:
        raise DeployConfigError(f"--upstream {value!r}: expected HOST:PORT or unix:/path")
    return value


def absolute_path(value: str | Path, what: str, *, folder: bool = True) -> str:
    """An absolute path with no character nginx would read as syntax; folders end in ``/``.

    A symbolic link stays a link (``site`` points at the build in place; nginx follows it).
    """
    path = os.path.abspath(value)
    if _UNSAFE.search(path):
        raise DeployConfigError(f"{what} {path!r}: spaces, quotes, ;, $, # or braces in the path")
    return path.rstrip("/") + "/" if folder else path


def server_name(value: str | None, public_base_url: str) -> str:
    """The ``server_name``: the option, else the host of PUBLIC_BASE_URL."""
    name = value or urlsplit(public_base_url).hostname or "_"
    if not _SERVER_NAME.match(name):
        raise DeployConfigError(f"--server-name {name!r}: not a host name")
    return name


def nginx_csp(*site_dirs: Path) -> str:
    """The pages' policy with the builds' script hashes; refuse an unbuilt site."""
    for site_dir in site_dirs:
        if not (site_dir / CSP_HASHES_FILE).is_file():
            raise DeployConfigError(
                f"{site_dir / CSP_HASHES_FILE} not found: build the site first (sop-portal build)"
            )
    policy = build_csp([h for site_dir in site_dirs for h in load_script_hashes(site_dir)])
    if re.search(r"[\"$\\{}\n\r]", policy):
        raise DeployConfigError("the Content-Security-Policy contains characters nginx cannot take")
    return policy


def tls_lines(cert: str | None, key: str | None) -> str:
    """The server block's TLS directives, or a comment when nginx listens on plain HTTP."""
    if not cert and not key:
        return "        # Plain HTTP: use --tls-cert and --tls-key for a public server."
    if not cert or not key:
        raise DeployConfigError("--tls-cert and --tls-key go together")
    cert_path = absolute_path(cert, "--tls-cert", folder=False)
    key_path = absolute_path(key, "--tls-key", folder=False)
    return "\n".join(
        [
            f"        ssl_certificate {cert_path};",
            f"        ssl_certificate_key {key_path};",
            "        ssl_protocols TLSv1.2 TLSv1.3;",
            "        ssl_session_cache shared:sop_tls:10m;",
            "        ssl_session_timeout 1d;",
        ]
    )


def nginx_values(config: Mapping[str, object], *, listen: str, upstreams: Sequence[str],
                 server: str | None, user: str, runtime_dir: str, log_dir: str,
                 mime_types: str, tls_cert: str | None, tls_key: str | None) -> dict[str, str]:
    """Every placeholder's value, checked, from the app config and the command's options."""
    if not upstreams:
        raise DeployConfigError("at least one --upstream is needed")
    if not _USER.match(user):
        raise DeployConfigError(f"--user {user!r}: expected a system user (and group) name")
    site = resolve_path(str(config["SITE_DIR"]))
    members = resolve_path(str(config["MEMBERS_SITE_DIR"]))
    return {
        "USER": user,
        "LISTEN": listen_address(listen, tls=bool(tls_cert)),
        "SERVER_NAME": server_name(server, str(config.get("PUBLIC_BASE_URL") or "")),
        "GATE_SERVERS": "\n".join(
            f"        server {upstream_address(address)};" for address in upstreams
        ),
        "SITE_DIR": absolute_path(site, "SITE_DIR"),
        "MEMBERS_BUILDS_DIR": absolute_path(members.parent / BUILDS_DIR, "MEMBERS_SITE_DIR"),
        "RUNTIME_DIR": absolute_path(runtime_dir, "--runtime-dir").rstrip("/"),
        "LOG_DIR": absolute_path(log_dir, "--log-dir").rstrip("/"),
        "MIME_TYPES": absolute_path(mime_types, "--mime-types", folder=False),
        "CSP": nginx_csp(site, members),
        "TLS": tls_lines(tls_cert, tls_key),
    }


@click.command("nginx-config")
@click.option("--listen", default="80", show_default=True,
              help="PORT or HOST:PORT nginx listens on.")
@click.option("--upstream", "upstreams", multiple=True, default=["127.0.0.1:8000"],
              show_default=True,
              help="HOST:PORT (or unix:/path) of `sop-portal serve`; repeat for each machine.")
@click.option("--server-name", default=None,
              help="Host name (default: the host of PUBLIC_BASE_URL).")
@click.option("--tls-cert", default=None, help="Certificate chain file: nginx listens with TLS.")
@click.option("--tls-key", default=None, help="Private key file for --tls-cert.")
@click.option("--user", default="www-data", show_default=True,
              help="User nginx's workers run as.")
@click.option("--runtime-dir", default="/run/sop-portal-nginx", show_default=True,
              help="Folder for nginx's pid file and temporary files.")
@click.option("--log-dir", default="/var/log/nginx", show_default=True,
              help="Folder for access.log and error.log.")
@click.option("--mime-types", default="/etc/nginx/mime.types", show_default=True,
              help="nginx's mime.types file.")
@click.option("--template", default=str(DEFAULT_TEMPLATE), show_default=True,
              help="The template to fill in.")
@click.option("--output", "-o", default=None, help="Write here instead of standard output.")
@with_appcontext
def nginx_config_command(listen: str, upstreams: tuple[str, ...], server_name: str | None,
                         tls_cert: str | None, tls_key: str | None, user: str,
                         runtime_dir: str, log_dir: str, mime_types: str, template: str,
                         output: str | None) -> None:
    """Write the nginx configuration for this deployment (SITE_DIR, MEMBERS_SITE_DIR, the CSP)."""
    from gate.cli import fail

    try:
        text = Path(template).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read template {template}: {exc}")
    try:
        values = nginx_values(
            current_app.config, listen=listen, upstreams=upstreams, server=server_name,
            user=user, runtime_dir=runtime_dir, log_dir=log_dir, mime_types=mime_types,
            tls_cert=tls_cert, tls_key=tls_key,
        )
        rendered = render(text, values)
    except DeployConfigError as exc:
        fail(str(exc))
    if output is None:
        click.echo(rendered, nl=False)
        return
    try:
        Path(output).write_text(rendered, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc}")
    click.echo(f"wrote {output}", err=True)


def init_app(app: Flask) -> None:
    """Register ``sop-portal nginx-config``."""
    app.cli.add_command(nginx_config_command)
