"""Security headers on every response, and the proxy settings that decide who the client is.

The public pages built by Material carry a few inline scripts; the MkDocs hook
``hooks/csp.py`` records their SHA-256 hashes at build time in ``<site>/.csp.json`` so the
Content-Security-Policy can allow exactly those scripts instead of ``'unsafe-inline'``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gate.config import resolve_path

log = logging.getLogger(__name__)

CSP_HASHES_FILE = ".csp.json"


def build_csp(script_hashes: Iterable[str]) -> str:
    """The Content-Security-Policy for every HTML page, allowing the given inline scripts."""
    hashes = " ".join(f"'{h}'" for h in sorted(set(script_hashes)))
    script_src = f"script-src 'self' {hashes}".rstrip()
    return "; ".join(
        [
            "default-src 'self'",
            script_src,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def load_script_hashes(site_dir: Path) -> list[str]:
    """The inline-script hashes recorded by the build, or none when the site is not built."""
    path = site_dir / CSP_HASHES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return []
    return [h for h in data.get("script_hashes", []) if isinstance(h, str)]


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def current_csp() -> str:
    """The policy of every page: the inline scripts of both builds (public and members).

    Gate pages wear either build's frame and member pages are the members build's, so one
    policy allows the scripts Material wrote into either; cached until a build replaces them.
    """
    folders = [resolve_path(current_app.config[name])
               for name in ("SITE_DIR", "MEMBERS_SITE_DIR")]
    stamp = tuple(_stamp(folder / CSP_HASHES_FILE) for folder in folders)
    cache = current_app.extensions.setdefault("sop_csp", {})
    if cache.get("stamp") != stamp or "policy" not in cache:
        cache["stamp"] = stamp
        cache["policy"] = build_csp([h for f in folders for h in load_script_hashes(f)])
    return str(cache["policy"])


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries (CSP on HTML, HSTS under HTTPS)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", current_csp())
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def relative_location(response: Response) -> Response:
    """Never echo the request's Host in a redirect: a Location on this host becomes a path.

    Werkzeug's routing redirects (``/members`` to ``/members/``) are absolute URLs built from
    the Host header; the browser resolves the path against the address it asked anyway.
    """
    location = response.headers.get("Location")
    if not location:
        return response
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() == request.host.lower():
        response.headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query,
                                                   parts.fragment))
    return response


def init_app(app: Flask) -> None:
    """Trust the configured number of proxies and add the security headers.

    Forwarding headers count only through ``TRUSTED_PROXIES``; ``sop-portal serve`` tells
    gunicorn to trust no forwarding header itself (see :func:`gate.cli.gunicorn_argv`).
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Only the client address and scheme come from the proxy; host and path never do.
        # Wrapping ``wsgi_app`` is Flask's documented way to add middleware; mypy sees a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0
        )
    app.after_request(add_security_headers)
    app.after_request(relative_location)
