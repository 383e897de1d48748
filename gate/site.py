"""The built public site (``SITE_DIR``) served at ``/``, with ``/healthz``.

In production nginx serves ``site/`` itself; in the embedded mode the gate does, with the
same types, cache headers and 404 page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    send_file,
)
from flask.typing import ResponseReturnValue

from gate.config import resolve_path
from gate.health import Unhealthy

bp = Blueprint("site", __name__)

# Material's bundles carry a content hash in their names: cache them for a year.
_HASHED_ASSET = re.compile(r"\.[0-9a-f]{8,}\.min\.(?:js|css)$")

HEALTH_CHECKS = "sop_health_checks"
"""``app.extensions`` key of the checks ``/healthz`` runs (see :func:`init_app`)."""


def site_dir() -> Path:
    """The folder the public site was built into."""
    return resolve_path(current_app.config["SITE_DIR"])


def _safe_site_file(path: str) -> Path | None:
    """The file under the site folder that ``path`` names, or None (never outside it)."""
    root = site_dir().resolve()
    parts = PurePosixPath(path).parts
    if any(part in {"..", "."} or part.startswith(".") or "\\" in part for part in parts):
        return None
    if "\x00" in path:
        return None
    candidate = (root / path).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def cache_control(path: str) -> str:
    """The Cache-Control value for a public file."""
    if _HASHED_ASSET.search(path):
        return "public, max-age=31536000, immutable"
    if path.endswith((".html", "/")) or path == "":
        return "no-cache"
    return "public, max-age=3600"


def not_found_page() -> Response:
    """The site's own 404 page (Material's), or a plain one before the site is built."""
    page = site_dir() / "404.html"
    if page.is_file():
        response = send_file(page, mimetype="text/html", max_age=0)
        response.status_code = 404
        response.headers["Cache-Control"] = "no-cache"
        return response
    abort(404)


@bp.get("/healthz")
def healthz() -> Response:
    """Every dependency (database, rate-limit storage, mail queue): 200, else 503 naming each."""
    problems = []
    for check in current_app.extensions[HEALTH_CHECKS]:
        name = getattr(check, "__name__", "check")
        try:
            check()
        except Unhealthy as exc:
            problems.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            problems.append(f"{name}: {type(exc).__name__}")
    body = {"status": "ok" if not problems else "unavailable", "problems": problems}
    response = jsonify(body)
    response.status_code = 200 if not problems else 503
    response.headers["Cache-Control"] = "no-store"
    if problems:
        response.headers["Retry-After"] = "10"
    return response


@bp.get("/", defaults={"path": ""}, provide_automatic_options=False)
@bp.get("/<path:path>", provide_automatic_options=False)
def public_file(path: str) -> ResponseReturnValue:
    """A file of the built site; folders answer with their ``index.html``."""
    target = _safe_site_file(path)
    if target is None:
        return not_found_page()
    if target.name == "index.html" and path and not path.endswith(("/", ".html")):
        # /sops/billing -> /sops/billing/ so the page's relative links resolve.
        query = request.query_string.decode("latin-1")
        return redirect(f"/{path}/" + (f"?{query}" if query else ""), code=308)
    response = send_file(target, conditional=True, max_age=None)
    response.headers.pop("Content-Disposition", None)
    response.headers["Cache-Control"] = cache_control(path)
    return response


def init_app(app: Flask, health_checks: Sequence[Callable[[], None]]) -> None:
    """Serve the public site (last: it catches every other path) and ``/healthz``.

    ``health_checks`` are callables that raise when a dependency is unusable
    (:class:`~gate.health.Unhealthy` names the problem); ``/healthz`` runs them in order.
    """
    app.extensions[HEALTH_CHECKS] = tuple(health_checks)
    app.register_blueprint(bp)
