"""Retention of personal data (POPIA): the cut-offs, ``gate.privacy.prune`` on a real database and
``sop-portal prune``."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gate.config import ConfigError
from gate.models import (
    AccessRequest,
    AuditEvent,
    Base,
    Grant,
    LoginSession,
    MailMessage,
    TokenRecord,
    User,
)
from gate.privacy import prune, retention

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DEFAULT_DAYS = {"sent_mail": 30, "failed_mail": 90, "tokens": 1, "sessions": 30,
                "access_requests": 180, "audit": 365}


def _rules(**days: int) -> retention.Policy:
    return retention.Policy(days={**DEFAULT_DAYS, **days}, session_idle=timedelta(minutes=60))


# ---- the pure rules ----

@pytest.mark.parametrize(("category", "days", "expected"), [
    ("sent_mail", 30, datetime(2026, 5, 2, 12, 0, tzinfo=UTC)),
    ("failed_mail", 90, datetime(2026, 3, 3, 12, 0, tzinfo=UTC)),
    ("tokens", 1, datetime(2026, 5, 31, 12, 0, tzinfo=UTC)),
    ("tokens", 0, NOW),
    ("sessions", 30, datetime(2026, 5, 2, 12, 0, tzinfo=UTC)),
    ("access_requests", 180, datetime(2025, 12, 3, 12, 0, tzinfo=UTC)),
    ("audit", 365, datetime(2025, 6, 1, 12, 0, tzinfo=UTC)),
])
def test_cutoff_per_category(category, days, expected):
    assert retention.cutoffs(NOW, _rules(**{category: days}))[category] == expected


def test_idle_sessions_end_an_idle_timeout_before_the_sessions_cutoff():
    cut = retention.cutoffs(NOW, _rules(sessions=30))
    assert cut.idle_sessions == cut["sessions"] - timedelta(minutes=60)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        retention.cutoffs(datetime(2026, 6, 1, 12, 0), _rules())  # noqa: DTZ001


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (30, 30), ("45", 45), (" 7 ", 7), (36_500, 36_500),
    (-1, "from 0 to"), ("-3", "from 0 to"), (36_501, "from 0 to"), (1.5, "whole number"),
    ("abc", "whole number"), ("", "whole number"), (True, "whole number"), (None, "not set"),
])
def test_days_setting(value, expected):
    if isinstance(expected, int):
        assert retention.days_setting("RETENTION_TOKEN_DAYS", value) == expected
        return
    with pytest.raises(ConfigError, match=expected) as caught:
        retention.days_setting("RETENTION_TOKEN_DAYS", value)
    assert str(caught.value).startswith("RETENTION_TOKEN_DAYS")


@pytest.mark.parametrize("name", sorted(retention.SETTINGS.values()))
@pytest.mark.parametrize("value", [-1, "ten", 2.5])
def test_the_app_refuses_to_start_with_a_bad_period(app_config, name, value):
    from gate import create_app

    with pytest.raises(ConfigError, match=name):
        create_app({**app_config, name: value})


@pytest.mark.parametrize(("raw", "message"), [("-1", "from 0 to"), ("abc", "not valid")])
def test_a_bad_period_in_the_environment_names_the_setting(app_config, monkeypatch, raw,
                                                             message):
    from gate import create_app

    monkeypatch.setenv("RETENTION_SESSION_DAYS", raw)
    with pytest.raises(ConfigError, match=message) as caught:
        create_app(app_config)
    assert str(caught.value).startswith("RETENTION_SESSION_DAYS=")


def test_the_defaults_suit_popia(app):
    assert retention.policy(app.config).days == DEFAULT_DAYS


@pytest.mark.parametrize(("text", "expected"), [
    ("by boss@example.com", "by (removed)"),
    ("email a@b.co -> c.d+e@f.example.org", "email (removed) -> (removed)"),
    ("/members/clients/report.pdf", "/members/clients/report.pdf"),
    ("x;=1+1;@", "x;=1+1;@"),
])
def test_scrub_addresses(text, expected):
    assert prune.scrub_addresses(text) == expected


# ---- a real database, rows on both sides of every cut-off ----

def _snapshot(app) -> dict[str, list[tuple]]:
    from gate.db import database

    with database(app).engine.connect() as connection:
        return {table.name: sorted(tuple(row) for row in connection.execute(table.select()))
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def seeded(app, make_user, tmp_path):
    """Rows just before (or at) and just after every cut-off at NOW; the ids meant to stay."""
    from gate.db import database

    user = make_user("ann@example.com", "client", audiences=("newsletter:payments",))
    cut = retention.cutoffs(NOW, retention.policy(app.config))
    old_at, new_at = cut["audit"] - MINUTE, cut["audit"] + MINUTE
    rows = {
        "mail": [
            ("gone", MailMessage(to_addr="a@x.co", subject="s", status="sent",
                                 created_at=cut["sent_mail"] - MINUTE,
                                 sent_at=cut["sent_mail"] - MINUTE)),
            ("gone", MailMessage(to_addr="b@x.co", subject="s", status="sent",
                                 created_at=cut["sent_mail"] - MINUTE,
                                 sent_at=cut["sent_mail"])),
            ("kept", MailMessage(to_addr="c@x.co", subject="s", status="sent",
                                 created_at=cut["sent_mail"] - MINUTE,
                                 sent_at=cut["sent_mail"] + MINUTE)),
            ("gone", MailMessage(to_addr="d@x.co", subject="s", status="failed",
                                 created_at=cut["failed_mail"] - MINUTE)),
            ("kept", MailMessage(to_addr="e@x.co", subject="s", status="failed",
                                 created_at=cut["failed_mail"] + MINUTE)),
            ("kept", MailMessage(to_addr="f@x.co", subject="s", status="queued",
                                 created_at=NOW - timedelta(days=1000))),
        ],
        "tokens": [
            ("gone", TokenRecord(jti="t1", purpose="link", user_id=user.id,
                                 expires_at=cut["tokens"] - MINUTE)),
            ("gone", TokenRecord(jti="t2", purpose="reset", user_id=user.id,
                                 expires_at=cut["tokens"], used_at=cut["tokens"] - MINUTE)),
            ("kept", TokenRecord(jti="t3", purpose="link", user_id=user.id,
                                 expires_at=cut["tokens"] + MINUTE, used_at=NOW - MINUTE)),
            ("kept", TokenRecord(jti="t4", purpose="invite", user_id=user.id,
                                 expires_at=NOW + timedelta(days=3))),
        ],
        "sessions": [
            ("gone", LoginSession(token_hash="s1", user_id=user.id, remember=True,
                                  last_seen_at=cut["sessions"] - timedelta(days=2),
                                  expires_at=cut["sessions"] - MINUTE)),
            ("gone", LoginSession(token_hash="s2", user_id=user.id, remember=False,
                                  last_seen_at=cut.idle_sessions - MINUTE,
                                  expires_at=cut["sessions"] + timedelta(hours=2))),
            ("kept", LoginSession(token_hash="s3", user_id=user.id, remember=False,
                                  last_seen_at=cut.idle_sessions + MINUTE,
                                  expires_at=cut["sessions"] + timedelta(hours=2))),
            ("kept", LoginSession(token_hash="s4", user_id=user.id, remember=True,
                                  last_seen_at=cut["sessions"] - timedelta(days=2),
                                  expires_at=cut["sessions"] + MINUTE)),
        ],
        "requests": [
            ("gone", AccessRequest(email="r1@x.co", status="declined", ip="203.0.113.9",
                                   decided_at=cut["access_requests"] - MINUTE)),
            ("kept", AccessRequest(email="r2@x.co", status="approved",
                                   decided_at=cut["access_requests"] + MINUTE)),
            ("kept", AccessRequest(email="r3@x.co", status="pending",
                                   created_at=NOW - timedelta(days=1000))),
        ],
        "audit": [
            ("anonymised", AuditEvent(at=old_at, user_id=user.id, email="ann@example.com",
                                      action="user.edit", target="ann@example.com",
                                      ip="198.51.100.7", detail="by boss@example.com")),
            ("anonymised", AuditEvent(at=cut["audit"], email="who@x.co", action="login",
                                      outcome="failed", ip="198.51.100.8")),
            ("kept", AuditEvent(at=old_at, user_id=user.id, action="download",
                                target="/members/report.pdf")),
            ("kept", AuditEvent(at=new_at, user_id=user.id, email="ann@example.com",
                                action="login", ip="198.51.100.7", detail="by boss@x.co")),
        ],
    }
    with database(app).sessions() as db:
        db.add_all(row for group in rows.values() for _, row in group)
        db.commit()
        ids = {name: {fate: {row.id for f, row in group if f == fate}
                      for fate in ("gone", "kept", "anonymised")}
               for name, group in rows.items()}
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    for name, when in (("old.eml", cut["sent_mail"] - MINUTE), ("new.eml", NOW)):
        (outbox / name).write_text("To: a@x.co\n\nhello\n")
        os.utime(outbox / name, (when.timestamp(), when.timestamp()))
    return {"user": user, "cut": cut, "ids": ids, "outbox": outbox}


EXPECTED = {"sent_mail": 2, "failed_mail": 1, "tokens": 2, "sessions": 2,
            "access_requests": 1, "audit": 2, "outbox_files": 1}


def _prune(app, seeded, dry_run=False):
    from gate.db import database

    return prune.prune(database(app).sessions, seeded["cut"], outbox=seeded["outbox"],
                       dry_run=dry_run)


@pytest.mark.usefixtures("db_url")  # SQLite and PostgreSQL
def test_prune_removes_exactly_what_is_past_its_period(app, seeded):
    from gate.db import database

    before = _snapshot(app)
    assert _prune(app, seeded) == EXPECTED
    ids = seeded["ids"]
    with database(app).sessions() as db:
        for name, model in (("mail", MailMessage), ("tokens", TokenRecord),
                            ("sessions", LoginSession), ("requests", AccessRequest)):
            assert set(db.scalars(select(model.id))) == ids[name]["kept"], name
        audit = {row.id: row for row in db.scalars(select(AuditEvent))}
    assert set(audit) == ids["audit"]["kept"] | ids["audit"]["anonymised"]
    first, second = sorted(ids["audit"]["anonymised"])
    assert (audit[first].email, audit[first].ip, audit[first].target, audit[first].detail,
            audit[first].user_id, audit[first].action) == (
        "", "", "(removed)", "by (removed)", seeded["user"].id, "user.edit")
    assert (audit[second].email, audit[second].ip, audit[second].outcome) == ("", "", "failed")
    after = _snapshot(app)
    for table in ("users", "grants", "client_accounts"):
        assert after[table] == before[table], table
    recent = [row for row in before["audit_events"] if row[0] in ids["audit"]["kept"]]
    assert all(row in after["audit_events"] for row in recent)
    assert sorted(p.name for p in seeded["outbox"].iterdir()) == ["new.eml"]


@pytest.mark.usefixtures("db_url")  # SQLite and PostgreSQL
def test_prune_is_idempotent(app, seeded):
    _prune(app, seeded)
    snapshot = _snapshot(app)
    assert _prune(app, seeded) == dict.fromkeys(EXPECTED, 0)
    assert _snapshot(app) == snapshot


@pytest.mark.usefixtures("db_url")  # SQLite and PostgreSQL
def test_a_dry_run_counts_the_same_and_changes_nothing(app, seeded):
    before = _snapshot(app)
    assert _prune(app, seeded, dry_run=True) == EXPECTED
    assert _snapshot(app) == before
    assert sorted(p.name for p in seeded["outbox"].iterdir()) == ["new.eml", "old.eml"]


def test_users_and_grants_are_never_touched(app, seeded):
    from gate.db import database

    _prune(app, seeded)
    with database(app).sessions() as db:
        user = db.get(User, seeded["user"].id)
        assert user is not None and user.email == "ann@example.com"
        assert set(db.scalars(select(Grant.audience).where(Grant.user_id == user.id))) == {
            "clients", "client:test-client", "newsletter:payments"}


# ---- sop-portal prune ----

def _old_sent_mail(app, count: int) -> None:
    from gate.db import database

    long_ago = datetime.now(UTC) - timedelta(days=400)
    with database(app).sessions() as db:
        db.add_all(MailMessage(to_addr=f"m{i}@x.co", subject="s", status="sent",
                               created_at=long_ago, sent_at=long_ago) for i in range(count))
        db.commit()


def test_the_command_prints_a_line_per_category(app, runner):
    _old_sent_mail(app, 3)
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(EXPECTED)
    assert lines[0].startswith("delivered mail: 3 were removed (cut-off ")
    assert "RETENTION_SENT_MAIL_DAYS" in lines[0]
    assert runner.invoke(args=["prune"]).output.splitlines()[0].startswith(
        "delivered mail: 0 were removed")


def test_the_command_json_and_dry_run(app, runner):
    _old_sent_mail(app, 2)
    before = _snapshot(app)
    result = runner.invoke(args=["prune", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"at", "dry_run", "categories"} and answer["dry_run"] is True
    assert list(answer["categories"]) == list(EXPECTED)
    assert answer["categories"]["sent_mail"] == {
        "setting": "RETENTION_SENT_MAIL_DAYS", "action": "removed", "count": 2,
        "cutoff": answer["categories"]["sent_mail"]["cutoff"]}
    assert answer["categories"]["audit"]["action"] == "anonymised"
    cutoff = datetime.strptime(answer["categories"]["sent_mail"]["cutoff"],
                               "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    at = datetime.strptime(answer["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert at - cutoff == timedelta(days=30)
    assert _snapshot(app) == before
    assert json.loads(runner.invoke(args=["prune", "--json"]).output)[
        "categories"]["sent_mail"]["count"] == 2


@pytest.mark.parametrize("args", [["--bogus"], ["extra"], ["--json=yes"]])
def test_bad_arguments_exit_2_with_one_line(runner, args):
    result = runner.invoke(args=["prune", *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("error: ")
