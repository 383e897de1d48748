"""The gate as the load test serves it: ``create_app`` with the rate limits raised.

The limits exist to slow down password guessing from one address; a load test sends every
request from 127.0.0.1, so it raises them explicitly (bench/load.py prints this) instead of
turning the limiter off: the limiter still runs on every request, as in production.
"""

from __future__ import annotations

from gate import create_app

RAISED_LIMITS = {
    "LOGIN_LIMIT_PER_IP": "1000000/minute",
    "LOGIN_FAILURES_PER_ACCOUNT": "1000000/minute",
    "LINK_LIMIT_PER_IP": "1000000/minute",
    "LINK_LIMIT_PER_EMAIL": "1000000/minute",
    "TOKEN_LIMIT_PER_IP": "1000000/minute",
}

app = create_app(RAISED_LIMITS)
