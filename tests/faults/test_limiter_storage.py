"""The rate limiter's Redis stops and comes back: sign-in keeps working, limits hold per
process meanwhile, ``/healthz`` says so (issue 14, finding 7)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gate import create_app
from tests.conftest import TEST_PASSWORD, BufferedClient, require_system
from tests.security.helpers import post_form

pytestmark = pytest.mark.system


@pytest.fixture
def redis_app(app_config, tmp_path: Path):
    """An app whose limits live in a real redis-server that the test stops: (app, redis)."""
    from tests import servers

    require_system(Path(servers.REDIS_SERVER).exists(), "redis-server")
    with servers.redis(tmp_path) as redis:
        app = create_app({**app_config, "RATELIMIT_STORAGE_URI": redis.url,
                          "LOGIN_LIMIT_PER_IP": "100/minute",
                          "LOGIN_FAILURES_PER_ACCOUNT": "3/15 minutes"})
        app.test_client_class = BufferedClient
        _add_client(app, "alice@example.com")
        yield app, redis


def _add_client(app, email: str) -> None:
    """A client user with TEST_PASSWORD (not ``make_user``: that makes a second app, and the
    limiter extension keeps the storage of the app made last)."""
    from gate.accounts import passwords
    from gate.accounts import services as accounts
    from gate.db import get_session

    with app.app_context():
        db = get_session()
        user = accounts.create_user(db, email, "client",
                                    account=accounts.ensure_account(db, "Acme Ltd", "eft"))
        user.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
        db.commit()


def _sign_in(client, password: str) -> int:
    return post_form(client, "/auth/login", {"email": "alice@example.com",
                                             "password": password}).status_code


@pytest.mark.parametrize(
    ("redis_down", "health", "problem"),
    [(False, 200, None), (True, 503, "limiter_storage: rate-limit storage unreachable")],
)
def test_sign_in_survives_the_limiter_storage(redis_app, caplog, redis_down, health, problem):
    app, redis = redis_app
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    if redis_down:
        redis.process.stop()
    caplog.set_level(logging.INFO)
    assert _sign_in(client, TEST_PASSWORD) == 302  # never a 500
    attacker = app.test_client()
    assert [_sign_in(attacker, "wrong password!") for _ in range(4)] == [200, 200, 200, 429]
    refused = post_form(attacker, "/auth/login", {"email": "alice@example.com",
                                                  "password": "wrong password!"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    answer = client.get("/healthz")
    assert answer.status_code == health
    problems = answer.get_json()["problems"]
    assert (problems == []) if problem is None else any(p.startswith(problem) for p in problems)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("age_minutes", "status"), [(1, 200), (20, 503)])
def test_healthz_names_an_old_mail_queue(app, client, age_minutes, status):
    from datetime import timedelta

    from gate import mail
    from gate.db import get_session
    from gate.models import utcnow

    with app.app_context():
        db = get_session()
        message = mail.queue(db, "someone@example.com", "Hello", "Body")
        message.created_at = utcnow() - timedelta(minutes=age_minutes)
        db.commit()
    answer = client.get("/healthz")
    assert answer.status_code == status
    if status == 503:
        assert answer.get_json()["problems"][0].startswith("mail_queue: the oldest queued mail")
        assert answer.headers["Retry-After"]
