"""Helpers every ``/auth`` page shares: rate-limit keys, the email field, page rendering.

Flask-Limiter calls the key functions before a view runs, so they read the posted email
themselves (from a form or a flat JSON object).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_limiter.util import get_remote_address

from gate.accounts import services as accounts
from gate.accounts.forms import ButtonForm
from gate.accounts.services import AccountError


def config_limit(key: str) -> Callable[[], str]:
    """A limit read from the configuration when the request comes (tests lower them)."""
    return lambda: str(current_app.config[key])


def posted_field(name: str) -> str:
    """A posted field from the form or the JSON object (the bodies the forms accept)."""
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get(name) if isinstance(data, dict) else None
        return value if isinstance(value, str) else ""
    return request.form.get(name, "")


def form_email_key(prefix: str) -> Callable[[], str]:
    """The key of a per-(email, client address) limit: the owner elsewhere is never stopped.

    Addresses that do not parse share one bucket per client address, so a limit is never
    skipped.
    """
    def key() -> str:
        try:
            email = accounts.normalise_email(posted_field("email"))
        except AccountError:
            email = "(not an email)"
        return f"{prefix}:{email}|{get_remote_address()}"

    return key


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """A gate page (HTML) from ``template``; a sign-out button form is always at hand."""
    context.setdefault("button_form", ButtonForm())
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def email_or_none(form: Any) -> str | None:
    """The form's email, normalised; None with the reason added to the field's errors."""
    try:
        return accounts.normalise_email(form.email.data or "")
    except AccountError as exc:
        form.email.errors = [*form.email.errors, str(exc)]
        return None


JSON_FIELD_TYPES = (str, bool)
"""What a value in a JSON body may be: the forms' fields are strings (``remember`` a bool)."""


def refuse_malformed_json() -> None:
    """A JSON body must be one flat object of strings: anything else is a 400, never a 500."""
    if request.method != "POST" or not request.is_json:
        return
    data = request.get_json(silent=True)  # None when broken or nested too deeply
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, JSON_FIELD_TYPES)
        for key, value in data.items()
    ):
        abort(400, description="Send the form's fields as one JSON object of strings.")
