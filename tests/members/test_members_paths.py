"""Table-driven path tests on one shared app: who gets what, variants of a restricted path,
traversal in every spelling, HEAD/OPTIONS/Range, cache headers."""

from __future__ import annotations

import pytest
from members_support import SECRET


@pytest.mark.parametrize(
    ("persona", "path", "status"),
    [
        ("anonymous", "/members/", 302),
        ("anonymous", "/members/guide", 302),
        ("anonymous", "/members/files/forms/form.docx", 302),
        ("anonymous", "/members/search?q=x", 302),
        ("anonymous", "/members/no-such-page", 404),
        ("client", "/members/guide", 200),
        ("client", "/members/team/", 200),
        ("client", "/members/acme/notes", 403),
        ("client", "/members/payments/tips", 403),
        ("client", "/members/staff-only", 403),
        ("client", "/members/files/payments/sheet.csv", 403),
        ("acme", "/members/acme/notes", 200),
        ("payments", "/members/payments/tips", 200),
        ("payments", "/members/files/payments/sheet.csv", 200),
        ("payments", "/members/guide", 403),
        ("store-setup", "/members/payments/tips", 403),
        ("staff", "/members/staff-only", 200),
        ("staff", "/members/acme/notes", 200),
        ("staff", "/members/no-such-page", 404),
    ],
)
def test_statuses(shared_site, persona, path, status):
    assert shared_site.client(persona).get(path).status_code == status


# --- variants of a restricted path -----------------------------------------------------------


VARIANTS = [
    ("/members/guide", 302, 403),
    ("/members/guide?x=../../outside-secret.txt", 302, 403),
    ("/members/%67uide", 302, 403),
    ("/members/files%2Fforms%2Fform.docx", 302, 403),
    ("/members/guide/", 308, 308),
    ("/members//guide", 404, 404),
    ("/members/guide%2F", 308, 308),
    ("/members/Guide", 404, 404),
    ("/members/GUIDE", 404, 404),
    ("/members/guide;jsessionid=1", 404, 404),
    ("/members/guide%3Bx", 404, 404),
    ("/members/guide%23frag", 404, 404),
    ("/members/guide.md", 404, 404),
    ("/members/guide%00", 404, 404),
    ("/members/files/FORMS/form.docx", 404, 404),
    ("/members/files/forms/form.DOCX", 404, 404),
]


@pytest.mark.parametrize(("path", "anonymous", "subscriber"), VARIANTS)
def test_variants_are_gated_like_the_path(shared_site, path, anonymous, subscriber):
    first = shared_site.client("anonymous").get(path)
    assert first.status_code == anonymous
    client = shared_site.client("payments")
    second = client.get(path)
    assert second.status_code == subscriber
    for response in (first, second):
        assert b"Purple elephants" not in response.data and b"PK\x03\x04" not in response.data
    if subscriber == 308:
        final = client.get(path, follow_redirects=True)
        assert final.status_code == 403
        assert b"Purple elephants" not in final.data


# --- traversal -------------------------------------------------------------------------------


TRAVERSAL = [
    "/members/../outside-secret.txt",
    "/members/%2e%2e/outside-secret.txt",
    "/members/files/..%2f..%2foutside-secret.txt",
    "/members/files/%2e%2e%2f%2e%2e%2foutside-secret.txt",
    "/members/files/%252e%252e%252foutside-secret.txt",
    "/members/files/....//....//outside-secret.txt",
    "/members/files/forms/..%5c..%5c..%5coutside-secret.txt",
    "/members/files/forms\\..\\..\\..\\outside-secret.txt",
    "/members/files//etc/passwd",
    "/members/files/%2Fetc%2Fpasswd",
    "/members/files/C:%5CWindows%5Cwin.ini",
    "/members/files/file:%2F%2F%2Fetc%2Fpasswd",
    "/members/files/forms/form.docx%00.txt",
    "/members/files/forms/form.docx%00",
    "/members/files/CON",
    "/members/files/forms/con.docx",
    "/members/files/link-out.txt",
    "/members/files/dirlink/outside-secret.txt",
    "/members/files/.hidden.txt",
    "/members/.secret",
    "/members/files/forms/form.docx~",
    "/members/files/forms/form.docx.bak",
    "/members/files/forms/.form.docx.swp",
    "/members/files/forms/form.docx.meta.yml",
    "/members/guide.md~",
    "/members/files/",
    "/members/files",
    "/members/files/forms",
    "/members/files/forms/",
    "/members/files/%ff%fe",
    "/members/" + "a/" * 300,
]


@pytest.mark.parametrize("path", TRAVERSAL)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_traversal_is_404_and_never_leaks(shared_site, path, method):
    client = shared_site.client("staff")  # staff may open everything: a 200 would be a leak
    response = client.open(path, method=method, follow_redirects=True)
    assert response.status_code == 404
    assert SECRET.encode() not in response.data


# --- HEAD, OPTIONS, Range --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "store-setup"])
@pytest.mark.parametrize("path", ["/members/guide", "/members/files/forms/form.docx"])
def test_head_options_and_range_reveal_nothing_without_access(shared_site, persona, path):
    client = shared_site.client(persona)
    refused = 302 if persona == "anonymous" else 403
    head = client.head(path)
    assert head.status_code == refused and head.data == b""
    assert "Content-Range" not in head.headers and "ETag" not in head.headers
    ranged = client.get(path, headers={"Range": "bytes=0-3"})
    assert ranged.status_code == refused
    assert b"PK\x03\x04" not in ranged.data and "Content-Range" not in ranged.headers
    options = client.options(path)
    unknown = client.options("/members/no-such-item")
    assert options.status_code == unknown.status_code
    assert options.headers.get("Allow") == unknown.headers.get("Allow")
    assert options.data == unknown.data == b""


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("client", "/members/"),
        ("client", "/members/guide"),
        ("client", "/members/files/forms/form.docx"),
        ("client", "/members/search?q=guide"),
        ("client", "/members/acme/notes"),
        ("client", "/members/nope"),
        ("anonymous", "/members/guide"),
        ("anonymous", "/members/%0a"),
    ],
)
def test_restricted_responses_are_private(shared_site, persona, path):
    response = shared_site.client(persona).get(path)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.headers["Vary"]


