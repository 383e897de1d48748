"""The built site works with no internet: nothing it loads comes from another host.

Checked: ``src``, ``href``, ``srcset``, ``poster`` and ``data`` attributes of every element except
links a reader follows (``<a>``, ``<area>``), ``url(...)`` and ``@import`` in CSS files, ``<style>``
blocks and ``style`` attributes. Relative URLs, data URIs and absolute URLs on the site's own
origin (``site_url`` in mkdocs.yml, e.g. the canonical link) are allowed. Material's JavaScript
bundle merely names CDNs for features the site does not use, so JavaScript is not scanned.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]

_LOADING_ATTRS = {"src", "href", "srcset", "imagesrcset", "poster", "data", "xlink:href"}
_FOLLOWED_TAGS = {"a", "area"}
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_FONT_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com")


def site_origin(mkdocs_yml: str, environ: dict[str, str] | None = None) -> str:
    """The host (``netloc``) of ``site_url`` in mkdocs.yml, or ``""`` when it is not set.

    ``site_url: !ENV [NAME, "default"]`` is read as MkDocs reads it: the variable, else the default.
    """
    environ = dict(os.environ) if environ is None else environ
    env_form = re.search(
        r"^site_url:\s*!ENV\s*\[\s*(\w+)\s*,\s*['\"]([^'\"]+)['\"]\s*\]", mkdocs_yml, re.M
    )
    if env_form:
        return urlsplit(environ.get(env_form.group(1)) or env_form.group(2)).netloc.lower()
    match = re.search(r"^site_url:\s*['\"]?([^'\"\s#]+)", mkdocs_yml, re.M)
    return urlsplit(match.group(1)).netloc.lower() if match else ""


def is_external(url: str, origin: str) -> bool:
    """Whether loading ``url`` would contact a host other than the site's own."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() in {"data", "blob"}:
        return False
    if parts.netloc or url.startswith("//") or url.startswith("\\\\"):
        return parts.netloc.lower() != origin or parts.scheme.lower() not in {"http", "https", ""}
    return parts.scheme.lower() not in {"", "http", "https"}


def css_urls(css: str) -> list[str]:
    """Every URL a stylesheet loads: ``url(...)`` and ``@import "..."``."""
    found = [next(group for group in match.groups() if group is not None)
             for match in _CSS_URL.finditer(css)]
    found += [match.group(1) or match.group(2) for match in _CSS_IMPORT.finditer(css)]
    return found


class _Loads(HTMLParser):
    """Collects the URLs a page loads by itself (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.urls += css_urls(value)
            elif name in _LOADING_ATTRS and tag not in _FOLLOWED_TAGS:
                if name.endswith("srcset"):
                    self.urls += [item.split()[0] for item in value.split(",") if item.strip()]
                else:
                    self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.urls += css_urls(data)


def html_loads(page_html: str) -> list[str]:
    """Every URL the page loads by itself."""
    parser = _Loads()
    parser.feed(page_html)
    parser.close()
    return parser.urls


def external_loads(site_dir: Path, origin: str) -> list[str]:
    """``file: url`` for every external load in the built HTML and CSS."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix == ".html":
            urls = html_loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".css":
            urls = css_urls(path.read_text(encoding="utf-8"))
        else:
            continue
        name = path.relative_to(site_dir)
        found += [f"{name}: {url}" for url in urls if is_external(url, origin)]
    return found


@pytest.fixture(scope="module")
def origin() -> str:
    return site_origin((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_built_site_loads_nothing_from_other_hosts(site_dir: Path, origin: str):
    assert list(site_dir.rglob("*.html")) and list(site_dir.rglob("*.css"))
    assert external_loads(site_dir, origin) == []


@pytest.mark.parametrize("host", _FONT_HOSTS)
def test_no_google_fonts_anywhere_in_html(site_dir: Path, host: str):
    offenders = [str(path.relative_to(site_dir)) for path in site_dir.rglob("*.html")
                 if host in path.read_text(encoding="utf-8")]
    assert offenders == []


ORIGIN = "127.0.0.1:8000"


@pytest.mark.parametrize(
    ("page_html", "external"),
    [
        ('<link rel="stylesheet" href="assets/stylesheets/main.css">', []),
        ('<script src="../assets/javascripts/bundle.js"></script>', []),
        ('<link rel="canonical" href="http://127.0.0.1:8000/sops/billing/">', []),
        ('<a href="https://squidfunk.github.io/mkdocs-material/">Material</a>', []),
        ('<img src="data:image/png;base64,AAAA">', []),
        ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
         ["https://fonts.googleapis.com/css?family=Roboto"]),
        ('<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
         ["https://fonts.gstatic.com"]),
        ('<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>',
         ["https://unpkg.com/mermaid@11/dist/mermaid.min.js"]),
        ('<img src="//cdn.example.com/logo.png">', ["//cdn.example.com/logo.png"]),
        ('<img srcset="a.png 1x, https://cdn.example.com/b.png 2x">',
         ["https://cdn.example.com/b.png"]),
        ('<link rel="icon" href="http://127.0.0.1:9999/favicon.png">',
         ["http://127.0.0.1:9999/favicon.png"]),
        ('<div style="background: url(https://cdn.example.com/bg.png)"></div>',
         ["https://cdn.example.com/bg.png"]),
        ("<style>@import 'https://fonts.googleapis.com/css2?family=Inter';</style>",
         ["https://fonts.googleapis.com/css2?family=Inter"]),
    ],
)
def test_detector_on_html(page_html: str, external: list[str]):
    assert [url for url in html_loads(page_html) if is_external(url, ORIGIN)] == external


@pytest.mark.parametrize(
    ("css", "external"),
    [
        ('.a{background:url("data:image/svg+xml;utf8,<svg xmlns=\'http://www.w3.org/2000/svg\'/>")}',
         []),
        (".a{background:url(../images/x.png)}", []),
        ("@font-face{src:url(https://fonts.gstatic.com/s/roboto.woff2) format('woff2')}",
         ["https://fonts.gstatic.com/s/roboto.woff2"]),
        ('@import url("https://cdn.example.com/x.css");', ["https://cdn.example.com/x.css"]),
        ("@import 'https://cdn.example.com/y.css';", ["https://cdn.example.com/y.css"]),
        (".b{background:url( '//cdn.example.com/z.svg' )}", ["//cdn.example.com/z.svg"]),
    ],
)
def test_detector_on_css(css: str, external: list[str]):
    assert [url for url in css_urls(css) if is_external(url, ORIGIN)] == external


@pytest.mark.parametrize(
    ("mkdocs_yml", "expected"),
    [
        ("site_name: X\nsite_url: http://127.0.0.1:8000/\n", "127.0.0.1:8000"),
        ("site_url: 'https://sops.example.com/docs/'  # production\n", "sops.example.com"),
        ("site_name: no url\n", ""),
        ('site_url: !ENV [PUBLIC_BASE_URL, "http://127.0.0.1:8000/"]\n', "127.0.0.1:8000"),
        ('site_url: !ENV [SET_URL, "http://127.0.0.1:8000/"]\n', "portal.example.com"),
    ],
)
def test_site_origin(mkdocs_yml: str, expected: str):
    environ = {"SET_URL": "https://portal.example.com/"}
    assert site_origin(mkdocs_yml, environ) == expected
