"""gate.site_chrome: the built site's look, reused by gate pages."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from markupsafe import Markup

from gate.site_chrome import EMPTY, ChromeCache, absolutise, extract_chrome, without_search


@pytest.fixture(scope="module")
def chrome(site_dir):
    return extract_chrome((site_dir / "index.html").read_text(encoding="utf-8"))


def test_assets_are_absolute_and_exist(chrome, site_dir):
    assert chrome.available and chrome.site_name == "SOP Portal"
    assert any("/assets/stylesheets/main." in href for href in chrome.stylesheets)
    for href in (*chrome.stylesheets, chrome.bundle_src, chrome.icon):
        assert href.startswith("/")
        assert (site_dir / href.lstrip("/")).is_file(), href


def test_config_has_an_absolute_base_and_no_instant_navigation(chrome, site_dir):
    config = json.loads(chrome.config_json)
    assert config["base"] == "/"
    assert not any(f.startswith("navigation.instant") for f in config["features"])
    assert (site_dir / config["search"].lstrip("/")).is_file()
    assert "</" not in chrome.config_json


def test_scope_script_is_rooted_and_hashed(chrome):
    assert chrome.scope_script.startswith('__md_scope=new URL("/",location)')
    digest = hashlib.sha256(chrome.scope_script.encode()).digest()
    assert chrome.script_hashes == ("sha256-" + base64.b64encode(digest).decode(),)


@pytest.mark.parametrize(
    ("topic", "shown"),
    [("Plain & simple", "Plain &amp; simple"), (Markup("Already &amp; safe"), "Already &amp; safe"),
     ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;")],
)
def test_header_topic_and_actions(chrome, topic, shown):
    header = chrome.header(topic, Markup('<a href="/members/">Members</a>'))
    assert shown in header
    assert '<a href="/members/">Members</a>' in header
    assert header.count("<header") == 1 and 'data-md-component="palette"' in header
    assert 'href="/"' in header  # the logo link, made absolute
    assert "\x00" not in header


def test_header_without_site_search(chrome):
    with_search = chrome.header("T")
    plain = chrome.header("T", site_search=False)
    assert 'data-md-component="search"' in with_search
    assert 'data-md-component="search"' not in plain and 'for="__search"' not in plain
    assert 'data-md-component="palette"' in plain and plain.count("</header>") == 1
    assert plain.count("<div") == plain.count("</div>")


def test_without_search_leaves_other_markup_alone():
    assert without_search("<header><div>x</div></header>") == "<header><div>x</div></header>"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<a href=".">', '<a href="/">'),
        ('<a href="sops/billing/">', '<a href="/sops/billing/">'),
        ('<img src="assets/x.png">', '<img src="/assets/x.png">'),
        ('<a href="#top">', '<a href="#top">'),
        ('<a href="https://example.com/">', '<a href="https://example.com/">'),
        ('<a href="javascript:void(0)">', '<a href="javascript:void(0)">'),
        ('<a href="">', '<a href="">'),
    ],
)
def test_absolutise(fragment, expected):
    assert absolutise(fragment) == expected


def test_no_site_means_no_chrome(tmp_path):
    assert ChromeCache().get(tmp_path) is EMPTY
    assert extract_chrome("<html><body>nothing</body></html>").available is False


def test_cache_follows_the_index_file(tmp_path, site_dir):
    page = (site_dir / "index.html").read_text(encoding="utf-8")
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    cache = ChromeCache()
    first = cache.get(tmp_path)
    assert cache.get(tmp_path) is first
    (tmp_path / "index.html").write_text(page.replace("SOP Portal", "New Name"), encoding="utf-8")
    os.utime(tmp_path / "index.html", ns=(10**18, 10**18))
    assert cache.get(tmp_path).site_name == "New Name"
