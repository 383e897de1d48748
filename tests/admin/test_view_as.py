"""``/admin/view-as`` (gate/admin/view_as.py): the members area as chosen grants see it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gate.models import AuditEvent


def _start(client, *audiences):
    query = "&".join(f"audience={a}" for a in audiences)
    return client.get(f"/admin/view-as?{query}")


def test_the_chooser_lists_audiences(staff_client, customer):
    body = staff_client.get("/admin/view-as").get_data(as_text=True)
    for audience in ("clients", "client:acme-ltd", "newsletter:payments"):
        assert f'value="{audience}"' in body


def test_viewing_as_a_subscriber_is_audited_and_shows_their_home(peek, staff_client):
    response = _start(staff_client, "newsletter:payments")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/view-as/"
    home = staff_client.get("/admin/view-as/")
    body = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "Viewing as a reader with newsletter:payments" in body
    assert 'href="/members/' not in body
    event = peek(lambda db: db.scalar(select(AuditEvent).where(
        AuditEvent.action == "admin.view_as")))
    assert event.target == "newsletter:payments" and event.email == "boss@example.com"


@pytest.mark.parametrize(("audiences", "path", "status", "words"), [
    (["clients"], "clients/plugin-setup-details/", 200, ["Viewing as", "Plugin setup"]),
    (["newsletter:payments"], "clients/plugin-setup-details/", 200, ["cannot open this page"]),
    (["clients"], "staff/billing-run-checklist/", 200, ["cannot open this page"]),
    (["clients"], "files/forms/plugin-setup-form.docx", 200, ["can download it"]),
    (["newsletter:payments"], "files/forms/plugin-setup-form.docx", 200, ["cannot download"]),
    (["clients"], "no-such-page/", 404, ["Viewing as"]),
    (["clients"], "clients/plugin-setup-details", 308, []),
])
def test_pages_as_the_reader_sees_them(staff_client, audiences, path, status, words):
    _start(staff_client, *audiences)
    response = staff_client.get(f"/admin/view-as/{path}")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    for word in words:
        assert word in body
    assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_the_readers_search_index_holds_only_their_pages(staff_client):
    _start(staff_client, "newsletter:payments")
    index = staff_client.get("/admin/view-as/search/search_index.json").get_json()
    assert not any("plugin-setup" in doc["location"] for doc in index["docs"])


@pytest.mark.parametrize(("query", "message"), [
    ("audience=newsletter:nope", "unknown audience"),
    ("audience=client:ghost", "no client account"),
    ("&".join(["audience=clients"] * 21), "at most 20"),
])
def test_bad_audiences_are_refused(staff_client, query, message):
    response = staff_client.get(f"/admin/view-as?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_browsing_without_choosing_goes_to_the_chooser(staff_client):
    response = staff_client.get("/admin/view-as/clients/")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/view-as"
