"""Access control and files (SECURITY.md "Access control and files")."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, TEST_PASSWORD
from tests.security.helpers import assert_clean, needs

pytestmark = needs("gate.members", "gate.accounts.routes")

SECRET = "OUTSIDE-SECRET-7f3a9c"
PAGE = "/members/clients/onboarding-checklist/"
FILE = "/members/files/forms/plugin-setup-form.docx"
PAYMENTS = "/members/newsletter/payments/choosing-a-payment-gateway/"
JSON = {"Accept": "application/json"}


def _body_phrase(markdown_file: Path) -> str:
    """Eight consecutive words of a restricted page's body (never public)."""
    text = markdown_file.read_text(encoding="utf-8").split("---", 2)[2]
    for line in text.splitlines():
        words = re.findall(r"[A-Za-z]{3,}", line)
        if len(words) >= 8 and not line.startswith(("#", "|", "-", "!")):
            return " ".join(words[:3])
    raise AssertionError(f"no body line in {markdown_file}")


PHRASE = _body_phrase(ROOT / "restricted/clients/onboarding-checklist.md")


@pytest.fixture
def staff(app, make_user, login_as):
    user = make_user("boss@example.org", role="staff", password=TEST_PASSWORD)
    client = app.test_client()
    login_as(client, user)
    return client


@pytest.fixture
def reader(app, make_user, login_as):
    """A subscriber of the store-setup section only."""
    user = make_user("reader@example.org", role="subscriber",
                     audiences=("newsletter:store-setup",))
    client = app.test_client()
    login_as(client, user)
    client.user_id = user.id
    return client


def _no_leak(response) -> None:
    assert_clean(response)
    body = response.get_data()
    assert SECRET.encode() not in body
    assert b"root:x:0:0" not in body
    assert PHRASE.encode() not in body


# --- anonymous and other sections -------------------------------------------------------------


@pytest.mark.asvs("8.2.1")
@pytest.mark.parametrize("path", [PAGE, FILE, "/members/", "/members/search?q=billing"])
def test_asvs_8_2_1_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith(("/auth/login", "http://localhost/auth/login"))
    _no_leak(response)


@pytest.mark.asvs("8.2.1")
@pytest.mark.parametrize("headers", [JSON, {"X-Requested-With": "XMLHttpRequest"},
                                     {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}],
                         ids=["json", "xhr", "fetch"])
@pytest.mark.parametrize("path", [PAGE, FILE, "/members/"])
def test_asvs_8_2_1_anonymous_background_requests_get_401(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    _no_leak(response)


@pytest.mark.asvs("8.2.2")
@pytest.mark.parametrize("path", [PAYMENTS, PAGE, FILE,
                                  "/members/files/newsletter/payments/"
                                  "gateway-comparison-worksheet.docx"])
def test_asvs_8_2_2_another_sections_items_are_403_and_audited(app, reader, path):
    from gate.db import database
    from gate.models import AuditEvent

    response = reader.get(path)
    assert response.status_code == 403
    _no_leak(response)
    with database(app).sessions() as session:
        events = list(session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == reader.user_id, AuditEvent.outcome == "denied")))
    assert events, "a refused request must be audited"
    assert events[-1].target.removesuffix(".md") in path


@pytest.mark.asvs("8.2.1")
def test_asvs_8_2_1_own_section_opens(reader):
    assert reader.get("/members/newsletter/store-setup/launch-day-checklist/").status_code == 200


# --- traversal, symlinks, hidden and backup files ---------------------------------------------

TRAVERSALS = [
    "../outside.md", "../outside", "..%2foutside", "%2e%2e/outside", "%2e%2e%2foutside",
    "%252e%252e%252foutside", "..%252foutside", "....//outside", "..\\outside",
    "..%5coutside", "clients/../../outside", "clients/%2e%2e/%2e%2e/outside",
    "/etc/passwd", "%2fetc%2fpasswd", "//etc/passwd", "../../../../../../etc/passwd",
    "clients/onboarding-checklist%00.md", "clients/onboarding-checklist\x00",
    "CON", "clients/NUL", "clients/aux.md", "COM1.docx", "clients/LPT1",
    "clients/.hidden", "clients/notes~", "clients/notes.md~", "clients/notes.md.bak",
    "clients/.notes.md.swp", "clients/%23notes.md%23", "clients/notes.md.orig",
    "clients/linked", "clients/linked.md", "clients/linked-folder/outside",
    "clients/onboarding-checklist.md", "restricted/clients/onboarding-checklist",
    ".git/config", "clients/./onboarding-checklist/..",
]
FILE_TRAVERSALS = [
    "../../outside.docx", "..%2f..%2foutside.docx", "forms/../../../outside.docx",
    "forms/.hidden.docx", "forms/form.docx~", "forms/form.docx.bak", "forms/linked.docx",
    "forms/plugin-setup-form.docx.meta.yml", "forms\\plugin-setup-form.docx",
    "forms/plugin-setup-form.docx%00.pdf", "/etc/passwd", "forms/CON", "forms/nul.docx",
    "%2e%2e/%2e%2e/outside.docx", "forms//../../outside.docx",
]


@pytest.mark.asvs("5.3.2")
@pytest.mark.parametrize("path", TRAVERSALS)
def test_asvs_5_3_2_page_traversal_and_hidden_files_are_404(staff, path):
    response = staff.get("/members/" + path)
    assert response.status_code in (404, 400, 308), response.status_code
    if response.status_code == 308:  # a canonical-slash redirect, only ever to a real item
        assert "outside" not in response.headers["Location"]
    _no_leak(response)
    assert SECRET.encode() not in staff.get("/members/" + path, follow_redirects=True).get_data()


@pytest.mark.asvs("13.4.1")
@pytest.mark.parametrize("path", FILE_TRAVERSALS)
def test_asvs_13_4_1_download_traversal_and_sidecars_are_404(staff, path):
    response = staff.get("/members/files/" + path)
    assert response.status_code in (404, 400), response.status_code
    _no_leak(response)


@pytest.mark.asvs("5.3.2")
@pytest.mark.parametrize("path", ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", ".csp.json",
                                  "%2e%2e/%2e%2e/etc/passwd", "..\\..\\etc\\passwd",
                                  "index.html%00", "CON", "/etc/passwd", ".git/config"])
def test_asvs_5_3_2_public_site_traversal_is_404(client, path):
    response = client.get("/" + path)
    assert response.status_code in (404, 400)
    _no_leak(response)
    assert b"script_hashes" not in response.get_data()


@pytest.mark.asvs("5.3.2")
def test_asvs_5_3_2_the_staff_client_still_opens_real_items(staff):
    """Sanity for the traversal tables: the same client does open the real page and file."""
    assert staff.get(PAGE).status_code == 200
    assert staff.get(FILE).status_code == 200


# --- spelling variants and forwarding headers -------------------------------------------------

VARIANTS = [
    PAGE, PAGE.upper(), "/members/Clients/onboarding-checklist/", "/members//clients/"
    "onboarding-checklist", "/members/clients//onboarding-checklist",
    "/members/clients%2fonboarding-checklist", "/members/clients/onboarding-checklist;x=1",
    "/members/clients/onboarding-checklist%3b", "/members/clients/onboarding-checklist%23",
    "/members/clients/onboarding-checklist?x=1", "/members/clients/onboarding-checklist/",
    "/members/clients/onboarding-checklist.md", "/members/clients/./onboarding-checklist",
    "/members/clients/onboarding-checklist%20", "/members/%63lients/onboarding-checklist",
]


@pytest.mark.asvs("8.2.1")
@pytest.mark.parametrize("path", VARIANTS)
def test_asvs_8_2_1_every_spelling_of_a_restricted_path_is_gated(client, reader, path):
    for who in (client, reader):
        response = who.get(path)
        assert response.status_code in (302, 303, 308, 401, 403, 404), response.status_code
        _no_leak(response)
        followed = who.get(path, follow_redirects=True)
        assert PHRASE.encode() not in followed.get_data()


FORWARDING = ["X-Original-URL", "X-Rewrite-URL", "X-Forwarded-Prefix", "X-Forwarded-Uri",
              "X-Forwarded-Path", "X-Envoy-Original-Path", "X-Forwarded-Host", "X-Forwarded-For"]


@pytest.mark.asvs("8.2.1")
@pytest.mark.parametrize("header", FORWARDING)
def test_asvs_8_2_1_forwarding_headers_cannot_change_the_checked_path(client, reader, header):
    value = "127.0.0.1" if header == "X-Forwarded-For" else PAGE
    for who in (client, reader):
        for path in ("/", "/members/", "/members/newsletter/store-setup/launch-day-checklist/"):
            _no_leak(who.get(path, headers={header: value}))
        response = who.get(PAGE, headers={header: "/" if header != "X-Forwarded-For"
                                          else "127.0.0.1"})
        assert response.status_code in (302, 403)
        _no_leak(response)


# --- methods, ranges and caching --------------------------------------------------------------


@pytest.mark.asvs("14.2.5")
@pytest.mark.parametrize("path", [PAGE, FILE])
def test_asvs_14_2_5_head_options_and_range_reveal_nothing_without_access(client, reader,
                                                                         path):
    for who in (client, reader):
        head = who.head(path)
        assert head.status_code in (302, 403)
        assert head.get_data() == b""
        ranged = who.get(path, headers={"Range": "bytes=0-10"})
        assert ranged.status_code in (302, 403)
        _no_leak(ranged)
        assert "Content-Range" not in ranged.headers
        options = who.open(path, method="OPTIONS")
        unknown = who.open(path + "-nope", method="OPTIONS")
        assert options.status_code == unknown.status_code
        assert options.headers.get("Allow") == unknown.headers.get("Allow")
        _no_leak(options)


@pytest.mark.asvs("14.3.2")
@pytest.mark.parametrize("who", ["staff", "reader", "client"])
@pytest.mark.parametrize("path", [PAGE, FILE, "/members/", "/members/no-such-item"])
def test_asvs_14_3_2_restricted_answers_are_private_no_store_and_vary_cookie(request, who,
                                                                           path):
    browser = request.getfixturevalue(who)
    response = browser.get(path)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "cookie" in response.headers.get("Vary", "").lower()


# --- downloads --------------------------------------------------------------------------------


@pytest.mark.asvs("5.4.1")
def test_asvs_5_4_1_downloads_are_attachments_with_nosniff(staff):
    response = staff.get(FILE)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''plugin-setup-form.docx" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data()[:2] == b"PK"


@pytest.mark.asvs("5.4.2")
@pytest.mark.parametrize(
    "name",
    ['we"ird.docx', "new\r\nline.docx", "semi;colon.docx", "back\\slash.docx", "tab\t.docx",
     "ünïcödé ☃.docx", "percent%22.docx", "x\r\nSet-Cookie: a=b.docx"],
)
def test_asvs_5_4_2_download_names_are_encoded_never_injected(name):
    from gate.members.files import content_disposition

    value = content_disposition(name)
    assert value.startswith("attachment; filename=\"")
    assert not re.search(r"[\x00-\x1f\x7f]", value)
    fallback = re.match(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)$', value)
    assert fallback, value
    assert '"' not in fallback.group(1) and "\\" not in fallback.group(1)
    assert re.fullmatch(r"[A-Za-z0-9!#$&+\-.^_`|~%]+", fallback.group(2))


# --- the opt-in nginx answer cache: the one bounded exception to next-request revocation -----


@pytest.mark.asvs("7.4.1")
@pytest.mark.system
@pytest.mark.slow
def test_asvs_7_4_1_the_opt_in_nginx_cache_ends_a_revoked_session_within_5_seconds(site_dir,
                                                                                  tmp_path):
    import json
    import pwd
    import secrets
    import time

    from tests import servers
    from tests.conftest import require_system

    require_system(Path(servers.NGINX).exists(), "nginx")
    instance = tmp_path / "instance"
    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(instance), "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{instance / 'portal.sqlite3'}", "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(ROOT / "restricted"), "OUTBOX_DIR": str(tmp_path / "outbox"),
    })
    servers.run_cli(env, "db", "upgrade")
    demo = next(u for u in json.loads(servers.run_cli(env, "demo", "--json").stdout)
                if u["role"] == "client")
    with servers.gunicorn(env, log_dir=tmp_path) as gate:
        port, runtime, conf = servers.free_port(), tmp_path / "nginx", tmp_path / "nginx.conf"
        servers.run_cli(
            env, "nginx-config", "--listen", f"{servers.LOOPBACK}:{port}",
            "--upstream", f"{servers.LOOPBACK}:{gate.port}",
            "--user", pwd.getpwuid(os.geteuid()).pw_name, "--runtime-dir", str(runtime),
            "--log-dir", str(runtime), "--template", str(ROOT / "deploy/nginx-authcache.conf"),
            "--output", str(conf))
        with servers.nginx(conf, prefix=runtime, port=port) as web:
            browser = servers.HttpClient(web.url)
            assert browser.sign_in(demo["email"], demo["password"]).status in (302, 303)
            # the first page view adds the CSRF token to the session cookie; from then on
            # the browser's Cookie header is stable and its answers come from the cache
            seen = [(r.status, r.header("X-Answer-Cache"))
                    for r in (browser.get(PAGE) for _ in range(4))]
            assert seen[-2:] == [(200, "HIT"), (200, "HIT")], seen
            assert servers.HttpClient(web.url).get(PAGE).status in (302, 303)  # no cookie
            servers.run_cli(env, "users", "revoke", demo["email"])
            revoked = time.monotonic()
            while (status := browser.get(PAGE).status) == 200:
                assert time.monotonic() - revoked <= 5.5, "cached past its 5 seconds"
                time.sleep(0.2)
            assert status in (302, 303)
