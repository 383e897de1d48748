"""Headers, error pages, CSV import/export and the audit trail (SECURITY.md, last section)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.security.helpers import assert_clean

# Paths whose answer is HTML: the public site, its 404, the gate's own pages.
HTML_PATHS = [
    pytest.param("/", 200, id="public-home"),
    pytest.param("/no-such-page/", 404, id="public-404"),
    pytest.param("/auth/login", 200, id="gate-login"),
    pytest.param("/members/clients/", None, id="gate-members-anonymous"),
]


def _directives(csp: str) -> dict[str, str]:
    found = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            found[name] = value.strip()
    return found


@pytest.mark.asvs("3.4.3")
@pytest.mark.parametrize(("path", "status"), HTML_PATHS)
def test_asvs_3_4_3_every_html_page_has_a_strict_csp(client, path, status):
    response = client.get(path, headers={"Accept": "text/html"})
    if status is not None and response.status_code == 404 and status != 404:
        pytest.skip(f"{path} is not in this tree yet")
    assert_clean(response)
    if response.mimetype != "text/html":
        pytest.skip(f"{path} answered {response.mimetype}")
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp.get("script-src", "")
    assert "'unsafe-eval'" not in csp.get("script-src", "")
    assert csp["default-src"] == "'self'"


@pytest.mark.asvs("3.4.3")
def test_asvs_3_4_3_inline_scripts_of_the_build_are_allowed_by_hash(client, site_dir):
    """Material's inline scripts run because their exact hashes are listed (not unsafe-inline)."""
    html = (site_dir / "index.html").read_text(encoding="utf-8")
    inline = re.findall(r"<script(?![^>]*\b(?:src|type)=)[^>]*>(.*?)</script>", html, re.S)
    assert inline, "the test expects Material's inline scripts on the home page"
    csp = client.get("/").headers["Content-Security-Policy"]
    for script in inline:
        if not script.strip():
            continue
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


@pytest.mark.asvs("3.4.4")
@pytest.mark.parametrize(
    "path",
    [pytest.param("/", id="html"), pytest.param("/healthz", id="json"),
     pytest.param("/sitemap.xml", id="xml"), pytest.param("/../etc/passwd", id="bad-path")],
)
def test_asvs_3_4_4_nosniff_and_referrer_policy_on_every_response(client, path):
    response = client.get(path)
    assert_clean(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "no-referrer", "strict-origin-when-cross-origin", "same-origin", "strict-origin",
    }


@pytest.mark.asvs("3.4.1")
@pytest.mark.parametrize(
    ("base_url", "hsts"),
    [pytest.param("https://localhost", True, id="https"),
     pytest.param("http://localhost", False, id="plain-http")],
)
def test_asvs_3_4_1_hsts_under_https_only(client, base_url, hsts):
    response = client.get("/", base_url=base_url)
    value = response.headers.get("Strict-Transport-Security")
    if hsts:
        assert value is not None
        assert int(re.search(r"max-age=(\d+)", value).group(1)) >= 31536000
    else:
        assert value is None


@pytest.mark.asvs("3.4.6")
def test_asvs_3_4_6_pages_cannot_be_framed(client):
    response = client.get("/")
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.asvs("16.5.1")
@pytest.mark.parametrize(
    "accept",
    [pytest.param("text/html", id="html"), pytest.param("application/json", id="json")],
)
def test_asvs_16_5_1_an_unexpected_error_is_a_clean_500_without_details(app, accept):
    """An exception inside a view: a generic page or JSON error, logged, no traceback sent."""

    @app.get("/__boom_for_test")
    def boom():  # pragma: no cover - only reached by this test
        raise RuntimeError("secret internal detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/__boom_for_test", headers={"Accept": accept})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body


# --- broken content files ---------------------------------------------------------------------


BREAKAGES = [
    pytest.param(lambda p: p.write_bytes(b"---\ntitle: x\naccess: [clients]\n---\n\xff\xfe\xc3("),
                 id="invalid-utf8"),
    pytest.param(lambda p: p.write_text("---\ntitle: [unclosed\naccess: [clients\n---\nbody\n"),
                 id="broken-front-matter"),
    pytest.param(lambda p: p.write_text("---\ntitle: No access\n---\nbody\n"), id="no-access"),
    pytest.param(lambda p: p.write_text("---\ntitle: x\naccess: [nobody-knows]\n---\nbody\n"),
                 id="unknown-audience"),
    pytest.param(lambda p: p.write_text("no front matter at all\n"), id="no-front-matter"),
]


@pytest.mark.asvs("16.5.1")
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_asvs_16_5_1_a_broken_content_file_is_refused_by_the_build_with_its_name(
    tmp_path, breakage
):
    """Broken content never reaches the gate: the members build refuses it, naming the file
    (tests/build/test_sitebuild.py shows the sites in place keep serving, byte for byte)."""
    import shutil

    import members_catalogue
    from members_catalogue import ContentError, Source

    from tests.conftest import ROOT

    root = shutil.copytree(ROOT / "restricted" / "clients", tmp_path / "clients")
    breakage(root / "fluent-boards.md")
    sources = [Source(p.name, p.stem + "/", p.name) for p in root.glob("*.md")]
    with pytest.raises(ContentError, match="fluent-boards.md"):
        members_catalogue.read(root, sources, ROOT / "gate" / "newsletter" / "newsletter_map.toml")


# --- CSV import and export --------------------------------------------------------------------

HEADER = "Email,First Name,Last Name,Status,Lists,Tags\n"
PAYMENTS = "Online Sales FAQ: Payments"


def _import(runner, tmp_path, text: str | bytes):
    path = tmp_path / "export.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return runner.invoke(args=["subscribers", "import", str(path)])


def _users(app) -> dict[str, object]:
    from gate.db import database
    from gate.models import User

    with database(app).sessions() as session:
        from sqlalchemy import select

        return {u.email: u.name for u in session.scalars(select(User))}


@pytest.mark.asvs("1.2.10")
@pytest.mark.parametrize(
    ("rows", "expect_emails", "expect_names"),
    [
        pytest.param(f'  Ann@Example.ORG  ,Ann,Lee,subscribed,"{PAYMENTS}",\n',
                     {"ann@example.org"}, {"Ann Lee"}, id="spaces-and-case"),
        pytest.param(f'=cmd@example.org,=HYPERLINK("x"),+1,subscribed,"{PAYMENTS}",\n',
                     None, None, id="formula-email-refused-or-clean"),
        pytest.param(f'bob@example.org,=HYPERLINK("http://x"),@SUM(1),subscribed,"{PAYMENTS}",\n',
                     {"bob@example.org"}, None, id="formula-names"),
        pytest.param(f'bob@example.org,Bob,,subscribed,"{PAYMENTS}",\n'
                     f'BOB@example.org,Bob,,subscribed,"{PAYMENTS}",\n',
                     {"bob@example.org"}, {"Bob"}, id="case-duplicates-merge"),
    ],
)
def test_asvs_1_2_10_csv_import_normalises_names_and_emails(app, runner, tmp_path, rows,
                                                            expect_emails, expect_names):
    result = _import(runner, tmp_path, HEADER + rows)
    users = _users(app)
    if expect_emails is None:
        assert result.exit_code != 0 or all("=" not in e for e in users)
        return
    assert result.exit_code == 0, result.output
    assert set(users) == expect_emails
    for name in users.values():
        assert not str(name).startswith(("=", "+", "-", "@", "\t", "\r"))
    if expect_names is not None:
        assert set(users.values()) == expect_names


@pytest.mark.asvs("2.3.3")
@pytest.mark.parametrize(
    "bad_row",
    [pytest.param("two@@example.org", id="two-at"),
     pytest.param("a@b@example.org", id="two-at-apart"),
     pytest.param("in side@example.org", id="inner-space"),
     pytest.param("nobody", id="no-at"),
     pytest.param("x\x07@example.org", id="control-char"),
     pytest.param("dup-conflict", id="case-duplicate-with-different-status")],
)
def test_asvs_2_3_3_csv_import_is_all_or_nothing(app, runner, tmp_path, bad_row):
    good = f'good@example.org,Good,One,subscribed,"{PAYMENTS}",\n'
    if bad_row == "dup-conflict":
        bad = f'GOOD@example.org,Other,Name,unsubscribed,"{PAYMENTS}",\n'
    else:
        bad = f'"{bad_row}",Bad,Row,subscribed,"{PAYMENTS}",\n'
    result = _import(runner, tmp_path, HEADER + good + bad)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert _users(app) == {}, "nothing may be imported when one row is bad"


@pytest.mark.asvs("2.3.3")
def test_asvs_2_3_3_a_bom_is_accepted(app, runner, tmp_path):
    data = ("\ufeff" + HEADER + f'bom@example.org,B,O,subscribed,"{PAYMENTS}",\n').encode()
    result = _import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert set(_users(app)) == {"bom@example.org"}


@pytest.mark.asvs("2.3.3")
def test_asvs_2_3_3_a_huge_file_is_refused_before_parsing(app, runner, tmp_path):
    from gate.newsletter.csv_import import MAX_BYTES

    line = f'user@example.org,A,B,subscribed,"{PAYMENTS}",\n'
    count = MAX_BYTES // len(line) + 10
    big = HEADER + "".join(line.replace("user@", f"u{i}@") for i in range(count))
    result = _import(runner, tmp_path, big)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert _users(app) == {}


@pytest.mark.asvs("1.2.10")
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_asvs_1_2_10_audit_export_escapes_formulas_and_controls(app, runner, start):
    import csv
    import io

    from gate import audit

    with app.app_context():
        audit.record("signin", outcome="failed", email=f"{start}cmd|' /C calc'!A0",
                     target=f"{start}2+3")
    result = runner.invoke(args=["audit", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert "\r" not in cell and "\n" not in cell


@pytest.mark.asvs("1.2.10")
@pytest.mark.parametrize(
    ("email", "separator"),
    [
        ("x;=1+1;", ";"),  # the attack run's finding
        ("x,+cmd|' /C calc'!A0", ","),
        ("x|@SUM(1)", "|"),
        ("x\t-2+3", "\t"),
        ("x; =1+1", ";"),
        ("plain@example.com", ";"),  # nothing to neutralise: exported as it was
    ],
)
def test_asvs_1_2_10_audit_export_survives_any_split(app, runner, email, separator):
    """Every text field is quoted; no cell starts a formula whichever separator is used."""
    from gate import audit

    with app.app_context():
        audit.record("signin", outcome="failed", email=email, target="password")
    result = runner.invoke(args=["audit", "--format", "csv"])
    assert result.exit_code == 0, result.output
    header, line = result.output.splitlines()[:2]
    assert header.startswith('"at","user_id","email"')
    fields = line.split('","')
    assert line.startswith('"') and line.endswith('"') and len(fields) == 8  # user_id empty
    assert "\t" not in line  # control characters are escaped (\\x09) before export
    for cell in (part.strip(' "') for part in line.split(separator)):
        assert not cell.startswith(("=", "+", "-", "@")), (cell, line)
    if email.startswith("plain"):
        assert f'"{email}"' in line


# --- the audit trail --------------------------------------------------------------------------


def _events(app):
    from sqlalchemy import select

    from gate.db import database
    from gate.models import AuditEvent

    with database(app).sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.mark.asvs("16.3.1")
def test_asvs_16_3_1_every_security_event_is_audited_in_utc_with_user_and_ip(
    app, runner, make_user
):
    from datetime import UTC, timedelta

    from tests.conftest import TEST_PASSWORD
    from tests.security.helpers import post_form, sign_in

    make_user("ann@example.org", role="client", password=TEST_PASSWORD)
    make_user("sub@example.org", role="subscriber", audiences=("newsletter:payments",))
    ip = {"REMOTE_ADDR": "192.0.2.44"}
    client = app.test_client()
    client.environ_base.update(ip)
    sign_in(client, "ann@example.org", "wrong password here")
    sign_in(client, "ann@example.org", TEST_PASSWORD)
    client.get("/members/files/forms/plugin-setup-form.docx")
    post_form(client, "/auth/link", {"email": "sub@example.org"})
    assert runner.invoke(args=["users", "grant", "ann@example.org", "staff"]).exit_code == 0
    assert runner.invoke(args=["users", "revoke", "ann@example.org"]).exit_code == 0
    events = _events(app)
    seen = {(e.action, e.outcome) for e in events}
    for wanted in [("signin", "failed"), ("signin", "ok"), ("download", "ok"),
                   ("link.request", "sent"), ("grant.add", "ok"), ("user.revoke", "ok")]:
        assert wanted in seen, (wanted, seen)
    from gate.models import utcnow

    for event in events:
        assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
        assert abs(event.at - utcnow()) < timedelta(minutes=5)
        assert event.at.tzinfo == UTC or event.at.utcoffset() == timedelta(0)
        assert event.email
        if event.action in {"signin", "download", "link.request"}:
            assert event.ip == "192.0.2.44", event.action
        else:
            assert event.ip == "cli"


@pytest.mark.asvs("16.4.1")
@pytest.mark.parametrize(
    "email",
    ["evil@example.org\r\naudit action=signin outcome=ok user=1 email=boss@example.org",
     "evil@example.org\naudit action=grant.add", "evil@example.org\u2028audit forged",
     "evil@example.org\x1b[2Kaudit forged"],
)
def test_asvs_16_4_1_crlf_in_an_email_cannot_forge_a_log_line(app, client, caplog, email):
    import logging

    from tests.security.helpers import sign_in

    caplog.set_level(logging.INFO)
    response = sign_in(client, email, "some wrong password")
    assert_clean(response)
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message and "\u2028" not in message
        assert "\x1b" not in message
    for event in _events(app):
        for value in (event.email, event.target, event.detail):
            assert not re.search(r"[\x00-\x1f\x7f\u2028]", value or "")


@pytest.mark.asvs("16.2.5")
def test_asvs_16_2_5_no_password_secret_or_cookie_in_any_log(app, client, make_user, caplog):
    import logging

    from tests.conftest import TEST_PASSWORD
    from tests.security.helpers import sign_in

    caplog.set_level(logging.DEBUG)
    make_user("ann@example.org", role="client", password=TEST_PASSWORD)
    sign_in(client, "ann@example.org", "a wrong password attempt")
    sign_in(client, "ann@example.org", TEST_PASSWORD)
    client.get("/members/clients/")
    session_cookie = client.get_cookie("sop-session")
    text = caplog.text
    assert TEST_PASSWORD not in text
    assert "a wrong password attempt" not in text
    assert app.config["SECRET_KEY"] not in text
    assert session_cookie is not None and session_cookie.value not in text


# --- the opt-in answer cache stays the one, bounded, exception --------------------------------


def _nginx_confs():
    """The project root and bench/lib/nginx_confs.py (which imports its sibling harness)."""
    import importlib.util
    import sys

    from tests.conftest import ROOT

    lib = str(ROOT / "bench" / "lib")
    spec = importlib.util.spec_from_file_location("bench_nginx_confs", f"{lib}/nginx_confs.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, lib)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(lib)
    return ROOT, module


@pytest.mark.asvs("7.4.1")
def test_asvs_7_4_1_the_production_nginx_config_never_caches_gate_answers():
    root, _ = _nginx_confs()
    production = (root / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_cache " not in production and "proxy_cache_path" not in production


@pytest.mark.asvs("7.4.1")
def test_asvs_7_4_1_the_opt_in_cache_is_the_production_config_plus_a_5_second_cache():
    root, confs = _nginx_confs()
    production = (root / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    opt_in = (root / "deploy" / "nginx-authcache.conf").read_text(encoding="utf-8")
    assert opt_in == confs.derive_authcache(production), (
        "deploy/nginx-authcache.conf is out of date: run python bench/lib/nginx_confs.py")
    valid = re.findall(r"proxy_cache_valid\s+(\S+)\s+(\d+)s;", opt_in)
    assert valid and all(int(seconds) <= 5 for _, seconds in valid)
    assert "proxy_cache_key \"$http_cookie|" in opt_in
