"""The /members gate on a small temporary restricted folder: statuses, variants, traversal,
headers, the 403 page and its audit entry, search, broken content, the render cache."""

from __future__ import annotations

import os

import pytest

from gate import members


@pytest.fixture
def app_config(app_config, tree):
    """Serve the temporary restricted folder instead of the real one."""
    return {**app_config, "RESTRICTED_DIR": str(tree)}


# --- who gets what ---------------------------------------------------------------------------


def test_anonymous_goes_to_sign_in_with_a_safe_next(client):
    response = client.get("/members/guide?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fmembers%2Fguide%3Ftab%3D2"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Requested-With": "XMLHttpRequest"},
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
        {"Sec-Fetch-Mode": "same-origin", "Sec-Fetch-Dest": "empty"},
        {"Accept": "application/json"},
    ],
)
def test_anonymous_background_requests_get_401(client, headers):
    for path in ("/members/guide", "/members/files/forms/form.docx", "/members/"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_full_page_navigation_is_not_a_background_request(client):
    headers = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
               "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert client.get("/members/guide", headers=headers).status_code == 302


def test_material_never_fetches_members_pages_in_the_background(site_dir):
    """Instant navigation only intercepts links listed in the sitemap: no gate URL is there."""
    sitemap = (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    assert "/members" not in sitemap and "/auth/" not in sitemap


# --- 403 -------------------------------------------------------------------------------------


def test_denied_page_says_who_and_how_and_is_audited(client, sign_in, audit_log):
    user = sign_in("payments")
    response = client.get("/members/guide")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Client guide" in page and "registered clients" in page
    assert "How to get access" in page and "invitation" in page
    assert "Purple elephants" not in page
    events = audit_log("access_denied")
    assert [(e.user_id, e.target, e.outcome) for e in events] == [(user.id, "guide.md", "denied")]
    assert "clients" in events[0].detail


def test_denied_json_says_who(client, sign_in):
    sign_in("client")
    response = client.get("/members/payments/tips", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert "Payments section" in response.get_json()["error"]["message"]


# --- headers ---------------------------------------------------------------------------------


def test_pages_carry_the_strict_csp_and_the_chrome_script_is_allowed(client, sign_in):
    sign_in("client")
    response = client.get("/members/guide")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-inline'" not in script_src
    with client.application.app_context():
        chrome = members.state().chrome.get(members.resolve_path(
            client.application.config["SITE_DIR"]))
    for digest in chrome.script_hashes:
        assert f"'{digest}'" in script_src


# --- pages -----------------------------------------------------------------------------------


def test_page_in_the_sites_look(client, sign_in):
    sign_in("client")
    page = client.get("/members/team/").get_data(as_text=True)
    assert 'class="md-header' in page and "/assets/stylesheets/main." in page
    assert "Who can see this" in page and "registered clients" in page
    assert 'action="/auth/logout"' in page and 'name="csrf_token"' in page
    assert 'href="/members/guide"' in page  # relative .md link rewritten
    assert 'href="/members/files/forms/form.docx"' in page
    # navigation: only pages this user may open
    assert "Client guide" in page and "Acme notes" not in page and "Payment tips" not in page
    assert "Staff runbook" not in page


def test_page_lists_its_downloads(client, sign_in):
    sign_in("client")
    page = client.get("/members/guide").get_data(as_text=True)
    assert "Purple elephants" in page
    assert 'href="/members/files/forms/form.docx" download' in page


def test_index_groups(client, sign_in):
    sign_in("payments")
    page = client.get("/members/").get_data(as_text=True)
    yours = page.split('id="your-pages"')[1].split('id="downloads"')[0]
    downloads = page.split('id="downloads"')[1].split('id="locked"')[0]
    locked = page.split('id="locked"')[1]
    assert "Payment tips" in yours and "Client guide" not in yours
    assert "Fee sheet" in downloads and "Setup form" not in downloads
    assert "Client guide" in locked and "How clients work with us." in locked
    assert "registered clients" in locked and "invitation" in locked
    assert "Purple elephants" not in page


def test_staff_index_has_everything_and_nothing_locked(client, sign_in):
    sign_in("staff")
    page = client.get("/members/").get_data(as_text=True)
    assert 'id="locked"' not in page
    for title in ("Client guide", "Acme notes", "Payment tips", "Staff runbook", "Fee sheet"):
        assert title in page


def test_index_json(client, sign_in):
    sign_in("client")
    body = client.get("/members/", headers={"Accept": "application/json"}).get_json()
    assert {p["url"] for p in body["pages"]} == {"/members/guide", "/members/team/"}
    assert "/members/payments/tips" in {p["url"] for p in body["locked"]}


def test_gate_pages_work_without_a_built_site(app_config, tree, make_user, login_as, tmp_path):
    from gate import create_app

    app = create_app({**app_config, "SITE_DIR": str(tmp_path / "no-site")})
    client = app.test_client()
    user = make_user("plain@example.com")
    login_as(client, user)
    response = client.get("/members/guide")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "sop-gate-plain" in page and "Purple elephants" in page and "Sign out" in page


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "query", "titles"),
    [
        ("client", "purple", ["Client guide"]),
        ("client", "GATEWAYS", []),  # in a payments page: never found by a client
        ("payments", "gateways", ["Payment tips"]),
        ("payments", "purple", []),
        ("acme", "renewal march", ["Acme notes"]),
        ("client", "renewal", []),
        ("staff", "renewal", ["Acme notes"]),
        ("client", "", []),
    ],
)
def test_search_covers_only_what_the_user_may_open(client, sign_in, persona, query, titles):
    sign_in(persona)
    response = client.get("/members/search", query_string={"q": query},
                          headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert [r["title"] for r in response.get_json()["results"]] == titles


def test_search_page_shows_snippets_and_refuses_bad_queries(client, sign_in):
    sign_in("client")
    page = client.get("/members/search?q=elephants").get_data(as_text=True)
    assert '<a href="/members/guide">Client guide</a>' in page
    assert "<mark>elephants</mark>" in page
    assert 'data-md-component="search"' not in page  # Material's own ?q= search stays closed
    too_long = client.get("/members/search", query_string={"q": "x" * 500})
    assert too_long.status_code == 400
    assert "longer than" in too_long.get_data(as_text=True)


# --- broken content at run time, render cache ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"---\ntitle: Broken\naccess: [clients]\n---\nBad byte \xff here\n", "not valid UTF-8"),
        (b"---\ntitle: [unclosed\naccess: [clients]\n---\nbody\n", "broken front matter"),
        (b"---\ntitle: No access\n---\nbody\n", "access is missing"),
        (b"no front matter at all\n", "no front matter"),
    ],
)
def test_broken_file_gives_a_clean_page_and_other_pages_keep_working(
    client, sign_in, tree, audit_log, caplog, content, reason
):
    (tree / "broken.md").write_bytes(content)
    sign_in("client")
    response = client.get("/members/broken")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "temporarily unavailable" in page and "Traceback" not in page
    assert 'class="md-header' in page
    events = audit_log("content_error")
    assert len(events) == 1 and reason in events[0].detail
    assert any(reason in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert client.get("/members/guide").status_code == 200
    assert client.get("/members/").status_code == 200
    assert client.get("/members/search?q=guide").status_code == 200


def test_broken_file_refuses_anonymous_like_any_other(client, tree):
    (tree / "broken.md").write_bytes(b"---\ntitle: [x\n---\n")
    assert client.get("/members/broken").status_code == 302


def test_staff_see_the_reason(client, sign_in, tree):
    (tree / "broken.md").write_bytes(b"---\ntitle: B\naccess: [everyone]\n---\n")
    sign_in("staff")
    assert "unknown access" in client.get("/members/broken").get_data(as_text=True)
    assert "Needs attention" in client.get("/members/").get_data(as_text=True)


def test_each_page_is_rendered_once_until_it_changes(client, sign_in, tree, monkeypatch):
    calls = []
    original = members.Renderer.render

    def counting(self, body, source=""):
        calls.append(source)
        return original(self, body, source)

    monkeypatch.setattr(members.Renderer, "render", counting)
    sign_in("client")
    assert client.get("/members/guide").status_code == 200
    assert client.get("/members/guide").status_code == 200
    assert calls == ["guide.md"]
    page = tree / "guide.md"
    page.write_text(page.read_text().replace("Purple", "Violet"), encoding="utf-8")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    response = client.get("/members/guide")
    assert calls == ["guide.md", "guide.md"]
    assert "Violet elephants" in response.get_data(as_text=True)
