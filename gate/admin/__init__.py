"""The staff pages (``/admin/``): users, grants, accounts, imports, audit, mail, view as.

Staff only: anonymous readers are sent to sign in (JSON requests get 401), everyone else gets
403 in the site's look. The access check runs before the CSRF check, so a refused reader
learns nothing from a form's answer; every POST then needs a valid CSRF token (400).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from gate.accounts import sessions, twofactor
from gate.extensions import csrf

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def staff_only() -> ResponseReturnValue | None:
    """Anonymous: sign in; signed in but not staff: 403; POST: a valid CSRF token."""
    if not current_user.is_authenticated:
        return sessions.unauthorized()
    if not current_user.is_staff:
        abort(403, description="These pages are for staff only.")
    if twofactor.must_enrol(current_user, current_app.config):
        return redirect("/auth/two-factor")
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        csrf.protect()
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    """Staff pages are never cached."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the staff pages and the user commands that share their services."""
    from gate.admin import cli, routes, routes_ops, view_as  # noqa: F401 - register views

    csrf.exempt(bp)  # checked by staff_only, after the access check
    app.register_blueprint(bp)
    cli.init_app(app)
