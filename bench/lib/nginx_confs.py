"""nginx for the benchmark: a plain static server (a), the production config (g), and the
opt-in decision-caching config (h), each under its own prefix on a free loopback port."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path
from typing import Any

import harness


def _nginx_user() -> str:
    """``www-data`` (Debian's nginx user) when it exists, else ``nobody``."""
    try:
        pwd.getpwnam("www-data")
    except KeyError:
        return "nobody"
    return "www-data"


NGINX_USER = _nginx_user()

STATIC_CONF = """\
user {user};
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def start_nginx(nginx: str, name: str, conf_text: str, prefix: Path, port: int,
                ready_path: str = "/") -> harness.Server:
    """Write ``conf_text`` under ``prefix``, check it with ``nginx -t`` and run it."""
    prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(prefix, 0o755)
    conf = prefix / "nginx.conf"
    conf.write_text(conf_text, encoding="utf-8")
    base = [nginx, "-c", str(conf), "-p", f"{prefix}/", "-e", str(prefix / "error.log")]
    test = subprocess.run([*base, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
    if test.returncode != 0:
        raise RuntimeError(f"nginx -t refused {conf}:\n{test.stderr}")
    return harness.start_process(name, [*base, "-g", "daemon off;"], port, prefix,
                                 ready_path=ready_path)


def start_static(nginx: str, work: Path, site_dir: Path) -> harness.Server:
    """(a) nginx serving the built site as static files."""
    port = harness.free_port()
    prefix = work / "nginx-static"
    text = STATIC_CONF.format(prefix=prefix, port=port, site=site_dir, user=NGINX_USER)
    return start_nginx(nginx, "nginx-static", text, prefix, port)


def render_production_conf(gate: harness.Gate, port: int, prefix: Path,
                           template: Path) -> str:
    """``sop-portal nginx-config`` for these ports and folders, from ``template``."""
    upstream = gate.server.port if gate.server else 0
    result = gate.cli(
        "nginx-config", "--listen", f"127.0.0.1:{port}", "--upstream", f"127.0.0.1:{upstream}",
        "--runtime-dir", str(prefix), "--log-dir", str(prefix), "--user", NGINX_USER,
        "--template", str(template), *(["--standalone"] if template.name == "nginx.conf" else []),
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"sop-portal nginx-config failed: {result.stderr.strip()}")
    return result.stdout


def production_scenarios(nginx: str, work: Path, site_dir: Path, gates: dict[str, harness.Gate],
                         running: list[harness.Server], restricted: str,
                         signed: dict[str, str], marker: bytes, scenario: Any) -> list[Any]:
    """(g) and (h): the restricted page through deploy/nginx.conf and the opt-in cache.

    ``gates`` names the gate behind each: (g) one answering with X-Accel-Redirect, (h) one
    sending the page itself (the answer that nginx caches).
    """
    rows = []
    for key, label, template in (
        ("g", "restricted page via production nginx", harness.ROOT / "deploy/nginx.conf"),
        ("h", "restricted page via nginx-authcache (opt-in)",
         harness.ROOT / "deploy/nginx-authcache.conf"),
    ):
        gate = gates[key]
        if not template.exists():
            rows.append(scenario(key, label, "", restricted, signed, marker,
                                 note=f"{template.relative_to(harness.ROOT)} not present"))
            continue
        port = harness.free_port()
        prefix = work / f"nginx-{key}"
        prefix.mkdir()
        text = render_production_conf(gate, port, prefix, template)
        server = start_nginx(nginx, f"nginx-{key}", text, prefix, port, ready_path="/healthz")
        running.append(server)
        rows.append(scenario(key, label, server.base, restricted, signed, marker))
    return rows


def revocation_delay(h: Any, gate: harness.Gate, limit: float = 30.0) -> float | None:
    """Revoke the signed-in demo client, then time until (h) stops answering its page."""
    import time

    client = harness.demo_user(gate, "client")
    browser = harness.Browser(h.base)
    status, _, _ = browser.request(h.path, headers=h.headers)
    if status != 200:
        raise RuntimeError(f"(h) answered {status} before the revocation")
    gate.cli("users", "revoke", client["email"])
    start = time.monotonic()
    while time.monotonic() - start < limit:
        status, _, _ = browser.request(h.path, headers=h.headers)
        if status != 200:
            return time.monotonic() - start
        time.sleep(0.1)
    return None


AUTHCACHE_HEADER = """\
# SOP Portal: OPT-IN nginx configuration with a 5-second cache of the gate's answers
# (template; fill it in with `sop-portal nginx-config --template deploy/nginx-authcache.conf`).
# A whole nginx.conf: deploy/nginx-standalone.conf around deploy/nginx.conf plus the cache.
# Generated from deploy/nginx.conf by `python bench/lib/nginx_confs.py`; do not edit by hand
# (tests/security/test_headers_audit.py checks that it matches).
#
# THE ONE EXCEPTION TO NEXT-REQUEST REVOCATION. The production default (deploy/nginx.conf)
# asks the gate on every request to /members/, so revoking a user, removing a grant, changing a
# password or signing out everywhere takes effect on the very next request. This variant lets
# nginx reuse the gate's answer -- its access decision together with the page or file it
# allowed -- for up to 5 seconds per Cookie header and URL. For those 5 seconds a revoked
# browser can still re-read what it had just opened; nothing it had not opened, and no other
# browser's answer. Only 200 answers are reused: sign-in redirects, 401, 403 and 404 always go
# to the gate, and requests without cookies are never cached. Use it only when restricted
# pages must be served at close to static speed and 5 seconds is acceptable.
#
# Measured by bench/gate_vs_nginx.py as scenario (h), revocation delay included.
"""

_CACHE_ZONE = """\
# The opt-in answer cache: at most 5 s, per Cookie header and URL (see the header).
proxy_cache_path {{RUNTIME_DIR}}/answers levels=1:2 keys_zone=sop_answers:10m
                 max_size=256m inactive=10s use_temp_path=off;

# Requests without any cookie are never cached (anonymous: the gate redirects them).
map $http_cookie $sop_no_cookie {
    ""       1;
    default  0;
}

"""

_CACHE_DIRECTIVES = """\
        # Reuse a 200 answer for the same Cookie header and URL for at most 5 s.
        proxy_cache sop_answers;
        proxy_cache_key "$http_cookie|$request_method|$request_uri";
        proxy_cache_methods GET HEAD;
        proxy_cache_valid 200 5s;
        proxy_cache_valid any 0s;
        proxy_cache_lock on;
        proxy_cache_bypass $sop_no_cookie;
        proxy_no_cache $sop_no_cookie;
        proxy_ignore_headers Cache-Control Expires Vary Set-Cookie;
        add_header X-Answer-Cache $upstream_cache_status always;
"""

GATE_LOCATION = "    location ~ ^/(?:members|auth|api|hooks)(?:/|$)|^/healthz$ {"


def derive_authcache(production: str, wrapper: str | None = None) -> str:
    """deploy/nginx-authcache.conf from deploy/nginx.conf: the same site, plus a /members/
    location (a copy of the gate location) whose 200 answers are cached for 5 s, inside
    deploy/nginx-standalone.conf (the variant runs as an nginx of its own)."""
    if wrapper is None:
        wrapper = (harness.ROOT / "deploy/nginx-standalone.conf").read_text(encoding="utf-8")
    lines = production.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    body = "".join(lines[start:])
    anchor = "# HSTS only over HTTPS."
    if anchor not in body or GATE_LOCATION not in body or "{{SITE_BLOCK}}" not in wrapper:
        raise ValueError("deploy/nginx.conf changed shape: update derive_authcache()")
    body = body.replace(anchor, _CACHE_ZONE + anchor, 1)
    first = body.index(GATE_LOCATION)
    last = body.index("    }\n", first) + len("    }\n")
    gate_block = body[first:last]
    members = gate_block.replace(GATE_LOCATION, "    location ^~ /members/ {")
    members = members.replace("\n    }\n", "\n" + _CACHE_DIRECTIVES + "    }\n")
    site = body[:first] + members + "\n" + body[first:]
    wrapper_body = "".join(line for line in wrapper.splitlines(keepends=True)
                           if not line.startswith("#")).lstrip("\n")
    return AUTHCACHE_HEADER + "\n" + wrapper_body.replace("{{SITE_BLOCK}}", site.strip("\n"), 1)


if __name__ == "__main__":
    production_text = (harness.ROOT / "deploy/nginx.conf").read_text(encoding="utf-8")
    target = harness.ROOT / "deploy/nginx-authcache.conf"
    target.write_text(derive_authcache(production_text), encoding="utf-8")
    print(f"wrote {target}")
