"""The gate serves the built public site: pages, assets, 404s, health."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "status", "mimetype"),
    [
        ("/", 200, "text/html"),
        ("/search/search_index.json", 200, "application/json"),
        ("/sitemap.xml", 200, "application/xml"),
        ("/no/such/page/", 404, "text/html"),
        ("/.csp.json", 404, "text/html"),
        ("/../pyproject.toml", 404, "text/html"),
        ("/%2e%2e/pyproject.toml", 404, "text/html"),
    ],
)
def test_public_paths(client, path, status, mimetype):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == mimetype


def test_404_is_the_sites_own_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"md-header" in response.data  # Material's header: the site's own 404


def test_hashed_assets_are_cached_for_a_year(client, site_dir):
    bundle = next(site_dir.glob("assets/javascripts/bundle.*.min.js"))
    response = client.get(f"/assets/javascripts/{bundle.name}")
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/").headers["Cache-Control"] == "no-cache"


def test_folder_without_slash_redirects(client, site_dir):
    response = client.get("/search")
    assert response.status_code in (308, 404)


def test_html_carries_csp_with_build_hashes(client, site_dir):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "'sha256-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


@pytest.mark.parametrize("path", ["/", "/auth/link", "/members/search", "/no-such-page/"])
def test_undecodable_query_string_is_a_400_not_a_500(client, path):
    response = client.get(path, environ_overrides={"QUERY_STRING": "next=\xff"})
    assert response.status_code == 400
