"""Downloads: attachment with a safe file name, type, nosniff, ETag, Range, audit, nginx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from members_support import write_tree

from gate.members import content_disposition, content_type

HOSTILE = 'we"ird; name\\ 100% ü.csv'
BODY = b"gateway,fee\n" + b"row,1\n" * 50


@pytest.fixture
def app_config(app_config, tree):
    write_tree(tree, {
        f"files/{HOSTILE}": BODY,
        f"files/{HOSTILE}.meta.yml": "title: Hostile\naccess: [clients]\n",
        "files/cr\r\nlf.txt": b"x",
        "files/cr\r\nlf.txt.meta.yml": "access: [clients]\n",
    })
    return {**app_config, "RESTRICTED_DIR": str(tree)}


@pytest.mark.parametrize(
    ("name", "fallback", "encoded"),
    [
        ("form.docx", "form.docx", "form.docx"),
        ("a b.pdf", "a b.pdf", "a%20b.pdf"),
        ("ünïcode.csv", "_n_code.csv", "%C3%BCn%C3%AFcode.csv"),
        ('q"uote.txt', "q_uote.txt", "q%22uote.txt"),
        ("cr\r\nSet-Cookie: a=b.txt", "crSet-Cookie_ a_b.txt", "crSet-Cookie%3A%20a%3Db.txt"),
        ("semi;colon\\back%.txt", "semi_colon_back_.txt", "semi%3Bcolon%5Cback%25.txt"),
        ("\r\n", "download", "download"),
    ],
)
def test_content_disposition(name, fallback, encoded):
    value = content_disposition(name)
    assert value == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    assert "\r" not in value and "\n" not in value
    assert value.count('"') == 2


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("a.CSV", "text/csv; charset=utf-8"),
        ("a.pdf", "application/pdf"),
        ("a.unknownext", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_types(name, media_type):
    assert content_type(name) == media_type


def test_download_headers_with_a_hostile_name(client, sign_in, audit_log):
    user = sign_in("client")
    response = client.get("/members/files/" + quote(HOSTILE))
    assert response.status_code == 200
    assert response.data == BODY
    assert response.headers["Content-Disposition"] == content_disposition(HOSTILE)
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.mimetype == "text/csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.headers["Vary"]
    assert response.headers.get("ETag")
    events = [(e.user_id, e.target, e.outcome) for e in audit_log("download")]
    assert events == [(user.id, f"files/{HOSTILE}", "ok")]


def test_unreachable_control_character_names_are_404_not_5xx(client, sign_in):
    sign_in("staff")
    assert client.get("/members/files/" + quote("cr\r\nlf.txt")).status_code == 404


def test_etag_and_range(client, sign_in, audit_log):
    sign_in("client")
    url = "/members/files/forms/form.docx"
    full = client.get(url)
    etag = full.headers["ETag"]
    assert full.headers["Accept-Ranges"] == "bytes"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    part = client.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206
    assert part.data == b"PK\x03\x04"
    assert part.headers["Content-Range"].startswith("bytes 0-3/")
    assert part.headers["Content-Disposition"].startswith("attachment;")
    bad = client.get(url, headers={"Range": "bytes=99999-"})
    assert bad.status_code == 416
    actions = [(e.outcome, e.detail) for e in audit_log("download")]
    assert actions == [("ok", ""), ("ok", "range bytes=0-3")]


def test_head_is_not_audited_as_a_download(client, sign_in, audit_log):
    sign_in("client")
    assert client.head("/members/files/forms/form.docx").status_code == 200
    assert audit_log("download") == []


def test_x_accel_redirect(app, client, sign_in, audit_log):
    app.config["USE_X_ACCEL_REDIRECT"] = True
    sign_in("client")
    response = client.get("/members/files/" + quote(HOSTILE))
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"] == "/_protected/" + quote(HOSTILE)
    assert response.headers["Content-Disposition"] == content_disposition(HOSTILE)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert len(audit_log("download")) == 1
    denied = client.get("/members/files/payments/sheet.csv")
    assert denied.status_code == 403 and "X-Accel-Redirect" not in denied.headers
