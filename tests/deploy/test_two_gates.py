"""Two gunicorn gates ("two machines") sharing one PostgreSQL database and one Redis store.

Each test talks to the gates directly, with the headers nginx would add, to show that what
one gate does is seen by the other on its very next request.
"""

from __future__ import annotations

import threading

import pytest

from tests import servers
from tests.deploy.conftest import LINK

pytestmark = [pytest.mark.system, pytest.mark.slow]

CLIENT_PAGE = "/members/clients/plugin-setup-details/"


def _signed_in_on_both(production, email: str):
    """A client signed in (through nginx) and that session's clients on gate 0 and gate 1."""
    browser, password = production.invite(email, "client", "--account", "Two Gates Ltd")
    gates = [production.gate_client(n, browser.cookies) for n in (0, 1)]
    assert [gate.get(CLIENT_PAGE).status for gate in gates] == [200, 200]
    return browser, password, gates


def _change_password(client, old: str) -> None:
    token = client.csrf_token("/auth/password")
    new = old + "-changed"
    reply = client.post("/auth/password", {"csrf_token": token, "current_password": old,
                                           "password": new, "confirm": new})
    assert reply.status == 200 and "Password changed" in reply.text, reply.text[:300]


def _sign_out_everywhere(client, _old: str) -> None:
    token = client.csrf_token("/auth/logout")
    assert client.post("/auth/logout-everywhere", {"csrf_token": token}).status in (302, 303)


def _sign_out_other_browser(production, email: str, password: str) -> None:
    other = production.gate_client(1)
    assert other.sign_in(email, password).status in (302, 303)
    token = other.csrf_token("/auth/logout")
    assert other.post("/auth/logout", {"csrf_token": token}).status in (302, 303)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("sign-out-everywhere", 302),
        ("password-change", 302),
        ("cli-ungrant", 403),
        ("cli-revoke", 302),
        ("other-browser-signs-out", 200),  # control: one browser's sign-out ends only its own
    ],
)
def test_each_gate_sees_the_others_revocation_on_its_next_request(production, action, status):
    email = f"both-{action}@two-gates.example"
    browser, password, (first, second) = _signed_in_on_both(production, email)
    if action == "sign-out-everywhere":
        _sign_out_everywhere(production.gate_client(1, browser.cookies), password)
    elif action == "password-change":
        _change_password(production.gate_client(1, browser.cookies), password)
    elif action == "cli-ungrant":
        production.cli("users", "ungrant", email, "clients")
    elif action == "cli-revoke":
        production.cli("users", "revoke", email)
    else:
        _sign_out_other_browser(production, email, password)
    assert first.get(CLIENT_PAGE).status == status
    assert second.get(CLIENT_PAGE).status == status


def test_a_link_redeemed_by_ten_browsers_at_once_on_both_gates_gives_one_session(production):
    from sqlalchemy import func, select

    from gate.db import database
    from gate.models import LoginSession, User

    email = "race@subscriber.example"
    production.cli("users", "add", email, "--role", "subscriber",
                   "--audience", "newsletter:payments")
    requester = production.client()
    seen = len(production.smtp.messages)
    token = requester.csrf_token("/auth/link")
    assert requester.post("/auth/link", {"csrf_token": token, "email": email}).status == 200
    path = LINK.search(servers.message_text(production.smtp.wait_for(email, after=seen)))[1]

    browsers = [production.gate_client(n % 2) for n in range(10)]
    forms = [b.csrf_token(path) for b in browsers]  # GET never uses the link
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def redeem(n: int) -> None:
        barrier.wait()
        statuses.append(browsers[n].post(path, {"csrf_token": forms[n]}).status)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302] + [400] * 9, statuses
    with database(production.admin).sessions() as db:
        user_id = db.scalar(select(User.id).where(User.email == email))
        sessions = db.scalar(select(func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user_id))
    assert sessions == 1


def test_failed_sign_ins_are_counted_once_for_both_gates_in_redis(production, redis_server):
    import redis

    email = "limited@two-gates.example"
    _, password = production.invite(email, "client", "--account", "Two Gates Ltd")
    gates = [production.gate_client(n) for n in (0, 1)]
    limit = 5  # LOGIN_FAILURES_PER_ACCOUNT: 5 per 15 minutes
    for attempt in range(limit):
        reply = gates[attempt % 2].sign_in(email, f"wrong password, attempt {attempt}")
        assert reply.status == 200 and "not right" in reply.text
    # Three failures went to one gate and two to the other: only a shared count stops this.
    refused = gates[limit % 2].sign_in(email, password)
    assert refused.status == 429
    assert int(refused.header("Retry-After")) > 0
    keys = redis.Redis.from_url(production.env["RATELIMIT_STORAGE_URI"]).keys("*")
    assert any(b"login" in key for key in keys), keys
