"""The members blueprint on a real build: who gets what, spellings, downloads, per-reader
navigation, search index and sitemap, and that one client account's items reach nobody else."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pytest

from tests.members.conftest import ACME_TITLE

DEMO = "/members/accounts/demo-client/project-notes/"
ACME = "/members/accounts/acme/notes/"
FORM = "/members/files/forms/plugin-setup-form.docx"
PAYMENTS_SHEET = "/members/files/newsletter/payments/gateway-comparison-worksheet.docx"


@pytest.mark.parametrize(
    ("persona", "path", "status"),
    [
        ("anonymous", "/members/", 302),
        ("anonymous", "/members/clients/", 302),
        ("anonymous", ACME, 302),
        ("anonymous", FORM, 302),
        ("anonymous", "/members/no-such-page/", 404),
        ("client", "/members/", 200),
        ("client", "/members/clients/billing-and-payments/", 200),
        ("client", DEMO, 200),
        ("client", ACME, 404),  # another account's page does not exist for this reader
        ("client", "/members/newsletter/payments/", 403),
        ("client", "/members/staff/billing-run-checklist/", 403),
        ("client", FORM, 200),
        ("client", PAYMENTS_SHEET, 403),
        ("acme", ACME, 200),
        ("acme", DEMO, 404),
        ("payments", "/members/newsletter/payments/choosing-a-payment-gateway/", 200),
        ("payments", PAYMENTS_SHEET, 200),
        ("payments", "/members/clients/", 403),
        ("payments", "/members/newsletter/store-setup/", 403),
        ("store-setup", "/members/newsletter/store-setup/launch-day-checklist/", 200),
        ("staff", "/members/staff/billing-run-checklist/", 200),
        ("staff", ACME, 200),
        ("staff", DEMO, 200),
        ("staff", "/members/no-such-page/", 404),
    ],
)
def test_who_gets_what(members, persona, path, status):
    assert members.client(persona).get(path).status_code == status


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/members/clients/fluent-boards", 308),  # the built page's address ends in a slash
        ("/members/clients/Fluent-Boards/", 404),
        ("/members/clients//fluent-boards/", 404),
        ("/members/clients/fluent-boards/index.html", 404),
        ("/members/clients/fluent-boards.md", 404),
        ("/members/clients/fluent-boards/;x", 404),
        ("/members/clients/fluent-boards%3B/", 404),
        ("/members/clients/fluent-boards%23/", 404),
        ("/members/clients/../staff/billing-run-checklist/", 404),
        ("/members/clients/%2e%2e/staff/billing-run-checklist/", 404),
        ("/members/clients\\..\\staff/", 404),
        ("/members/files/forms/plugin-setup-form.docx.meta.yml", 404),
        ("/members/files/FORMS/plugin-setup-form.docx", 404),
        ("/members/.catalogue.json", 404),
        ("/members/.csp.json", 404),
        ("/members/clients/fluent-boards/%00", 404),
        ("/members/sitemap.xml.gz", 404),
        ("/members/404.html", 404),
    ],
)
def test_only_catalogue_keys_are_served(members, path, status):
    assert members.client("payments").get(path).status_code == status


def test_slashless_address_redirects_to_the_page(members):
    response = members.client("client").get("/members/clients/fluent-boards?x=1")
    assert response.headers["Location"] == "/members/clients/fluent-boards/?x=1"


def test_anonymous_json_gets_401_and_people_get_sign_in(members):
    anonymous = members.client("anonymous")
    assert anonymous.get(DEMO, headers={"Accept": "application/json"}).status_code == 401
    location = anonymous.get(DEMO).headers["Location"]
    assert location == "/auth/login?next=%2Fmembers%2Faccounts%2Fdemo-client%2Fproject-notes%2F"


def test_refusal_says_who_opens_it_and_how(members):
    page = members.client("payments").get("/members/clients/fluent-boards/").get_data(True)
    assert "registered clients" in page
    assert "How to get access" in page
    assert "payments@example.com" in page


@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE"])
def test_other_methods_are_refused(members, method):
    assert members.client("client").open(DEMO, method=method).status_code == 405


def test_every_answer_is_private_but_theme_assets(members):
    client = members.client("client")
    for path in ("/members/", DEMO, ACME, "/members/nothing/", FORM):
        headers = client.get(path).headers
        assert headers["Cache-Control"] == "private, no-store", path
        assert "Cookie" in headers["Vary"], path
    page = client.get(DEMO).get_data(True)
    stylesheet = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    asset = client.get(urljoin(DEMO, stylesheet))
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"].startswith("public")


def test_download_is_an_audited_attachment(members):
    from gate import audit
    from gate.db import get_session

    response = members.client("client").get(FORM)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="plugin')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data[:2] == b"PK"
    with members.app.app_context():
        events = [e for e in audit.events(get_session()) if e.action == "download"]
    assert events[-1].target == "files/forms/plugin-setup-form.docx"
    assert events[-1].email == "client@example.com"


def test_download_is_refused_when_it_cannot_be_audited(members, monkeypatch):
    from gate import audit

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    response = members.client("client").get(FORM)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert not response.data.startswith(b"PK")


def test_range_request_gets_part_of_a_download(members):
    response = members.client("client").get(FORM, headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert len(response.data) == 10


# --- what each reader can read -------------------------------------------------------------

READABLE = [
    "/members/", "/members/clients/", DEMO, "/members/no-such-page/",
    "/members/search/search_index.json", "/members/sitemap.xml", "/auth/login",
    "/members/newsletter/payments/",
]


@pytest.mark.parametrize("persona", ["client", "payments", "store-setup", "anonymous"])
def test_another_accounts_title_reaches_nobody_else(members, persona, site_dir_of_build):
    client = members.client(persona)
    for path in READABLE:
        body = client.get(path).get_data(as_text=True)
        assert ACME_TITLE not in body, (persona, path)
        assert "Acme" not in body, (persona, path)
        assert "accounts/acme/" not in body, (persona, path)  # nor its address (prev/next)
        if persona != "client":
            assert "demo-client" not in body.replace("next=%2Fmembers%2Faccounts%2Fdemo-client",
                                                     ""), (persona, path)
    for page in site_dir_of_build.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".json", ".xml"}:
            assert "Acme" not in page.read_text(encoding="utf-8", errors="replace"), page


@pytest.fixture
def site_dir_of_build(two_accounts):
    return two_accounts.site_dir


@pytest.mark.parametrize(
    ("persona", "present", "absent"),
    [
        ("client", ["Billing and payments for clients", "Demo Client: project notes"],
         ["Billing run checklist", "Choosing a payment gateway"]),
        ("payments", ["Choosing a payment gateway", "More with access"],
         ["Billing and payments for clients", "Launch-day checklist", "Demo Client"]),
        ("staff", ["Billing run checklist", ACME_TITLE, "Launch-day checklist"],
         ["More with access"]),
    ],
)
def test_the_members_home_lists_what_the_reader_may_open(members, persona, present, absent):
    page = members.client(persona).get("/members/").get_data(as_text=True)
    for title in present:
        assert title in page, title
    for title in absent:
        assert title not in page.split('id="more-with-access"')[0], title
    assert "<!--sop:" not in page


def test_locked_audience_wide_items_are_teasers_with_help(members):
    page = members.client("payments").get("/members/").get_data(as_text=True)
    locked = page.split('id="more-with-access"', 1)[1]
    assert "Billing and payments for clients" in locked
    assert "/members/clients/billing-and-payments/" not in locked
    assert ACME_TITLE not in locked
    assert locked.count("Clients sign in with the account") == 1


@pytest.mark.parametrize(
    ("persona", "readable"),
    [
        ("payments", lambda page: page.startswith("newsletter/payments/")),
        ("acme", lambda page: page.startswith(("clients/", "accounts/acme/"))),
        ("staff", lambda page: True),
    ],
)
def test_search_index_holds_only_readable_pages(members, persona, readable):
    data = json.loads(members.client(persona).get("/members/search/search_index.json").data)
    pages = {doc["location"].split("#", 1)[0] for doc in data["docs"]}
    assert pages
    assert all(readable(page) for page in pages), pages
    assert ("accounts/acme/notes/" in pages) == (persona in ("acme", "staff"))


def test_search_index_needs_sign_in(members):
    response = members.client("anonymous").get("/members/search/search_index.json")
    assert response.status_code == 401


def test_sitemap_lists_only_readable_pages(members):
    sitemap = members.client("payments").get("/members/sitemap.xml").get_data(as_text=True)
    assert "/members/newsletter/payments/" in sitemap
    assert "/members/clients/" not in sitemap
    assert "accounts/" not in sitemap


def test_old_search_address_opens_material_search(members):
    response = members.client("client").get("/members/search?q=debit+order")
    assert response.headers["Location"] == "/members/?q=debit+order"


def test_members_home_as_json(members):
    data = members.client("payments").get("/members/", headers={"Accept": "application/json"})
    body = data.get_json()
    assert {p["url"] for p in body["pages"]} >= {"/members/newsletter/payments/"}
    assert all(not item["url"].startswith("/members/accounts/") for item in body["locked"])
