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
