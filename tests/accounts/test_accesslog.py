"""gunicorn's access log never shows an emailed token (gate.accesslog)."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from gate.accesslog import RedactingLogger, redact

TOKEN = "eyJqIjoiYWJjIiwidSI6MX0.aBcDeF.Zm9vYmFyYmF6"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /auth/link/{TOKEN} HTTP/1.1", "GET /auth/link/[token] HTTP/1.1"),
        (f"/auth/invite/{TOKEN}?next=/members/", "/auth/invite/[token]?next=/members/"),
        (f"/AUTH/RESET/{TOKEN}", "/AUTH/RESET/[token]"),
        (f"next=%2Fauth%2Flink%2F{TOKEN}&x=1", "next=%2Fauth%2Flink%2F[token]&x=1"),
        ("/auth/link", "/auth/link"),
        ("/auth/login?next=/members/", "/auth/login?next=/members/"),
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_the_access_line_has_no_token(caplog):
    logger = RedactingLogger(Config())
    logger._access_log_enabled = True
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": f"/auth/link/{TOKEN}",
               "PATH_INFO": f"/auth/link/{TOKEN}", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": f"https://portal.example/auth/link/{TOKEN}"}
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"/auth/link/{TOKEN}")])
    logger.access_log.propagate = True
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.access(response, request, environ, datetime.timedelta(seconds=0))
    assert "/auth/link/[token]" in caplog.text
    assert TOKEN not in caplog.text
