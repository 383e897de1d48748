"""The staff pages' blueprint, its access rules and what every staff view shares.

Staff only: anonymous readers are sent to sign in (JSON requests get 401), everyone else gets
403 in the site's look. The access check runs before the CSRF check, so a refused reader
learns nothing from a form's answer; every POST then needs a valid CSRF token (400).
The view modules (:mod:`gate.admin.routes`, :mod:`gate.admin.routes_ops`,
:mod:`gate.admin.view_as`) import :data:`bp`, :func:`page` and :func:`actor` from here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from gate.accounts import sessions, twofactor
from gate.admin import services
from gate.extensions import csrf

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

DONE = {
    "added": "The user was added.", "invited": "The invitation was sent.",
    "saved": "The changes were saved.", "granted": "The audience was granted.",
    "ungranted": "The audience was removed.", "revoked": "The user was revoked: they are "
    "signed out on their next request.", "restored": "The user can sign in again.",
    "deleted": "The user was deleted: their personal data is erased.",
    "reset": "A link to choose a new password was sent.", "ended": "The session was ended.",
    "two-factor-off": "Two-factor sign-in is off for this user.",
    "unchanged": "Nothing changed.", "retried": "The messages were queued again.",
}
"""The line shown on top of a page after a change (``?done=KEY``)."""


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


def page(template: str, status: int = 200, **context: Any) -> Response:
    """An admin page in the site's frame."""
    done = DONE.get(request.args.get("done", ""), "")
    html = render_template(template, done=done, **context)
    return Response(html, status=status, mimetype="text/html")


def actor() -> services.Actor:
    """The signed-in staff member (a read-only ``CurrentUser``)."""
    staff: services.Actor = current_user._get_current_object()
    return staff
