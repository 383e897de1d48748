"""Single use under concurrency: 10 simultaneous redemptions of one token, exactly one wins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gate.accounts import tokens
from gate.db import get_session
from gate.models import LoginSession, TokenRecord, User, utcnow
from tests.accounts.conftest import post_form, signed_in_email
from tests.conftest import form_csrf_token

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

RACERS = 10


def _race(app, path: str, data: dict) -> list[tuple[object, int]]:
    """POST ``data`` (plus each client's CSRF token) to ``path`` from RACERS clients at once."""
    clients = [app.test_client() for _ in range(RACERS)]
    prepared = [(c, {**data, "csrf_token": form_csrf_token(c, path)}) for c in clients]
    barrier = threading.Barrier(RACERS)
    results: list[tuple[object, int]] = [None] * RACERS  # type: ignore[list-item]

    def run(index: int) -> None:
        c, form = prepared[index]
        barrier.wait()
        results[index] = (c, c.post(path, data=form).status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_ten_concurrent_link_redemptions_give_one_session(app, subscriber, outbox):
    app.config["TOKEN_LIMIT_PER_IP"] = "1000/minute"
    post_form(app.test_client(), "/auth/link", {"email": "sub@example.com"})
    token = outbox.last_token("sub@example.com", "link")
    results = _race(app, f"/auth/link/{token}", {})
    statuses = sorted(status for _, status in results)
    assert statuses == [302] + [400] * (RACERS - 1)
    winners = [c for c, status in results if status == 302]
    assert signed_in_email(app, winners[0]) == "sub@example.com"
    losers = [c for c, status in results if status != 302]
    assert all(signed_in_email(app, c) is None for c in losers)
    with app.app_context():
        db = get_session()
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 1
        assert db.scalar(select(TokenRecord.used_at)) is not None


def test_ten_concurrent_invite_redemptions_set_one_password(app, make_user, runner, outbox):
    app.config["TOKEN_LIMIT_PER_IP"] = "1000/minute"
    make_user("new@example.com", "client")
    assert runner.invoke(args=["users", "invite", "new@example.com"]).exit_code == 0
    token = outbox.last_token("new@example.com", "invite")
    password = "one winner takes it all 1"
    results = _race(app, f"/auth/invite/{token}", {"password": password, "confirm": password})
    assert sorted(status for _, status in results) == [302] + [400] * (RACERS - 1)
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(LoginSession)) == 1


@pytest.mark.parametrize("racers", [2, RACERS])
def test_consume_is_atomic(app, make_user, racers):
    user = make_user("x@example.com", "subscriber")
    with app.app_context():
        db = get_session()
        token = tokens.issue(db, db.get(User, user.id), "link", app.config, utcnow())
        db.commit()
        jti = tokens.read(token, "link", app.config).jti
    barrier = threading.Barrier(racers)
    wins: list[bool] = []

    def run() -> None:
        with app.app_context():
            db = get_session()
            barrier.wait()
            won = tokens.consume(db, jti, utcnow())
            db.commit()
            wins.append(won)

    threads = [threading.Thread(target=run) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(wins) == [False] * (racers - 1) + [True]


def test_a_used_or_expired_record_is_refused(app, make_user):
    user = make_user("x@example.com", "subscriber")
    with app.app_context():
        db = get_session()
        now = utcnow()
        token = tokens.issue(db, db.get(User, user.id), "link", app.config, now)
        db.commit()
        assert tokens.check(db, token, "link", app.config, now).ok
        assert tokens.check(db, token, "link", app.config,
                            now + timedelta(minutes=11)).status is tokens.TokenStatus.EXPIRED
        assert tokens.consume(db, tokens.read(token, "link", app.config).jti, now)
        db.commit()
        assert tokens.check(db, token, "link", app.config, now).status is tokens.TokenStatus.USED
