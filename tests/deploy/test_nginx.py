"""Everything through real nginx (TLS) in front of two gunicorn gates on one PostgreSQL.

The stack is the README's "Production deployment", run on loopback (see conftest.py).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gate.security import build_csp, load_script_hashes
from tests import servers
from tests.deploy.conftest import PUBLIC_HOST, audit_events

pytestmark = [pytest.mark.system, pytest.mark.slow]

RESTRICTED = servers.ROOT / "restricted"
CLIENT_PAGE = "/members/clients/plugin-setup-details/"
FORM = "forms/plugin-setup-form.docx"


def gate_log_lines(production, needle: str) -> list[int]:
    """How many lines of each gate's access log mention ``needle``."""
    return [gate.process.tail().count(needle) for gate in production.gates]


def _bundle(site: Path) -> str:
    return "/assets/javascripts/" + next(site.glob("assets/javascripts/bundle.*.min.js")).name


@pytest.mark.parametrize(
    ("path", "status", "content_type", "cache_control"),
    [
        ("/", 200, "text/html", "no-cache"),
        ("/sops/billing/", 200, "text/html", "no-cache"),
        ("/search/search_index.json", 200, "application/json", "public, max-age=3600"),
        ("BUNDLE", 200, "application/javascript", "public, max-age=31536000, immutable"),
        ("/no/such/page/", 404, "text/html", "no-cache"),  # the site's own 404 page
        ("/.csp.json", 404, "text/html", "no-cache"),  # dotfiles never served
        ("/assets/", 404, "text/html", "no-cache"),  # no folder listings
        ("/_members_builds/", 404, "text/html", "no-cache"),  # internal only
    ],
)
def test_nginx_serves_the_public_site_itself(production, path, status, content_type,
                                             cache_control):
    if path == "BUNDLE":
        path = _bundle(production.site_dir)
    before = gate_log_lines(production, f"GET {path} ")
    reply = production.client().get(path, headers={"Accept-Encoding": "gzip"})
    assert reply.status == status
    assert reply.header("Content-Type").startswith(content_type)
    assert reply.header("Cache-Control") == cache_control
    assert reply.header("X-Content-Type-Options") == "nosniff"
    assert reply.header("Strict-Transport-Security").startswith("max-age=31536000")
    assert reply.header("Server") == "nginx"  # no version
    if content_type == "text/html":
        assert reply.header("Content-Security-Policy") == build_csp(
            load_script_hashes(production.site_dir)
            + load_script_hashes(production.site_dir.parent / "members-site"))
        assert reply.header("X-Frame-Options") == "DENY"
        body = gzip.decompress(reply.body) if reply.header("Content-Encoding") else reply.body
        assert b'class="md-header"' in body
    if status == 200:
        assert reply.header("Content-Encoding") == "gzip"
    # Nothing reached the gates: nginx answered alone.
    assert gate_log_lines(production, f"GET {path} ") == before


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/sops/billing", 301, "/sops/billing/"),  # relative: right behind any proxy
        ("/../../etc/passwd", 400, None),  # bad input: nginx refuses it outright
    ],
)
def test_nginx_redirects_and_refuses(production, path, status, location):
    reply = production.client().get(path)
    assert reply.status == status
    assert reply.header("Location") == location


def test_health_goes_to_the_gates(production):
    reply = production.client().get("/healthz", headers={"Accept": "application/json"})
    assert reply.status == 200
    assert reply.header("Cache-Control") == "no-store"
    assert b'"ok"' in reply.body


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (CLIENT_PAGE, {}, 302),
        ("/members/files/" + FORM, {}, 302),
        ("/members/files/" + FORM, {"Range": "bytes=0-99"}, 302),
        (CLIENT_PAGE, {"Accept": "application/json"}, 401),
        ("//members/clients/plugin-setup-details/", {}, 302),
        ("/%6dembers/clients/plugin-setup-details/", {}, 302),
        ("/members/files/" + FORM, {"X-Accel-Redirect": "/_members_builds/x"}, 302),
    ],
)
def test_anonymous_readers_are_refused_through_nginx(production, path, headers, status):
    reply = production.client().get(path, headers=headers)
    assert reply.status == status
    if status == 302:
        assert reply.header("Location").startswith("/auth/login?next=")
    file_bytes = (RESTRICTED / "files" / FORM).read_bytes()
    assert file_bytes[:64] not in reply.body
    assert reply.header("X-Accel-Redirect") is None


def test_a_client_reads_a_restricted_page_and_downloads_a_form_through_nginx(production):
    browser, _ = production.invite("reader@acme.example", "client", "--account", "Acme Stores",
                                   "--account-type", "eft")
    page = browser.get(CLIENT_PAGE)
    assert page.status == 200, page.text[:500]
    assert "Plugin setup details" in page.text
    assert 'class="md-header"' in page.text  # the site's look
    assert "<!--sop:" not in page.text  # the reader's view, not the build's marked file
    assert page.header("Cache-Control") == "private, no-store"
    assert "frame-ancestors 'none'" in page.header("Content-Security-Policy")
    assert "sha256-" in page.header("Content-Security-Policy")
    assert page.header("X-Accel-Redirect") is None

    download = browser.get("/members/files/" + FORM)
    assert download.status == 200
    assert download.body == (RESTRICTED / "files" / FORM).read_bytes()
    assert download.header("Content-Disposition").startswith("attachment;")
    assert 'filename="plugin-setup-form.docx"' in download.header("Content-Disposition")
    assert download.header("X-Content-Type-Options") == "nosniff"
    assert download.headers.get_all("Cache-Control") == ["private, no-store"]
    assert download.header("Vary") == "Cookie"
    assert download.header("Content-Security-Policy") == "default-src 'none'; sandbox"
    assert download.header("X-Accel-Redirect") is None
    assert download.header("Content-Type").startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    part = browser.get("/members/files/" + FORM, headers={"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == download.body[:100]

    # The gate itself only answers with the hand-over; the bytes came from nginx.
    handed = production.gate_client(0, browser.cookies).get("/members/files/" + FORM)
    assert handed.status == 200
    assert handed.header("X-Accel-Redirect").startswith("/_members_builds/members-site-")
    assert handed.header("X-Accel-Redirect").endswith("/files/" + FORM)
    assert handed.body == b""
    handed_page = production.gate_client(0, browser.cookies).get(CLIENT_PAGE)
    assert "/.views/" in handed_page.header("X-Accel-Redirect")


def test_both_gates_serve_one_session(production):
    browser, _ = production.invite("both@acme.example", "client", "--account", "Acme Stores")
    before = gate_log_lines(production, "GET /members/ ")
    for _ in range(6):
        assert browser.get("/members/").status == 200
    after = gate_log_lines(production, "GET /members/ ")
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (("users", "ungrant", "{email}", "clients"), 403),
        (("users", "revoke", "{email}"), 302),
        (("users", "grant", "{email}", "newsletter:payments"), 200),  # control: still allowed
    ],
)
def test_a_revocation_takes_effect_on_the_next_request_through_nginx(production, command,
                                                                     status):
    email = f"revoke-{command[1]}@acme.example"
    browser, _ = production.invite(email, "client", "--account", "Acme Stores")
    assert browser.get(CLIENT_PAGE).status == 200
    production.cli(*(part.format(email=email) for part in command))
    # Whichever gate answers next, the change holds: try both a few times.
    for _ in range(4):
        assert browser.get(CLIENT_PAGE).status == status


def test_forwarding_headers_sent_by_a_client_are_replaced(production):
    browser, password = production.invite("spoof@acme.example", "client", "--account", "Acme")
    spoof = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9",
             "X-Forwarded-Host": "evil.example", "Forwarded": "for=203.0.113.9;host=evil"}
    fresh = production.client()
    token = fresh.csrf_token("/auth/login")
    reply = fresh.post("/auth/login", {"email": "spoof@acme.example", "password": password,
                                       "csrf_token": token}, headers=spoof)
    assert reply.status in (302, 303)
    assert reply.header("Location").startswith("/")  # never toward evil.example
    signins = [e for e in audit_events(production.cli)
               if e.get("action") == "signin" and e.get("email") == "spoof@acme.example"]
    assert signins and {e.get("ip") for e in signins} == {"127.0.0.1"}


def test_an_unknown_host_is_refused(production):
    client = servers.HttpClient(production.url, host="evil.example",
                                ssl_context=production.ssl_context)
    reply = client.get("/auth/login")
    assert reply.status == 400
    assert PUBLIC_HOST not in reply.text
