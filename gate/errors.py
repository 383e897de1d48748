"""Error responses: JSON for API and background requests, HTML pages for people.

One place decides which form a client gets (``wants_json``) and turns every HTTP error,
and every unexpected exception, into a clean answer: never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask.wrappers import Request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from gate.accesslog import redact

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """True for API calls, XHR/fetch requests and clients that prefer JSON over HTML."""
    if request.path.startswith(("/api/", "/hooks/")):
        return True
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    if request.headers.get("Sec-Fetch-Mode") in {"cors", "same-origin"} and (
        request.headers.get("Sec-Fetch-Dest") == "empty"
    ):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and (
        request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The DESIGN.md error shape: ``{"error": {"code", "message", "field"}}``."""
    return {"error": {"code": code, "message": message, "field": field}}


def json_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    """A JSON error response with the shared error shape."""
    response = jsonify(error_body(code, message, field))
    response.status_code = status
    return response


def _code_name(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def handle_http_error(exc: HTTPException) -> Response:
    """Render an HTTP error as JSON or as the gate's error page."""
    status = exc.code or 500
    if wants_json():
        response = json_error(status, _code_name(exc), exc.description or exc.name or "")
    else:
        html = render_template(
            "error.html", status=status, title=exc.name, message=exc.description
        )
        response = Response(html, status=status, mimetype="text/html")
    for name, value in exc.get_headers():
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


def handle_unexpected(exc: Exception) -> Response:
    """Log an unexpected exception and answer 500 without revealing anything."""
    log.exception("unexpected error on %s %s", request.method, redact(request.path))
    return handle_http_error(InternalServerError())


def refuse_undecodable_query() -> None:
    """Answer 400 when the raw query string is not valid UTF-8 (Werkzeug would raise later)."""
    try:
        request.args  # noqa: B018 - parsing is the check
    except UnicodeDecodeError:
        abort(400, description="The query string is not valid UTF-8.")


class PortalRequest(Request):
    """Flask's request, whose JSON reader turns a body nested too deeply into a 400.

    Python's JSON decoder raises ``RecursionError`` (not ``ValueError``) on deep nesting,
    which Flask would let through as a 500 with a traceback.
    """

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any | None:
        """The parsed JSON body; deep nesting is handled like any other malformed JSON."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("The JSON body is nested too deeply.") from None


def init_app(app: Flask) -> None:
    """Register the error handlers (and the request class that reads JSON safely) on ``app``."""
    app.request_class = PortalRequest
    app.before_request(refuse_undecodable_query)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
