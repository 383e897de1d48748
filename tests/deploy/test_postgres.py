"""The gate's core account flows on SQLite and on a real PostgreSQL server, one test each.

``db_url`` runs every test here twice (see tests/conftest.py): once on a fresh SQLite file,
once on a fresh database of the session's throwaway PostgreSQL cluster.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.usefixtures("db_url")

PAGE = "/members/clients/plugin-setup-details/"
HTML = {"Accept": "text/html"}


def _cli(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (("users", "ungrant", "{email}", "clients"), 403),
        (("users", "grant", "{email}", "clients"), 200),
        (("users", "revoke", "{email}"), 302),
        (("users", "restore", "{email}"), 302),  # restoring does not revive the old session
    ],
)
def test_a_change_holds_on_the_next_request(app, client, runner, make_user, login, command,
                                            status):
    email = "life@acme.example"
    make_user(email, "client", password=TEST_PASSWORD, account="Acme Stores")
    assert login(client, email, TEST_PASSWORD).status_code == 302
    assert client.get(PAGE, headers=HTML).status_code == 200
    steps = {"grant": [("users", "ungrant", "{email}", "clients")],
             "restore": [("users", "revoke", "{email}")]}.get(command[1], [])
    for step in [*steps, command]:
        _cli(runner, *(part.format(email=email) for part in step))
    assert client.get(PAGE, headers=HTML).status_code == status


@pytest.mark.parametrize(
    ("password", "status"),
    [
        (TEST_PASSWORD, 302),
        ("not the password", 200),  # bad input: the same sign-in page again
    ],
)
def test_sign_in_is_audited_in_utc(app, client, runner, make_user, login, password, status):
    email = "audit@acme.example"
    make_user(email, "client", password=TEST_PASSWORD)
    before = datetime.now(UTC) - timedelta(seconds=2)
    assert login(client, email, password).status_code == status
    events = [e for e in json.loads(_cli(runner, "audit", "--format", "json"))
              if e["action"] == "signin" and e["email"] == email]
    assert [e["outcome"] for e in events] == ["ok" if status == 302 else "failed"]
    at = datetime.strptime(events[0]["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= at + timedelta(seconds=1) <= datetime.now(UTC) + timedelta(seconds=2)


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        ("Case@Acme.example", "case@acme.example", "already"),
        ("one@acme.example", "two@acme.example", None),
    ],
)
def test_emails_are_unique_ignoring_case(app, runner, first, second, error):
    _cli(runner, "users", "add", first, "--role", "subscriber", "--audience",
         "newsletter:payments")
    result = runner.invoke(args=["users", "add", second, "--role", "subscriber"])
    if error is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2 and error in result.output


def test_the_schema_upgrade_is_repeatable(app, runner):
    from gate.db import current_version

    first = _cli(runner, "db", "upgrade")
    assert _cli(runner, "db", "upgrade") == first
    assert current_version(app) is not None


def test_one_time_token_used_once_in_sequence(app, client, make_user):
    from gate.accounts import tokens
    from gate.db import get_session
    from gate.models import User, utcnow

    user = make_user("once@subscriber.example", "subscriber",
                     audiences=("newsletter:payments",))
    with app.app_context():
        db = get_session()
        token = tokens.issue(db, db.get(User, user.id), "link", app.config, utcnow())
        db.commit()
        check = tokens.check(db, token, "link", app.config, utcnow())
        assert check.ok
        assert tokens.consume(db, check.jti, utcnow()) is True
        db.commit()
        assert tokens.consume(db, check.jti, utcnow()) is False
        assert not tokens.check(db, token, "link", app.config, utcnow()).ok
