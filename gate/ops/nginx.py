"""``sop-portal nginx-config``: the production nginx site, filled in from the config.

The template is ``deploy/nginx.conf``, a file for nginx's ``conf.d/`` (http-level maps, the
upstream and the server block); ``--standalone`` wraps it in ``deploy/nginx-standalone.conf``
for an nginx of its own (the tests and the benchmark). Every ``{{NAME}}`` is replaced with a
value this module has checked (no quote, brace, semicolon or line break can reach nginx).

What changes with each content build is not in that file: the public pages' policy (the
build's inline-script hashes) lives in a small include that :func:`write_csp_include` writes
after every ``sop-portal build``, so the site file never needs regenerating.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gate.cli_errors import fail
from gate.config import resolve_path
from gate.exceptions import GateError
from gate.security import CSP_HASHES_FILE, build_csp, load_script_hashes
from gate.sitebuild import BUILDS_DIR

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
DEFAULT_TEMPLATE = DEPLOY_DIR / "nginx.conf"
STANDALONE_TEMPLATE = DEPLOY_DIR / "nginx-standalone.conf"
CSP_INCLUDE_NAME = ".sop-nginx-csp.conf"
"""The include with the public pages' policy, beside ``SITE_DIR`` (never inside it)."""
SITE_BLOCK = "{{SITE_BLOCK}}"
UPSTREAM_OPTIONS = "max_fails=3 fail_timeout=5s"
"""A gate leaves nginx's rotation after 3 failures within 5 s, not after one (finding 10)."""
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# Characters that could end a directive, open a block, start a variable or break a line.
_UNSAFE = re.compile(r"[\s;{}\"'$\\#]")
_HOST_PORT = re.compile(r"^(?:(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):)?(?P<port>\d{1,5})$")
_SERVER_NAME = re.compile(r"^(?:_|[A-Za-z0-9*](?:[A-Za-z0-9.*-]{0,252}))$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}(?: [a-z_][a-z0-9_-]{0,31})?$")


class DeployConfigError(GateError, ValueError):
    """A value cannot go into the nginx configuration; the message says which and why."""


def wanted(template: str) -> set[str]:
    """The placeholder names a template uses."""
    return set(_PLACEHOLDER.findall(template))


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{NAME}}`` in ``template``; refuse unknown or unused names."""
    names = wanted(template)
    missing = sorted(names - set(values))
    if missing:
        raise DeployConfigError(f"no value for template placeholder(s): {', '.join(missing)}")
    unused = sorted(set(values) - names)
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
    """The pages' policy with the builds' script hashes (as the gate sends it); refuse an
    unbuilt site."""
    for site_dir in site_dirs:
        if not (site_dir / CSP_HASHES_FILE).is_file():
            raise DeployConfigError(
                f"{site_dir / CSP_HASHES_FILE} not found: build the site first (sop-portal build)"
            )
    policy = build_csp([h for site_dir in site_dirs for h in load_script_hashes(site_dir)])
    if re.search(r"[\"$\\{}\n\r]", policy):
        raise DeployConfigError("the Content-Security-Policy contains characters nginx cannot take")
    return policy


def csp_include_path(config: Mapping[str, object]) -> Path:
    """Where the build writes the public pages' policy for nginx: beside ``SITE_DIR``."""
    return resolve_path(str(config["SITE_DIR"])).parent / CSP_INCLUDE_NAME


def csp_include_text(policy: str) -> str:
    """The include: one map that gives every request the current build's policy."""
    return (
        "# Written by `sop-portal build` (gate/ops/nginx.py); do not edit. nginx reads it\n"
        "# when it starts or reloads: the public pages' Content-Security-Policy.\n"
        "map $host $sop_build_csp {\n"
        f'    default "{policy}";\n'
        "}\n"
    )


def write_csp_include(config: Mapping[str, object]) -> Path:
    """Write the policy of the builds in place to :func:`csp_include_path`, atomically.

    Unchanged text is not rewritten, so a build that adds no inline script does not make
    the reload path unit reload nginx.
    """
    site = resolve_path(str(config["SITE_DIR"]))
    members = resolve_path(str(config["MEMBERS_SITE_DIR"]))
    text = csp_include_text(nginx_csp(site, members))
    target = csp_include_path(config)
    absolute_path(target, "SITE_DIR", folder=False)
    try:
        if target.read_text(encoding="utf-8") == text:
            return target
    except OSError:
        pass
    scratch = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.chmod(scratch, 0o644)
    os.replace(scratch, target)
    return target


def tls_lines(cert: str | None, key: str | None) -> str:
    """The server block's TLS directives, or a comment when nginx listens on plain HTTP."""
    if not cert and not key:
        return "    # Plain HTTP: use --tls-cert and --tls-key for a public server."
    if not cert or not key:
        raise DeployConfigError("--tls-cert and --tls-key go together")
    cert_path = absolute_path(cert, "--tls-cert", folder=False)
    key_path = absolute_path(key, "--tls-key", folder=False)
    return "\n".join(
        [
            f"    ssl_certificate {cert_path};",
            f"    ssl_certificate_key {key_path};",
            "    ssl_protocols TLSv1.2 TLSv1.3;",
            "    ssl_session_cache shared:sop_tls:10m;",
            "    ssl_session_timeout 1d;",
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
            f"    server {upstream_address(address)} {UPSTREAM_OPTIONS};" for address in upstreams
        ),
        "SITE_DIR": absolute_path(site, "SITE_DIR"),
        "MEMBERS_BUILDS_DIR": absolute_path(members.parent / BUILDS_DIR, "MEMBERS_SITE_DIR"),
        "RUNTIME_DIR": absolute_path(runtime_dir, "--runtime-dir").rstrip("/"),
        "LOG_DIR": absolute_path(log_dir, "--log-dir").rstrip("/"),
        "MIME_TYPES": absolute_path(mime_types, "--mime-types", folder=False),
        "CSP_INCLUDE": absolute_path(csp_include_path(config), "SITE_DIR", folder=False),
        "TLS": tls_lines(tls_cert, tls_key),
    }


def read_template(path: str | Path) -> str:
    """A template's text; a clear error when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployConfigError(f"cannot read template {path}: {exc}") from exc


def wrap_standalone(site_template: str, wrapper: str) -> str:
    """The site template inside a whole ``nginx.conf`` (``SITE_BLOCK`` in ``wrapper``)."""
    if SITE_BLOCK not in wrapper:
        raise DeployConfigError(f"the standalone template has no {SITE_BLOCK}")
    return wrapper.replace(SITE_BLOCK, site_template.rstrip("\n"), 1)


def render_config(config: Mapping[str, object], template: str, **options: Any) -> str:
    """The filled-in template; the build's policy include is written (or checked) on the way.

    Only the values the template uses are computed into it, so one set of options serves
    the site file, the standalone file and the opt-in cache variant.
    """
    write_csp_include(config)  # refuses an unbuilt site
    values = nginx_values(config, **options)
    return render(template, {name: values[name] for name in wanted(template) if name in values})


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
@click.option("--log-dir", default="/var/log/nginx", show_default=True,
              help="Folder for sop-portal.access.log and sop-portal.error.log.")
@click.option("--standalone", is_flag=True,
              help="A whole nginx.conf for an nginx of its own (tests, trying it out).")
@click.option("--user", default="www-data", show_default=True,
              help="With --standalone: the user nginx's workers run as.")
@click.option("--runtime-dir", default="/run/sop-portal-nginx", show_default=True,
              help="With --standalone: folder for nginx's pid file and temporary files.")
@click.option("--mime-types", default="/etc/nginx/mime.types", show_default=True,
              help="With --standalone: nginx's mime.types file.")
@click.option("--template", default=str(DEFAULT_TEMPLATE), show_default=True,
              help="The template to fill in.")
@click.option("--output", "-o", default=None, help="Write here instead of standard output.")
@with_appcontext
def nginx_config_command(listen: str, upstreams: tuple[str, ...], server_name: str | None,
                         tls_cert: str | None, tls_key: str | None, log_dir: str,
                         standalone: bool, user: str, runtime_dir: str, mime_types: str,
                         template: str, output: str | None) -> None:
    """Write the nginx site for this deployment (an include for nginx's conf.d/)."""
    try:
        text = read_template(template)
        if standalone:
            text = wrap_standalone(text, read_template(STANDALONE_TEMPLATE))
        rendered = render_config(
            current_app.config, text, listen=listen, upstreams=upstreams, server=server_name,
            user=user, runtime_dir=runtime_dir, log_dir=log_dir, mime_types=mime_types,
            tls_cert=tls_cert, tls_key=tls_key,
        )
    except (DeployConfigError, OSError) as exc:
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
