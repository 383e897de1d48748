"""A gunicorn logger that keeps emailed tokens out of the access log.

Invitation, reset and sign-in links carry their token in the path (``/auth/link/<token>``),
and gunicorn's access log prints the request line. Serve with
``--logger-class gate.accesslog.RedactingLogger`` and every atom of the access line has such
tokens replaced by ``[token]``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

_TOKEN_PATH = re.compile(r"(/auth/(?:link|invite|reset)/)[^/?#\s\"]+", re.I)
_ENCODED_TOKEN_PATH = re.compile(r"(%2Fauth%2F(?:link|invite|reset)%2F)[^%&\s\"]+", re.I)


def redact(text: str) -> str:
    """``text`` with the token of every ``/auth/{link,invite,reset}/<token>`` replaced."""
    return _ENCODED_TOKEN_PATH.sub(r"\1[token]", _TOKEN_PATH.sub(r"\1[token]", text))


class RedactingLogger(Logger):
    """gunicorn's logger with tokens redacted from every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: timedelta) -> dict[str, Any]:
        """The usual atoms, string values redacted."""
        found = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}
