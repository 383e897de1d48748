"""The calculators API: ``/api/v1`` (GET only, query parameters, JSON answers).

Views stay thin: check the query string, hand the parameters to :mod:`calculators.requests`,
return the engine's result as JSON. Every bad input is a 400 with the DESIGN.md error shape
naming the parameter; an over-long query string is a 414.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from calculators.errors import CalculatorError, SettingsError
from calculators.requests import (
    DUE_DATE_FIELDS,
    PRORATE_CHANGE_FIELDS,
    PRORATE_FIELDS,
    account_types_body,
    run_due_date,
    run_prorate,
    run_prorate_change,
)
from calculators.settings import CalculatorSettings
from gate.api import cli
from gate.api.openapi import openapi_document
from gate.api.services import EXTENSION, api_json, calculator_settings, settings_from_config
from gate.errors import json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_SHOWN_NAME = 40


class QueryProblem(Exception):
    """The query string itself is unacceptable (unknown, repeated or too long)."""

    def __init__(self, status: int, code: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _shown(name: str) -> str:
    return repr(name if len(name) <= _SHOWN_NAME else name[: _SHOWN_NAME - 3] + "...")


def query_params(allowed: Collection[str]) -> dict[str, str]:
    """The query parameters as a plain dict, refusing unknown and repeated ones."""
    try:
        args = request.args
    except UnicodeDecodeError:  # raw (not percent-encoded) bytes that are not UTF-8
        raise QueryProblem(400, "invalid_query", "the query string is not valid UTF-8",
                           None) from None
    for name in args:
        if name not in allowed:
            expected = ", ".join(allowed) if allowed else "no parameters"
            raise QueryProblem(400, "unknown_parameter",
                               f"unknown parameter {_shown(name)}: expected {expected}", name)
        if len(args.getlist(name)) > 1:
            raise QueryProblem(400, "repeated_parameter",
                               f"parameter {_shown(name)} is given more than once", name)
    return {name: args[name] for name in args}


def _settings() -> CalculatorSettings:
    return calculator_settings(current_app)


@bp.before_request
def _check_query_length() -> Response | None:
    limit = int(current_app.config.get("MAX_QUERY_STRING") or 2048)
    if len(request.query_string) > limit:
        return json_error(414, "query_too_long",
                          f"the query string is longer than {limit} bytes", None)
    return None


def _answer(allowed: Collection[str], compute: Callable[[dict[str, str]], dict[str, Any]]
            ) -> Response:
    """Run ``compute`` on the checked parameters; map every input problem to a 400."""
    try:
        body = compute(query_params(allowed))
    except QueryProblem as exc:
        return json_error(exc.status, exc.code, exc.message, exc.field)
    except SettingsError as exc:
        current_app.logger.error("calculator settings problem: %s", exc.message)
        return json_error(503, "calculator_unavailable",
                          "the calculator is misconfigured; try again later", None)
    except CalculatorError as exc:
        return json_error(400, exc.code, exc.message, exc.field)
    response = Response(api_json(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/prorate/go-live")
def prorate_go_live() -> Response:
    """Go-live proration: ``monthly_fee``, ``go_live``, optional ``method``."""
    return _answer(PRORATE_FIELDS,
                   lambda params: run_prorate(params, _settings()).as_dict())


@bp.get("/prorate/change")
def prorate_change() -> Response:
    """A fee change or cancellation mid-month: ``old_fee``, ``new_fee``, ``change_date``."""
    return _answer(PRORATE_CHANGE_FIELDS,
                   lambda params: run_prorate_change(params, _settings()).as_dict())


@bp.get("/due-date")
def due_date() -> Response:
    """Billing run or close, invoice date and due date for a sign-off or an invoice date."""
    return _answer(DUE_DATE_FIELDS,
                   lambda params: run_due_date(params, _settings()).as_dict())


@bp.get("/account-types")
def account_types() -> Response:
    """The account types file, as the API understands it."""
    return _answer((), lambda _params: account_types_body(_settings()))


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API."""
    settings = _settings()
    return _answer((), lambda _params: openapi_document(
        list(settings.account_types()), settings.currency.code))


@bp.get("/", defaults={"rest": ""})
@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Any other path under /api/v1 is a JSON 404 (not the public site's HTML page)."""
    return json_error(404, "not_found", "no such API endpoint: see /api/v1/openapi.json", None)


def init_app(app: Flask) -> None:
    """Check the calculator settings, register the API blueprint and the CLI commands."""
    app.extensions[EXTENSION] = settings_from_config(app.config)
    app.register_blueprint(bp)
    cli.init_app(app)
