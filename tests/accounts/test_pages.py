"""Rate limits (keys in gate.accounts.pages): per IP for every attempt, per account for
failures, checked before hashing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate import create_app
from gate.accounts import passwords
from gate.models import utcnow
from tests.accounts.conftest import post_form
from tests.conftest import TEST_PASSWORD, BufferedClient


@pytest.fixture
def hashes(monkeypatch):
    """Counts every argon2 verification (real or dummy)."""
    calls = []
    real = passwords.verify_password

    def spy(stored, password, config):
        calls.append(stored)
        return real(stored, password, config)

    monkeypatch.setattr(passwords, "verify_password", spy)
    return calls


def _retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert value > 0
    return value


@pytest.mark.asvs("6.3.1")
def test_every_attempt_counts_per_ip(app, client, client_user, login, hashes):
    app.config.update(LOGIN_LIMIT_PER_IP="3/minute", LOGIN_FAILURES_PER_ACCOUNT="100/minute")
    with freeze_time(utcnow()) as frozen:
        statuses = [login(client, email, password).status_code for email, password in [
            ("alice@example.com", TEST_PASSWORD), ("nobody@example.com", "x" * 12),
            ("alice@example.com", "wrong password!")]]
        assert statuses == [302, 200, 200]
        assert len(hashes) == 3
        blocked = login(client, "alice@example.com", TEST_PASSWORD)
        assert blocked.status_code == 429
        assert _retry_after(blocked) <= 60
        assert len(hashes) == 3  # refused before hashing
        frozen.tick(timedelta(seconds=61))
        assert login(client, "alice@example.com", TEST_PASSWORD).status_code == 302


@pytest.mark.asvs("6.3.1")
@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
def test_failures_count_per_account_before_hashing(app, client, client_user, make_user, login,
                                                    hashes, email):
    app.config.update(LOGIN_LIMIT_PER_IP="100/minute",
                      LOGIN_FAILURES_PER_ACCOUNT="2/15 minutes")
    make_user("bob@example.com", "staff", password=TEST_PASSWORD)
    with freeze_time(utcnow()) as frozen:
        for _ in range(3):  # successes never count
            assert login(client, "bob@example.com", TEST_PASSWORD).status_code == 302
        for _ in range(2):
            assert login(client, email.upper(), "wrong password!").status_code == 200
        counted = len(hashes)
        blocked = login(client, email, TEST_PASSWORD)
        assert blocked.status_code == 429
        assert 60 < _retry_after(blocked) <= 15 * 60
        assert len(hashes) == counted
        assert login(client, "bob@example.com", TEST_PASSWORD).status_code == 302
        frozen.tick(timedelta(minutes=16))  # never a permanent lockout
        expected = 302 if email.startswith("alice") else 200
        assert login(client, email, TEST_PASSWORD).status_code == expected


@pytest.mark.asvs("6.3.1")
@pytest.mark.parametrize(
    ("limits", "emails", "mailed_to_sub"),
    [
        ({"LINK_LIMIT_PER_EMAIL": "2/hour", "LINK_LIMIT_PER_IP": "100/hour"},
         ["sub@example.com"] * 3, 2),
        ({"LINK_LIMIT_PER_EMAIL": "2/hour", "LINK_LIMIT_PER_IP": "100/hour"},
         ["nobody@example.com"] * 3, 0),
        ({"LINK_LIMIT_PER_EMAIL": "100/hour", "LINK_LIMIT_PER_IP": "2/hour"},
         ["a@example.com", "b@example.com", "sub@example.com"], 0),
    ],
)
def test_link_requests_are_limited_per_email_and_ip(app, client, subscriber, outbox, limits,
                                                    emails, mailed_to_sub):
    app.config.update(limits)
    statuses = [post_form(client, "/auth/link", {"email": e}).status_code for e in emails]
    assert statuses == [200, 200, 429]
    assert len(outbox.to("sub@example.com")) == mailed_to_sub


def test_reset_requests_are_limited_too(app, client, client_user, outbox):
    app.config.update(LINK_LIMIT_PER_EMAIL="1/hour")
    statuses = [post_form(client, "/auth/reset", {"email": "alice@example.com"}).status_code
                for _ in range(2)]
    assert statuses == [200, 429]
    assert len(outbox.messages()) == 1


def test_limits_can_be_turned_off(app_config, make_user):
    app = create_app({**app_config, "RATELIMIT_ENABLED": False,
                      "LOGIN_LIMIT_PER_IP": "1/minute", "LOGIN_FAILURES_PER_ACCOUNT": "1/hour"})
    app.test_client_class = BufferedClient
    client = app.test_client()
    statuses = {post_form(client, "/auth/login", {
        "email": "nobody@example.com", "password": "wrong password!"}).status_code
        for _ in range(5)}
    assert statuses == {200}


def test_the_limits_use_the_client_address_not_a_spoofed_header(app, client_user, login):
    app.config.update(LOGIN_LIMIT_PER_IP="2/minute")
    clients = [app.test_client() for _ in range(3)]
    statuses = [
        login(c, "alice@example.com", TEST_PASSWORD,).status_code
        if i < 2 else post_form(c, "/auth/login", {
            "email": "alice@example.com", "password": TEST_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9"}).status_code
        for i, c in enumerate(clients)
    ]
    assert statuses == [302, 302, 429]


def test_wrong_current_passwords_are_limited_per_account(app, client, client_user, login,
                                                         hashes):
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT="2/15 minutes")
    login(client, "alice@example.com", TEST_PASSWORD)
    data = {"current_password": "not my password!", "password": "new passphrase 12345",
            "confirm": "new passphrase 12345"}
    assert [post_form(client, "/auth/password", data).status_code for _ in range(2)] == [400, 400]
    counted = len(hashes)
    blocked = post_form(client, "/auth/password", {**data, "current_password": TEST_PASSWORD})
    assert blocked.status_code == 429 and len(hashes) == counted


ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.mark.asvs("6.3.1")
@pytest.mark.parametrize(
    ("path", "data", "owner_from", "owner_status", "owner_mailed"),
    [
        ("/auth/login", {"email": "alice@example.com", "password": "wrong password!"},
         OWNER, 302, 0),
        ("/auth/link", {"email": "sub@example.com"}, OWNER, 200, 1),
        ("/auth/reset", {"email": "alice@example.com"}, OWNER, 200, 1),
        # the same address as the attacker: the limit still holds there
        ("/auth/login", {"email": "alice@example.com", "password": "wrong password!"},
         ATTACKER, 429, 0),
        ("/auth/link", {"email": "sub@example.com"}, ATTACKER, 429, 0),
    ],
)
def test_nobody_can_lock_a_chosen_user_out(app, client_user, subscriber, outbox, path, data,
                                           owner_from, owner_status, owner_mailed):
    app.config.update(LOGIN_LIMIT_PER_IP="100/minute", LOGIN_FAILURES_PER_ACCOUNT="3/15 minutes",
                      LINK_LIMIT_PER_IP="100/hour", LINK_LIMIT_PER_EMAIL="3/15 minutes")
    attacker = app.test_client()
    statuses = [post_form(attacker, path, data, environ_base=ATTACKER).status_code
                for _ in range(4)]
    assert statuses[-1] == 429
    before = len(outbox.messages())
    owner = app.test_client()
    if path == "/auth/login":
        answer = post_form(owner, path, {**data, "password": TEST_PASSWORD},
                           environ_base=owner_from)
    else:
        answer = post_form(owner, path, data, environ_base=owner_from)
    assert answer.status_code == owner_status
    assert len(outbox.messages()) - before == owner_mailed


@pytest.mark.parametrize("path", ["/auth/login", "/auth/link", "/auth/reset"])
def test_json_bodies_count_against_the_same_limits(app, client, client_user, path):
    """The per-(email, address) limit reads the email from a JSON body too (no bypass)."""
    from tests.conftest import form_csrf_token

    app.config.update(LOGIN_LIMIT_PER_IP="100/minute", LOGIN_FAILURES_PER_ACCOUNT="2/15 minutes",
                      LINK_LIMIT_PER_IP="100/hour", LINK_LIMIT_PER_EMAIL="2/15 minutes")
    headers = {"X-CSRFToken": form_csrf_token(client, path)}
    body = {"email": "alice@example.com", "password": "wrong password!"}
    statuses = [client.post(path, json=body, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    ("settings", "workers", "argv_workers", "threads"),
    [
        ({}, None, "1", "8"),  # memory:// and WEB_CONCURRENCY=2: one process, 8 threads
        ({}, 3, "1", "12"),  # several workers asked for: threads of one process instead
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"}, 3, "3", None),
        ({"RATELIMIT_ENABLED": False}, None, "2", None),
    ],
)
def test_serve_keeps_in_memory_limits_in_one_process(app_config, monkeypatch, settings,
                                                     workers, argv_workers, threads):
    """With the limits counted in memory, ``serve`` runs one gunicorn process (gthread)."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from gate import cli

    started: list[list[str]] = []
    monkeypatch.setattr(cli, "start_detached", lambda argv: None)
    monkeypatch.setattr(cli.os, "execv", lambda _exe, argv: started.append(list(argv)))
    app = create_app({**app_config, **settings})
    args = ["serve"] + (["--workers", str(workers)] if workers else [])
    result = CliRunner().invoke(cli.main, args, obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    argv = started[0]
    assert argv[argv.index("--workers") + 1] == argv_workers
    if threads is None:
        assert "--threads" not in argv
    else:
        assert argv[argv.index("--threads") + 1] == threads
        assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert ("warning" in result.output) == (workers is not None and threads is not None)


@pytest.mark.slow
def test_limits_hold_exactly_under_sop_portal_serve(tmp_path, site_dir):
    """N+1 wrong passwords from one address against a limit of N: exactly one 429, and the
    owner, from another address, still signs in (a real gunicorn, memory:// storage)."""
    from tests import servers
    from tests.conftest import CHEAP_HASHING

    limit = 6
    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"), "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "OUTBOX_DIR": str(tmp_path / "outbox"), "TRUSTED_PROXIES": "1",
        "LOGIN_LIMIT_PER_IP": f"{limit}/hour", "LOGIN_FAILURES_PER_ACCOUNT": "100/hour",
        **{name: str(value) for name, value in CHEAP_HASHING.items()}})
    servers.run_cli(env, "db", "upgrade")
    app = servers.portal_app(env)
    with app.app_context():
        from gate.accounts import passwords
        from gate.accounts import services as accounts
        from gate.db import get_session

        session = get_session()
        account = accounts.ensure_account(session, "Owner Ltd", "eft")
        user = accounts.create_user(session, "owner@example.com", "client", account=account)
        user.password_hash = passwords.hash_password(TEST_PASSWORD, app.config)
        session.commit()
    with servers.gunicorn(env, log_dir=tmp_path, workers=2) as gate:
        attacker = servers.HttpClient(gate.url, headers={"X-Forwarded-For": "203.0.113.9"})
        statuses = [attacker.sign_in("owner@example.com", f"wrong guess {n}").status
                    for n in range(limit + 1)]
        owner = servers.HttpClient(gate.url, headers={"X-Forwarded-For": "198.51.100.7"})
        owner_status = owner.sign_in("owner@example.com", TEST_PASSWORD).status
    assert statuses == [200] * limit + [429]
    assert owner_status in (302, 303)
