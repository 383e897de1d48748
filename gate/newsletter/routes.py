"""The FluentCRM webhook: ``POST /hooks/fluentcrm`` applies one contact (thin view)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from gate import audit
from gate.db import get_session
from gate.errors import json_error
from gate.extensions import csrf, limiter
from gate.newsletter.api_client import ApiError
from gate.newsletter.fields import FieldError
from gate.newsletter.sections import current_map
from gate.newsletter.services import apply_webhook
from gate.newsletter.webhook import secret_matches, webhook_update

bp = Blueprint("fluentcrm", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # FluentCRM signs its calls with the shared secret, not a form token


def _body() -> dict[str, Any]:
    """The request's fields (a JSON object or a form); FieldError on anything else."""
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the JSON decoder goes
            data = None
        if not isinstance(data, dict):
            raise FieldError("body", "must be a JSON object")
        return data
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return {key: request.form.get(key) for key in request.form}
    raise FieldError("body", "send a JSON object or a form (application/json or "
                             "application/x-www-form-urlencoded)")


def _webhook_limit() -> str:
    return str(current_app.config["FLUENTCRM_WEBHOOK_RATE_LIMIT"])


@bp.get("/fluentcrm")
def webhook_wrong_method() -> Response:
    """GET (which the Outgoing Webhook action offers) cannot carry a contact: 405."""
    response = json_error(405, "method_not_allowed",
                          "Use POST: set the Outgoing Webhook's Data Send Method to POST.")
    response.headers["Allow"] = "POST"
    return response


@bp.post("/fluentcrm")
@limiter.limit(_webhook_limit)
def webhook() -> Response | tuple[Response, int]:
    """Apply one contact; answers ``{email, status, sections, changed}``."""
    secret = str(current_app.config.get("FLUENTCRM_WEBHOOK_SECRET") or "")
    if not secret:
        return json_error(404, "not_configured",
                          "The FluentCRM webhook is not configured on this server.")
    given = request.headers.get("X-Webhook-Secret", "")
    if not given or not secret_matches(given, secret):
        audit.record("webhook.fluentcrm", outcome="denied",
                     detail="missing secret" if not given else "wrong secret")
        return json_error(401, "unauthorized", "The X-Webhook-Secret header is missing or wrong.")
    newsletter_map = current_map()
    try:
        update = webhook_update(newsletter_map, _body())
        outcome = apply_webhook(get_session(), update, newsletter_map, current_app.config)
    except FieldError as exc:
        return json_error(exc.status_code, exc.code, f"{exc.field}: {exc.message}", exc.field)
    except ApiError as exc:
        return json_error(502, "crm_unavailable", f"{exc}; nothing was changed")
    return jsonify(
        email=outcome.email,
        status=outcome.status,
        sections=list(outcome.sections),
        changed=outcome.changed,
    )

