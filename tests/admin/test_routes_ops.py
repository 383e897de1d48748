"""The audit, mail and import pages (gate/admin/routes_ops.py, gate/admin/imports.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, MailMessage, User
from tests.admin.conftest import post, text

DATA = Path(__file__).resolve().parent.parent / "data"


def _rows(response) -> str:
    """The text of the page without the filter form (its choices name every action)."""
    import re

    html = response.get_data(as_text=True)
    after = html.split('class="sop-filters"', 1)[-1].split("</form>", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", after).split())


@pytest.fixture
def trail(runner, customer, reader):
    """A few audit events, one with a formula-looking target."""
    runner.invoke(args=["users", "grant", customer.email, "newsletter:payments"])
    runner.invoke(args=["users", "revoke", reader.email])
    runner.invoke(args=["users", "edit", customer.email, "--name", "=HYPERLINK(1)"])


@pytest.mark.parametrize(("query", "found", "missing"), [
    ("action=user.revoke", ["sub@example.com"], ["grant.add"]),
    ("user=ann", ["grant.add"], ["user.revoke"]),
    ("since=2000-01-01&until=2000-01-02", ["0 events"], ["grant.add"]),
    ("since=yesterday", ["Not a valid date value"], []),
])
def test_audit_filters(staff_client, trail, query, found, missing):
    response = staff_client.get(f"/admin/audit?{query}")
    assert response.status_code == (400 if "yesterday" in query else 200)
    body = text(response) if response.status_code == 400 else _rows(response)
    for word in found:
        assert word in body
    for word in missing:
        assert word not in body


def test_audit_filter_by_user_id(staff_client, trail, customer):
    body = _rows(staff_client.get(f"/admin/audit?user=%23{customer.id}"))
    assert "grant.add" in body and "user.revoke" not in body


def test_audit_exports_the_filter_as_csv_and_json(peek, staff_client, trail):
    response = staff_client.get("/admin/audit?user=ann&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["action"] for r in rows} == {"grant.add", "user.edit"}
    assert all(not r["detail"].startswith(("=", "+", "-", "@")) for r in rows)
    data = json.loads(staff_client.get("/admin/audit?action=user.revoke&format=json").data)
    assert [e["action"] for e in data] == ["user.revoke"]
    assert staff_client.get("/admin/audit?format=xml").status_code == 400
    exports = peek(lambda db: list(db.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.export"))))
    assert len(exports) == 2 and exports[0].email == "boss@example.com"


def test_mail_page_shows_failures_and_retries(app, peek, staff_client):
    def failed(db):
        db.add(MailMessage(to_addr="x@example.com", subject="Hello", body="b", status="failed",
                           attempts=6, last_error="SMTPRecipientsRefused: no such user"))
        db.commit()

    peek(failed)
    body = text(staff_client.get("/admin/mail?status=failed"))
    assert "x@example.com" in body and "SMTPRecipientsRefused: no such user" in body
    assert staff_client.get("/admin/mail?status=lost").status_code == 400
    message_id = peek(lambda db: db.scalar(select(MailMessage.id)))
    response = post(staff_client, f"/admin/mail/{message_id}/retry", form_path="/admin/mail")
    assert response.status_code == 303
    assert peek(lambda db: db.get(MailMessage, message_id).status) == "sent"
    again = post(staff_client, f"/admin/mail/{message_id}/retry", form_path="/admin/mail")
    assert again.status_code == 409
    assert post(staff_client, "/admin/mail/999/retry", form_path="/admin/mail"
                ).status_code == 404
    assert post(staff_client, "/admin/mail/retry", form_path="/admin/mail").status_code == 303


def _upload(client, data: bytes, name: str = "contacts.csv", **fields):
    from tests.conftest import form_csrf_token

    token = form_csrf_token(client, "/admin/import")
    return client.post("/admin/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data")


def test_import_previews_then_applies(peek, staff_client):
    data = (DATA / "fluentcrm_contacts.csv").read_bytes()
    before = peek(lambda db: len(list(db.scalars(select(User)))))
    preview = _upload(staff_client, data)
    assert preview.status_code == 200, text(preview)[:3000]
    body = preview.get_data(as_text=True)
    assert "Nothing has changed yet" in body and "Apply these changes" in body
    assert peek(lambda db: len(list(db.scalars(select(User))))) == before
    import re

    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', body).group(1)
    applied = post(staff_client, "/admin/import/apply", {"upload": upload, "prune": ""},
                   form_path="/admin/import")
    assert applied.status_code == 200 and "Applied:" in text(applied)
    assert peek(lambda db: len(list(db.scalars(select(User))))) > before
    again = post(staff_client, "/admin/import/apply", {"upload": upload, "prune": ""},
                 form_path="/admin/import")
    assert again.status_code == 400 and "upload the file again" in text(again)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Choose the CSV file to upload."),
    (b"Name,Status\nAnn,subscribed\n", "Email"),
    (b"Email,Status,Lists\nann@@example.com,subscribed,Payments\n", "row 2"),
    (b"\xff\xfe\x00bad", "nothing was changed"),
])
def test_bad_uploads_change_nothing_and_say_why(peek, staff_client, data, message):
    before = peek(lambda db: len(list(db.scalars(select(User)))))
    response = _upload(staff_client, data) if data else staff_client.post(
        "/admin/import", data={"csrf_token": _token(staff_client)},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text(response)
    assert peek(lambda db: len(list(db.scalars(select(User))))) == before


def _token(client) -> str:
    from tests.conftest import form_csrf_token

    return form_csrf_token(client, "/admin/import")


@pytest.mark.parametrize("upload", ["x", "../../etc/passwd", "A" * 40])
def test_unknown_uploads_are_refused(staff_client, upload):
    response = post(staff_client, "/admin/import/apply", {"upload": upload},
                    form_path="/admin/import")
    assert response.status_code == 400
