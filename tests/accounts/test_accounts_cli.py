"""The admin CLI: db upgrade, demo, users, audit (exit 2 with one line on bad input)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from gate import create_app, db
from gate.accounts import passwords
from gate.db import get_session
from gate.models import User

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")


def _one_line_error(result, text):
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert text in lines[0]


def test_db_upgrade(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and f"revision {db.head_revision()} (the latest)" in result.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0  # idempotent


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["users", "add", "a@example.com"], "--role is required"),
        (["users", "add", "a@example.com", "--role", "admin"], "bad role"),
        (["users", "add", "not-an-email", "--role", "staff"], "not an email address"),
        (["users", "add", "a@@example.com", "--role", "staff"], "not an email address"),
        (["users", "add", "a@example.com", "--role", "client"], "needs an account"),
        (["users", "add", "a@example.com", "--role", "client", "--account", "Acme",
          "--account-type", "barter"], "unknown account type"),
        (["users", "add", "a@example.com", "--role", "staff", "--account", "Acme"],
         "only for client"),
        (["users", "add", "a@example.com", "--role", "subscriber", "--audience",
          "newsletter:gardening"], "unknown audience"),
        (["users", "add", "a@example.com", "--role", "subscriber", "--audience",
          "client:nobody"], "unknown audience"),
        (["users", "add", "taken@example.com", "--role", "staff"], "already exists"),
        (["users", "invite", "nobody@example.com"], "unknown user"),
        (["users", "invite", "sub@example.com"], "subscriber"),
        (["users", "grant", "nobody@example.com", "clients"], "unknown user"),
        (["users", "grant", "taken@example.com", "admins"], "unknown audience"),
        (["users", "grant", "taken@example.com", "clients", "--until", "soon"], "bad --until"),
        (["users", "ungrant", "taken@example.com", "newsletter:gardening"], "unknown audience"),
        (["users", "ungrant", "taken@example.com", "clients"], "does not hold"),
        (["users", "revoke", "nobody@example.com"], "unknown user"),
        (["audit", "--since", "yesterday"], "bad --since"),
        (["audit", "--format", "xml"], "bad --format"),
    ],
)
def test_bad_input_exits_2_with_one_line(runner, make_user, args, error):
    make_user("taken@example.com", "staff")
    make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))
    _one_line_error(runner.invoke(args=args), error)


def test_users_add_grant_ungrant_revoke_list(app, runner):
    result = runner.invoke(args=[
        "users", "add", " Carol@Example.com", "--role", "client", "--name", "Carol",
        "--account", "Acme (Pty) Ltd", "--account-type", "debit_order",
        "--audience", "newsletter:payments"])
    assert result.exit_code == 0, result.output
    assert "clients" in result.output and "client:acme-pty-ltd" in result.output
    assert runner.invoke(args=["users", "add", "dave@example.com", "--role", "client",
                               "--account", "Acme (Pty) Ltd"]).exit_code == 0
    assert runner.invoke(args=["users", "grant", "carol@example.com", "newsletter:store-setup",
                               "--until", "2099-01-01"]).exit_code == 0
    again = runner.invoke(args=["users", "grant", "carol@example.com", "newsletter:store-setup",
                                "--until", "2099-01-01"])
    assert again.exit_code == 0 and "already holds" in again.output
    assert runner.invoke(args=["users", "ungrant", "carol@example.com",
                               "newsletter:payments"]).exit_code == 0
    assert runner.invoke(args=["users", "revoke", "dave@example.com"]).exit_code == 0
    listing = json.loads(runner.invoke(args=["users", "list", "--json"]).output)
    carol = next(u for u in listing if u["email"] == "carol@example.com")
    assert carol["role"] == "client" and carol["account"] == "Acme (Pty) Ltd"
    assert carol["account_type"] == "debit_order" and carol["active"] is True
    assert [g["audience"] for g in carol["grants"]] == [
        "client:acme-pty-ltd", "clients", "newsletter:store-setup"]
    assert carol["grants"][2]["ends_at"] == "2099-01-01T00:00:00Z"
    dave = next(u for u in listing if u["email"] == "dave@example.com")
    assert dave["active"] is False
    text = runner.invoke(args=["users", "list"]).output
    assert "REVOKED" in text and "carol@example.com" in text
    assert runner.invoke(args=["users", "restore", "dave@example.com"]).exit_code == 0
    actions = [row["action"] for row in json.loads(
        runner.invoke(args=["audit", "--format", "json"]).output)]
    assert actions.count("user.add") == 2 and "grant.add" in actions
    assert "grant.remove" in actions and "user.revoke" in actions and "user.restore" in actions


def _demo(runner, *args: str) -> list[dict]:
    result = runner.invoke(args=["demo", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_json_shape_and_first_passwords(app, runner):
    people = _demo(runner)
    assert [set(p) for p in people] == [
        {"email", "password", "role", "grants", "password_unchanged"}] * 4
    by_role = {}
    for person in people:
        by_role.setdefault(person["role"], []).append(person)
    assert len(by_role["staff"]) == 1 and len(by_role["client"]) == 1
    assert by_role["client"][0]["grants"] == ["client:demo-client", "clients"]
    subscribers = by_role["subscriber"]
    assert sorted(g for s in subscribers for g in s["grants"]) == [
        "newsletter:payments", "newsletter:store-setup"]
    assert all(s["password"] is None and len(s["grants"]) == 1 for s in subscribers)
    for person in by_role["staff"] + by_role["client"]:
        assert len(person["password"]) >= 12 and person["password_unchanged"] is False
    with app.app_context():
        account = get_session().scalar(select(User).where(User.role == "client")).account
        assert (account.name, account.account_type) == ("Demo Client", "eft")


@pytest.mark.parametrize(("flags", "kept"), (
    ((), True),                       # a second run keeps the passwords make serve printed
    (("--reset-passwords",), False),  # new ones only when asked
))
def test_demo_keeps_passwords_unless_reset(app, runner, flags, kept):
    first = _demo(runner)
    second = _demo(runner, *flags)
    assert [p["email"] for p in second] == [p["email"] for p in first]
    with app.app_context():
        db = get_session()
        for before, after in zip(first, second, strict=True):
            if before["role"] == "subscriber":
                assert after["password"] is None and after["password_unchanged"] is True
                continue
            assert after["password_unchanged"] is kept
            assert (after["password"] is None) is kept
            user = db.scalar(select(User).where(User.email == after["email"]))
            assert passwords.verify_password(user.password_hash, before["password"],
                                             app.config) is kept
            if not kept:
                assert passwords.verify_password(user.password_hash, after["password"],
                                                 app.config)


def test_demo_run_again_keeps_the_sessions_of_demo_users(app, runner, login):
    people = _demo(runner)
    staff = next(p for p in people if p["role"] == "staff")
    browser = app.test_client()
    assert login(browser, staff["email"], staff["password"]).status_code == 302
    _demo(runner)
    assert browser.get("/auth/status").get_json()["signed_in"] is True
    _demo(runner, "--reset-passwords")
    assert browser.get("/auth/status").get_json()["signed_in"] is False


def test_demo_text_says_how_to_sign_in(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "/auth/login" in result.output and "/auth/link" in result.output
    assert "outbox" in result.output
    assert "--reset-passwords" in result.output
    again = runner.invoke(args=["demo"])
    assert "(password unchanged)" in again.output and "--reset-passwords" in again.output


def test_demo_is_refused_in_production(app_config):
    app = create_app({**app_config, "SOP_PORTAL_ENV": "production",
                      "SECRET_KEY": "production-key-0123456789abcdefghij",
                      "PUBLIC_BASE_URL": "https://portal.example"})
    _one_line_error(app.test_cli_runner().invoke(args=["demo", "--json"]), "production")


def test_demo_users_can_sign_in(app, runner, login, outbox):
    people = json.loads(runner.invoke(args=["demo", "--json"]).output)
    client_person = next(p for p in people if p["role"] == "client")
    assert login(app.test_client(), client_person["email"], client_person["password"]
                 ).status_code == 302
    from tests.accounts.conftest import post_form

    sub = next(p for p in people if p["role"] == "subscriber")
    client = app.test_client()
    post_form(client, "/auth/link", {"email": sub["email"]})
    token = outbox.last_token(sub["email"], "link")
    assert post_form(client, f"/auth/link/{token}", {}).status_code == 302


def test_audit_export_is_spreadsheet_safe(app, runner, client, login):
    login(client, "=HYPERLINK(\"http://evil\")@example.com", "whatever it is 1")
    login(client, "+cmd|' /C calc'!A0", "whatever it is 1")
    login(client, "-2+3@example.com", "whatever it is 1")
    login(client, "@SUM(1)@example.com", "whatever it is 1")
    login(client, "evil\r\nforged,line@example.com", "whatever it is 1")
    result = runner.invoke(args=["audit", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    emails = [row["email"] for row in rows if row["action"] == "signin"]
    assert len(emails) == 5
    assert all(not e.startswith(("=", "+", "-", "@")) for e in emails)
    assert emails[0].startswith("'=")
    assert "\n" not in emails[4] and "\\x0d\\x0a" in emails[4]
    assert all(row["at"].endswith("Z") for row in rows)
    since = runner.invoke(args=["audit", "--since", "2999-01-01"])
    assert since.exit_code == 0 and len(since.output.strip().splitlines()) == 1  # header only
