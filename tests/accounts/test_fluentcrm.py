"""`sop-portal subscribers import`: the real SQLite file through the app and the CLI runner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gate.config import ConfigError
from gate.models import AuditEvent, User, utcnow
from tests.accounts import fluentcrm_shapes as shapes
from tests.accounts.conftest import signed_in_email

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER = "Email,First Name,Last Name,Status,Lists,Tags\n"
PAY = "Online Sales FAQ: Payments"
STORE = "Online Sales FAQ: Store Setup"
BOTH = f'"{PAY}, {STORE}"'


@pytest.fixture
def csv_file(tmp_path):
    """``csv_file(text) -> Path``: write an export next to the test's instance folder."""
    counter = iter(range(1000))

    def write(text: str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"export-{next(counter)}.csv")
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def run(runner):
    """``run(*args)``: invoke ``sop-portal subscribers import`` and return the result."""

    def invoke(*args):
        return runner.invoke(args=["subscribers", "import", *map(str, args)])

    return invoke


def state(app) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """email -> (role, name, grants), read from the database."""
    from gate.db import get_session

    with app.app_context():
        users = get_session().scalars(select(User).order_by(User.email))
        return {u.email: (u.role, u.name, tuple(g.audience for g in u.grants)) for u in users}


def audit_actions(app) -> list[tuple[str, str, str]]:
    from gate.db import get_session

    with app.app_context():
        rows = get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.email, e.target) for e in rows]


def test_new_subscribers_are_created_with_their_sections(app, run):
    result = run(DATA / "fluentcrm_contacts.csv")
    assert result.exit_code == 0, result.output
    assert "added 2, updated 0, granted 3, removed 0, unchanged 0, skipped 3" in result.stdout
    assert state(app) == {
        "pieter@example.com": ("subscriber", "Pieter van Wyk", ("newsletter:payments",)),
        "thandi.nkosi@example.co.za": (
            "subscriber", "Thandi Nkosi", ("newsletter:payments", "newsletter:store-setup")),
    }
    from gate.db import get_session

    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == "pieter@example.com"))
        assert user.password_hash is None and user.active
    actions = audit_actions(app)
    assert ("grant.add", "pieter@example.com", "newsletter:payments") in actions
    assert ("user.add", "pieter@example.com", "pieter@example.com") in actions
    assert actions[-1][0] == "subscribers.import"


def test_a_second_run_changes_nothing_and_says_so(app, run):
    first = run(DATA / "fluentcrm_contacts.csv")
    assert first.exit_code == 0
    before, events = state(app), audit_actions(app)
    second = run(DATA / "fluentcrm_contacts.csv")
    assert second.exit_code == 0, second.output
    assert "added 0, updated 0, granted 0, removed 0, unchanged 2, skipped 3" in second.stdout
    assert "nothing to change" in second.stdout
    assert state(app) == before
    assert audit_actions(app)[: len(events)] == events
    assert [a for a, *_ in audit_actions(app)[len(events):]] == ["subscribers.import"]


def test_a_status_change_removes_sections_and_ends_the_subscribers_sessions(
    app, run, csv_file, client, login_as
):
    assert run(csv_file(f"{HEADER}sub@example.com,Sue,,subscribed,{BOTH},\n")).exit_code == 0
    with app.app_context():
        from gate.db import get_session

        sue = get_session().scalar(select(User).where(User.email == "sub@example.com"))
    login_as(client, sue)
    assert signed_in_email(app, client) == "sub@example.com"
    assert client.get("/members/newsletter/payments/").status_code == 200

    result = run(csv_file(f"{HEADER}SUB@example.com,Sue,,unsubscribed,{BOTH},\n"))
    assert result.exit_code == 0, result.output
    assert "updated 1, granted 0, removed 2" in result.stdout
    assert "signed out 1 subscriber" in result.stdout
    assert state(app)["sub@example.com"] == ("subscriber", "Sue", ())
    assert signed_in_email(app, client) is None
    assert ("grant.remove", "sub@example.com", "newsletter:store-setup") in audit_actions(app)
    assert ("signout", "sub@example.com", "everywhere") in audit_actions(app)


def test_losing_one_section_takes_effect_on_the_next_request(
    app, run, csv_file, client, login_as, make_user
):
    sue = make_user("sub@example.com", "subscriber",
                    audiences=("newsletter:payments", "newsletter:store-setup"))
    login_as(client, sue)
    json = {"Accept": "application/json"}
    assert client.get("/members/newsletter/payments/", headers=json).status_code == 200
    result = run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{STORE},\n"))
    assert result.exit_code == 0, result.output
    assert signed_in_email(app, client) == "sub@example.com"  # still signed in ...
    assert client.get("/members/newsletter/payments/", headers=json).status_code == 403
    assert client.get("/members/newsletter/store-setup/", headers=json).status_code == 200


def test_a_client_keeps_client_access_and_their_name(app, run, csv_file, make_user, client,
                                                     login_as):
    alice = make_user("alice@example.com", "client", account="Acme Ltd")
    login_as(client, alice)
    result = run(csv_file(f"{HEADER}Alice@Example.com,Eve,Imposter,subscribed,{PAY},\n"))
    assert result.exit_code == 0, result.output
    role, name, grants = state(app)["alice@example.com"]
    assert (role, name) == ("client", "")
    assert grants == ("client:acme-ltd", "clients", "newsletter:payments")

    result = run(csv_file(f"{HEADER}alice@example.com,,,bounced,{PAY},\n"))
    assert result.exit_code == 0, result.output
    assert state(app)["alice@example.com"][2] == ("client:acme-ltd", "clients")
    assert signed_in_email(app, client) == "alice@example.com"  # a client is not signed out


def test_subscriber_names_follow_the_crm(app, run, csv_file):
    run(csv_file(f"{HEADER}sub@example.com,Sue,,subscribed,{PAY},\n"))
    result = run(csv_file(f"{HEADER}sub@example.com,=Susan,Smith,subscribed,{PAY},\n"))
    assert "updated 1, granted 0" in result.stdout
    assert state(app)["sub@example.com"][1] == "Susan Smith"
    run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n"))  # a blank name keeps it
    assert state(app)["sub@example.com"][1] == "Susan Smith"


def test_prune_removes_newsletter_grants_of_absent_users_only(app, run, csv_file, make_user):
    make_user("gone@example.com", "subscriber", audiences=("newsletter:payments",))
    make_user("client@example.com", "client", audiences=("newsletter:store-setup",))
    make_user("staff@example.com", "staff")
    export = csv_file(f"{HEADER}kept@example.com,,,subscribed,{PAY},\n")

    without = run(export)
    assert without.exit_code == 0
    assert state(app)["gone@example.com"][2] == ("newsletter:payments",)

    pruned = run(export, "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "updated 2, granted 0, removed 2" in pruned.stdout and "2 pruned" in pruned.stdout
    after = state(app)
    assert after["gone@example.com"][2] == ()
    assert after["client@example.com"][2] == ("client:test-client", "clients")
    assert after["kept@example.com"][2] == ("newsletter:payments",)
    assert after["staff@example.com"][2] == ()


def test_prune_with_an_empty_export_is_refused(app, run, csv_file, make_user):
    make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))
    result = run(csv_file(HEADER), "--prune")
    assert result.exit_code == 2
    assert "refusing to --prune every subscriber" in result.stderr
    assert state(app)["sub@example.com"][2] == ("newsletter:payments",)


def test_dry_run_changes_nothing(app, run, make_user):
    make_user("pieter@example.com", "subscriber", audiences=("newsletter:store-setup",))
    before, events = state(app), audit_actions(app)
    result = run(DATA / "fluentcrm_contacts.csv", "--dry-run", "--prune")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dry run, nothing was changed: would have added 1, updated 1")
    assert state(app) == before and audit_actions(app) == events


def test_a_bad_file_changes_nothing_and_lists_every_bad_row(app, run, csv_file, make_user):
    make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))
    before, events = state(app), audit_actions(app)
    export = csv_file(
        f"{HEADER}new@example.com,,,subscribed,{PAY},\n"
        f"sub@example.com,,,unsubscribed,{PAY},\n"
        f"two@@example.com,,,subscribed,{PAY},\n"
        f"x@example.com,,,gone,{PAY},\n",
        name="contacts.csv",
    )
    result = run(export, "--prune")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {export}: 2 bad rows; nothing was changed"
    assert lines[1].startswith("  row 4: email 'two@@example.com'")
    assert lines[2].startswith("  row 5: status 'gone'")
    assert result.stdout == ""
    assert state(app) == before and audit_actions(app) == events


def test_a_failure_half_way_rolls_the_whole_import_back(app, run, csv_file, monkeypatch):
    from gate import fluentcrm

    real = fluentcrm.new_subscriber
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(fluentcrm, "new_subscriber", flaky)
    result = run(csv_file(f"{HEADER}a@example.com,,,subscribed,{PAY},\n"
                          f"b@example.com,,,subscribed,{PAY},\n"))
    assert isinstance(result.exception, RuntimeError)
    assert state(app) == {} and audit_actions(app) == []


def test_an_expired_section_is_renewed_and_a_revoked_user_stays_revoked(app, run, csv_file,
                                                                        make_user):
    from gate.accounts import services as accounts
    from gate.db import get_session

    user = make_user("sub@example.com", "subscriber")
    with app.app_context():
        db = get_session()
        row = db.get(User, user.id)
        accounts.grant(db, row, "newsletter:payments", utcnow() - timedelta(days=1))
        row.active = False
        db.commit()
    result = run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n"))
    assert "granted 1" in result.stdout
    with app.app_context():
        row = get_session().get(User, user.id)
        assert row.audiences(utcnow()) == {"newsletter:payments"}
        assert row.active is False
    assert "nothing to change" in run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n")
                                      ).stdout


@pytest.mark.parametrize(
    ("make", "message"),
    (
        (lambda tmp: tmp / "missing.csv", "cannot read"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: _sparse(tmp / "huge.csv", 6 * 1024 * 1024), "the limit is 5,242,880 bytes"),
        (lambda tmp: _bytes(tmp / "latin1.csv", b"Email,Status,Lists\nb\xe9@x.com,subscribed,\n"),
         "not UTF-8 text (line 2)"),
        (lambda tmp: _bytes(tmp / "noemail.csv", b"Name,Status,Lists\nAnn,subscribed,\n"),
         "no Email column"),
    ),
)
def test_unreadable_files_exit_2_with_one_line(app, run, tmp_path, make, message):
    result = run(make(tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr.splitlines()[0]
    assert result.stderr.startswith("error: ")
    assert state(app) == {}


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_custom_map_file_maps_tags(app_config, tmp_path, csv_file):
    from gate import create_app

    custom = tmp_path / "map.toml"
    custom.write_text('[[section]]\nslug = "vip"\ntitle = "VIP"\ntags = ["VIP Reader"]\n')
    app = create_app({**app_config, "NEWSLETTER_MAP_FILE": str(custom)})
    result = app.test_cli_runner().invoke(args=[
        "subscribers", "import",
        str(csv_file(f"{HEADER}v@example.com,,,subscribed,{PAY},vip reader\n")),
    ])
    assert result.exit_code == 0, result.output
    assert state(app)["v@example.com"][2] == ("newsletter:vip",)


@pytest.mark.parametrize(
    ("content", "message"),
    (
        ('[[section]]\nslug = "Bad Slug"\nlists = ["x"]\n', "slug 'Bad Slug'"),
        (None, "cannot be read"),
    ),
)
def test_a_bad_map_file_stops_the_app_from_starting(app_config, tmp_path, content, message):
    from gate import create_app

    path = tmp_path / "map.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="NEWSLETTER_MAP_FILE") as caught:
        create_app({**app_config, "NEWSLETTER_MAP_FILE": str(path)})
    assert message in str(caught.value)


def test_import_before_the_schema_exists_is_refused(app_config, csv_file):
    from gate import create_app

    app = create_app({**app_config, "DATABASE_AUTO_UPGRADE": False})
    result = app.test_cli_runner().invoke(
        args=["subscribers", "import", str(csv_file(f"{HEADER}a@example.com,,,pending,,\n"))]
    )
    assert result.exit_code == 2
    assert "sop-portal db upgrade" in result.stderr


def test_a_large_import_is_quick(app, run, csv_file):
    rows = "".join(f"user{i}@example.com,U,{i},subscribed,{PAY},\n" for i in range(1000))
    result = run(csv_file(HEADER + rows))
    assert result.exit_code == 0, result.output
    assert "added 1000" in result.stdout
    from gate.db import get_session

    with app.app_context():
        assert get_session().scalar(select(func.count(User.id))) == 1000
    assert "unchanged 1000" in run(csv_file(HEADER + rows)).stdout


# ---- FluentCRM as it really is (issue 16) ------------------------------------------------------

def test_item_4_a_backslash_escaped_quote_imports(app, run):
    result = run(DATA / "fluentcrm_export_slice_2.csv")
    assert result.exit_code == 0, result.output
    assert state(app)["oneil@example.com"] == (
        "subscriber", 'Siobhán O\\"Neil', ("newsletter:store-setup",))


def test_item_5_the_exporters_quote_is_removed_from_emails(app, run):
    result = run(DATA / "fluentcrm_export_slice_2.csv")
    assert result.exit_code == 0, result.output
    assert "-dash@example.com" in state(app)
    assert not any(email.startswith("'") for email in state(app))


@pytest.mark.parametrize("language", ("de", "fr", "es"))
def test_item_6_translated_exports_import(app, run, language):
    result = run(DATA / f"fluentcrm_export_{language}.csv")
    assert result.exit_code == 0, result.output
    assert "added 4, updated 0, granted 5, removed 0, unchanged 0, skipped 5" in result.stdout
    assert state(app)["thandi.nkosi@example.co.za"][2] == (
        "newsletter:payments", "newsletter:store-setup")


def test_item_7_slices_imported_together_are_pruned_together(app, run, make_user):
    slices = (DATA / "fluentcrm_export_slice_1.csv", DATA / "fluentcrm_export_slice_2.csv")
    assert run(*slices).exit_code == 0
    make_user("left@example.com", "subscriber", audiences=("newsletter:payments",))
    before = state(app)
    result = run(*slices, "--prune")
    assert result.exit_code == 0, result.output
    assert "1 pruned" in result.stdout
    after = state(app)
    assert after["left@example.com"][2] == ()
    assert {e: g for e, g in after.items() if e != "left@example.com"} == {
        e: g for e, g in before.items() if e != "left@example.com"}
    assert after["pieter@example.com"][2] == ("newsletter:payments",)  # slice 1
    assert after["-dash@example.com"][2] == ("newsletter:payments",)  # slice 2


def test_item_7_a_bad_row_in_any_slice_changes_nothing(app, run, csv_file, make_user):
    make_user("pieter@example.com", "subscriber", audiences=("newsletter:store-setup",))
    before = state(app)
    bad = csv_file(f"{HEADER}pieter@example.com,,,unsubscribed,{PAY},\nx@@y.com,,,pending,,\n",
                   name="slice-3.csv")
    result = run(DATA / "fluentcrm_export_slice_1.csv", bad, "--prune")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: fluentcrm_export_slice_1.csv, slice-3.csv: 2 bad rows")
    assert lines[1] == ("  slice-3.csv row 2: pieter@example.com is also on "
                        "fluentcrm_export_slice_1.csv row 3 with a different status")
    assert lines[2].startswith("  slice-3.csv row 3: email 'x@@y.com'")
    assert state(app) == before


def test_item_7_the_size_error_says_to_import_the_slices_together(app, run, tmp_path):
    result = run(_sparse(tmp_path / "huge.csv", 6 * 1024 * 1024))
    assert "import every slice in one command" in result.stderr


def test_the_import_and_the_webhook_give_the_same_grants(app_config, tmp_path):
    """Every contact of the awkward export, by import, by webhook (JSON, form) and by
    events: the same users and grants whichever path brings them."""
    from gate import create_app

    path = tmp_path / "map.toml"
    path.write_text(shapes.VIP_MAP, encoding="utf-8")
    contacts = shapes.DEMO + shapes.EDGE

    def fresh(name: str):
        config = {**app_config, "NEWSLETTER_MAP_FILE": str(path),
                  "FLUENTCRM_WEBHOOK_SECRET": "s" * 20,
                  "DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3"}
        return create_app(config)

    imported = fresh("import")
    export = tmp_path / "export.csv"
    export.write_text(shapes.export_csv(contacts, language="de"), encoding="utf-8")
    result = imported.test_cli_runner().invoke(args=["subscribers", "import", str(export)])
    assert result.exit_code == 0, result.output

    for name, encode, content_type in (
        ("json", shapes.json_encode, "application/json"),
        ("form", shapes.http_build_query, "application/x-www-form-urlencoded"),
    ):
        hooked = fresh(name)
        client = hooked.test_client()
        for contact in contacts:
            response = client.post("/hooks/fluentcrm", data=encode(shapes.custom_body(contact)),
                                   content_type=content_type,
                                   headers={"X-Webhook-Secret": "s" * 20})
            assert response.status_code in (200, 422), response.get_data(as_text=True)
        assert state(hooked) == state(imported), name
    assert state(imported)["vip@example.com"] == ("subscriber", "Vera", ("newsletter:vip",))
