"""The caches of the members fast path never serve yesterday's answer.

The catalogue is re-validated by stat on every request (folders, the requested item; every
file for listings), the page HTML is shared by users with the same access, and the signed-in
user is read with ONE query per request. These tests change content, grants and sessions
between two requests and check that the second request sees the change, on both the trusted
(old time stamps) and the untrusted (just written) paths.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from gate import content, members, sessions
from gate.models import Grant

OLD = time.time() - 3600  # older than content.RACY_NS: the cached listing is trusted


@pytest.fixture
def app_config(app_config, tree):
    """Serve the temporary restricted folder instead of the real one."""
    return {**app_config, "RESTRICTED_DIR": str(tree)}


def age(tree: Path) -> None:
    """Give every file and folder of ``tree`` an old modification time."""
    for folder, _dirs, files in os.walk(tree):
        for name in files:
            os.utime(Path(folder) / name, (OLD, OLD))
        os.utime(folder, (OLD, OLD))


def edit_in_place(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` in place (same inode, folder untouched), replacing ``old``."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    with path.open("r+", encoding="utf-8") as handle:
        handle.seek(0)
        handle.write(text.replace(old, new, 1))
        handle.truncate()


def listings(app) -> int:
    return app.extensions["sop_members"].catalogues.listings


# --- content changes -------------------------------------------------------------------------

EDITS = [
    # (file, old text, new text, path, status after)
    ("guide.md", "access: [clients]", "access: [staff]", "/members/guide", 403),
    ("guide.md", "access: [clients]", "access: [\"client:test-client\"]", "/members/guide", 200),
    ("files/forms/form.docx.meta.yml", "access: [clients]", "access: [staff]",
     "/members/files/forms/form.docx", 403),
    ("staff-only.md", "access: [staff]", "access: [clients]", "/members/staff-only", 200),
    # bad input: broken front matter is a clean 503, never the old page
    ("guide.md", "access: [clients]", "access: [clients", "/members/guide", 503),
]


@pytest.mark.parametrize("trusted", [True, False], ids=["old-stamps", "fresh-stamps"])
@pytest.mark.parametrize(("rel", "old", "new", "path", "status"), EDITS)
def test_an_edit_in_place_is_honoured_on_the_next_request(
    app, client, tree, sign_in, trusted, rel, old, new, path, status
):
    sign_in("client")
    if trusted:
        age(tree)
    first = client.get(path)
    assert first.status_code == (403 if "staff-only" in path else 200)
    edit_in_place(tree / rel, old, new)
    assert client.get(path).status_code == status


def test_the_trusted_listing_is_reused_while_nothing_changes(app, client, tree, sign_in):
    sign_in("client")
    age(tree)
    client.get("/members/guide")
    before = listings(app)
    for _ in range(5):
        assert client.get("/members/guide").status_code == 200
        assert client.get("/members/files/forms/form.docx").status_code == 200
    assert listings(app) == before
    (tree / "team" / "extra.md").write_text(
        "---\ntitle: Extra\naccess: [clients]\n---\nNew.\n", encoding="utf-8"
    )
    assert client.get("/members/team/extra").status_code == 200
    assert listings(app) == before + 1


def test_fresh_stamps_are_never_trusted(app, client, tree, sign_in):
    sign_in("client")
    client.get("/members/guide")
    before = listings(app)
    client.get("/members/guide")
    assert listings(app) == before + 1  # just written: listed again


@pytest.mark.parametrize("trusted", [True, False], ids=["old-stamps", "fresh-stamps"])
def test_a_new_page_appears_in_the_page_and_the_navigation(
    client, tree, sign_in, trusted
):
    sign_in("client")
    if trusted:
        age(tree)
    assert client.get("/members/team/new-page").status_code == 404
    assert "New page" not in client.get("/members/guide").get_data(as_text=True)
    (tree / "team" / "new-page.md").write_text(
        "---\ntitle: New page\naccess: [clients]\n---\nHello.\n", encoding="utf-8"
    )
    assert client.get("/members/team/new-page").status_code == 200
    assert "New page" in client.get("/members/guide").get_data(as_text=True)


@pytest.mark.parametrize("trusted", [True, False], ids=["old-stamps", "fresh-stamps"])
@pytest.mark.parametrize(
    ("rel", "path"),
    [
        ("guide.md", "/members/guide"),
        ("files/forms/form.docx", "/members/files/forms/form.docx"),
        ("files/forms/form.docx.meta.yml", "/members/files/forms/form.docx"),
    ],
)
def test_a_deleted_file_is_gone_on_the_next_request(client, tree, sign_in, trusted, rel, path):
    sign_in("client")
    if trusted:
        age(tree)
    assert client.get(path).status_code == 200
    (tree / rel).unlink()
    assert client.get(path).status_code in (404, 503)  # no sidecar: access unknown, 503


def test_the_members_index_sees_an_access_edit_of_any_page(client, tree, sign_in):
    sign_in("client")
    age(tree)
    assert "Client guide" in client.get("/members/").get_data(as_text=True)
    edit_in_place(tree / "guide.md", "access: [clients]", "access: [staff]")
    index = client.get("/members/", headers={"Accept": "application/json"}).get_json()
    assert "Client guide" not in [page["title"] for page in index["pages"]]
    assert "Client guide" in [page["title"] for page in index["locked"]]


def test_search_never_finds_a_page_whose_access_was_narrowed(client, tree, sign_in):
    sign_in("client")
    age(tree)
    assert "Client guide" in client.get("/members/search?q=elephants").get_data(as_text=True)
    edit_in_place(tree / "guide.md", "access: [clients]", "access: [staff]")
    assert "Client guide" not in client.get("/members/search?q=elephants").get_data(
        as_text=True
    )


def test_a_symlink_makes_the_listing_untrusted(tmp_path):
    root = tmp_path / "restricted"
    root.mkdir()
    (root / "real.md").write_text("---\ntitle: R\naccess: [clients]\n---\n", encoding="utf-8")
    (root / "link.md").symlink_to(root / "real.md")
    age(root)
    cache = content.CatalogueCache()
    snap = cache.get(root, frozenset({"payments"}), time.time_ns())
    assert not snap.trusted
    assert cache.get(root, frozenset({"payments"}), time.time_ns()) is not snap


def test_a_missing_folder_is_listed_again_until_it_exists(tmp_path):
    cache = content.CatalogueCache()
    root = tmp_path / "later"
    first = cache.get(root, frozenset(), time.time_ns())
    assert first.catalogue.items == {} and first.catalogue.problems
    root.mkdir()
    (root / "a.md").write_text("---\ntitle: A\naccess: [clients]\n---\n", encoding="utf-8")
    assert "a" in cache.get(root, frozenset(), time.time_ns()).catalogue.items


# --- shared page HTML ------------------------------------------------------------------------


def test_a_cached_page_carries_each_users_own_email_and_navigation(
    app, tree, make_user, login_as
):
    age(tree)
    alice, bob = app.test_client(), app.test_client()
    login_as(alice, make_user("alice@example.com", audiences=["newsletter:payments"]))
    login_as(bob, make_user("bob@example.com"))
    for _ in range(2):
        page_a = alice.get("/members/guide").get_data(as_text=True)
        page_b = bob.get("/members/guide").get_data(as_text=True)
        assert "alice@example.com" in page_a and "bob@example.com" not in page_a
        assert "bob@example.com" in page_b and "alice@example.com" not in page_b
        assert "Payment tips" in page_a and "Payment tips" not in page_b
        assert members.CSRF_SLOT not in page_a + page_b
        assert members.EMAIL_SLOT not in page_a + page_b


def test_the_cached_pages_sign_out_form_works(client, sign_in):
    sign_in("client")
    page = client.get("/members/guide").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    again = client.get("/members/guide").get_data(as_text=True)
    assert token in again  # reused within a minute
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/members/guide").status_code == 302  # signed out


def test_a_bad_csrf_token_on_sign_out_is_refused(client, sign_in):
    sign_in("client")
    client.get("/members/guide")
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/members/guide").status_code == 200


def test_html_in_an_email_is_escaped_in_the_shared_page(app, tree, make_user, login_as):
    client = app.test_client()
    login_as(client, make_user("o'brien+x@example.com"))
    page = client.get("/members/guide").get_data(as_text=True)
    assert "o&#39;brien+x@example.com" in page
    assert "o'brien+x@example.com" not in page


# --- one query per request, revocation on the next ------------------------------------------


@pytest.fixture
def statements(app):
    """Every SQL statement the SQLite driver runs (raw driver queries included)."""
    from gate.db import database

    seen: list[str] = []
    engine = database(app).engine

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(seen.append)

    event.listen(engine, "connect", trace)
    engine.dispose()  # new connections get the callback
    yield seen
    event.remove(engine, "connect", trace)
    engine.dispose()


def _queries(seen: list[str]) -> list[str]:
    return [s for s in seen if s.split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE",
                                                                "DELETE", "WITH"}]


@pytest.mark.parametrize("path", ["/members/guide", "/members/team/"])
def test_a_signed_in_page_costs_one_query(client, tree, sign_in, statements, path):
    sign_in("client")
    age(tree)
    client.get(path)
    statements.clear()
    response = client.get(path)
    assert response.status_code == 200
    queries = _queries(statements)
    assert len(queries) == 1, queries
    assert "login_sessions" in queries[0] and "grants" in queries[0]


def test_a_download_costs_the_lookup_and_its_audit_entry(client, tree, sign_in, statements):
    sign_in("client")
    age(tree)
    client.get("/members/files/forms/form.docx")
    statements.clear()
    assert client.get("/members/files/forms/form.docx").status_code == 200
    kinds = [q.split(None, 1)[0].upper() for q in _queries(statements)]
    assert kinds == ["SELECT", "INSERT"], kinds


def test_other_views_still_load_the_orm_user_in_one_query(app, client, sign_in, statements):
    from gate.models import User

    sign_in("client")
    with client.session_transaction() as session:
        raw = session["_user_id"]
    with app.test_request_context("/auth/password"):
        statements.clear()
        user = sessions.load_user(raw)
        assert isinstance(user, User)
        assert user.audiences(datetime.now(UTC)) >= {"clients"}
        assert len(_queries(statements)) == 1
    with app.test_request_context("/members/guide"):
        member = sessions.load_user(raw)
        assert isinstance(member, sessions.Member)
        assert member.audiences(datetime.now(UTC)) == user.audiences(datetime.now(UTC))
        assert member.get_id() == raw and member.is_active and not member.is_staff


def _revoke(app, email: str, how: str) -> None:
    from gate import accounts
    from gate.db import get_session
    from gate.models import LoginSession

    with app.app_context():
        db = get_session()
        user = accounts.require_user(db, email)
        if how == "deactivate":
            accounts.deactivate(db, user)
        elif how == "ungrant":
            accounts.ungrant(db, user, "clients")
        elif how == "sign-out-everywhere":
            accounts.revoke_sessions(user, db)
        elif how == "expire":
            for row in db.query(LoginSession).filter_by(user_id=user.id):
                row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        elif how == "idle":
            for row in db.query(LoginSession).filter_by(user_id=user.id):
                row.last_seen_at = datetime.now(UTC) - timedelta(days=1)
        elif how == "nothing":  # bad input row: no change, still served
            pass
        db.commit()


@pytest.mark.parametrize(
    ("how", "page", "download"),
    [
        ("deactivate", 302, 302),
        ("ungrant", 403, 403),
        ("sign-out-everywhere", 302, 302),
        ("expire", 302, 302),
        ("idle", 302, 302),
        ("nothing", 200, 200),
    ],
)
def test_revocation_takes_effect_on_the_next_request(
    app, client, tree, sign_in, how, page, download
):
    sign_in("client")
    age(tree)
    assert client.get("/members/guide").status_code == 200
    assert client.get("/members/files/forms/form.docx").status_code == 200
    _revoke(app, "client@example.com", how)
    assert client.get("/members/guide").status_code == page
    assert client.get("/members/files/forms/form.docx").status_code == download


def test_a_password_change_signs_other_browsers_out(app, tree, make_user, login_as):
    from gate import accounts, passwords
    from gate.db import get_session

    other = app.test_client()
    user = make_user("pw@example.com")
    login_as(other, user)
    assert other.get("/members/guide").status_code == 200
    with app.app_context():
        db = get_session()
        found = accounts.require_user(db, "pw@example.com")
        found.password_hash = passwords.hash_password("a new long passphrase 42", app.config)
        accounts.revoke_sessions(found, db)  # what the password change does
        db.commit()
    assert other.get("/members/guide").status_code == 302


def test_the_session_is_touched_after_the_touch_interval(app, client, sign_in):
    from gate.db import get_session
    from gate.models import LoginSession

    app.config["SESSION_TOUCH_SECONDS"] = 0
    sign_in("client")
    with app.app_context():
        before = get_session().query(LoginSession).one().last_seen_at
    time.sleep(0.01)
    assert client.get("/members/guide").status_code == 200
    with app.app_context():
        after = get_session().query(LoginSession).one().last_seen_at
    assert after > before


# --- the read-only member matches the ORM user -------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                       timezones=st.just(UTC))


@given(st.one_of(st.none(), MOMENTS), MOMENTS)
def test_grant_validity_is_the_models_rule(ends_at, now):
    assert sessions.grant_is_valid(ends_at, now) == Grant(ends_at=ends_at).is_valid(now)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02 03:04:05.000006", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)),
        (datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (None, None),
    ],
)
def test_driver_date_times_become_aware_utc(value, expected):
    assert sessions._utc(value) == expected


def test_a_value_that_is_not_a_date_time_is_refused():
    with pytest.raises((TypeError, ValueError)):
        sessions._utc(12)
    with pytest.raises(ValueError):
        sessions._utc("not a date")


@pytest.mark.usefixtures("db_url")
@pytest.mark.parametrize(
    ("how", "status"),
    [("nothing", 200), ("ungrant", 403), ("deactivate", 302), ("expire", 302)],
)
def test_the_driver_level_lookup_on_each_database(app, client, tree, sign_in, how, status):
    """SQLite returns date-times as text and PostgreSQL as objects: both give the same rules."""
    sign_in("client")
    assert client.get("/members/guide").status_code == 200
    _revoke(app, "client@example.com", how)
    assert client.get("/members/guide").status_code == status
