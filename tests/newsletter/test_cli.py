"""`sop-portal subscribers import`: the real SQLite file through the app and the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from gate.models import User
from tests.newsletter.helpers import DATA, HEADER, PAY, audit_actions, state


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
