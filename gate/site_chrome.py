"""The built site's look, borrowed for the gate's own pages.

Material writes its stylesheet bundle, header (logo, site name, palette toggle, search), tabs
and footer into every built page. :func:`load_chrome` extracts them once from
``SITE_DIR/index.html`` (again only when that file changes), turns the page's relative links
into absolute ones and prepares Material's ``__config`` for gate pages, so the members area,
the sign-in pages and the error pages look like the rest of the site.

Gate pages load Material's script bundle without instant navigation: links from a gate page to
the public site are ordinary full page loads, and Material never fetches a gate page in the
background (it only intercepts links listed in the site's ``sitemap.xml``, where no gate URL
ever appears).

Before the site is built there is no chrome (:data:`EMPTY`) and the templates fall back to a
plain layout.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urljoin

from markupsafe import Markup

_STYLESHEET = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>", re.I)
_ICON = re.compile(r"<link\b[^>]*\brel=\"icon\"[^>]*>", re.I)
_HREF = re.compile(r"\bhref=\"([^\"]*)\"", re.I)
_URL_ATTR = re.compile(r"\b(href|src)=\"([^\"]*)\"", re.I)
_HEADER = re.compile(r"<header class=\"md-header\b.*?</header>", re.S)
_TABS = re.compile(r"<nav class=\"md-tabs\".*?</nav>", re.S)
_FOOTER_META = re.compile(r"<div class=\"md-footer-meta\b.*?</footer>", re.S)
_CONFIG = re.compile(r"<script id=\"__config\" type=\"application/json\">(.*?)</script>", re.S)
_BUNDLE = re.compile(r"<script src=\"([^\"]*assets/javascripts/bundle\.[^\"]*\.js)\"", re.I)
_SCOPE_SCRIPT = re.compile(r"<script>(__md_scope=new URL\(\"[^\"]*\",location\).*?)</script>",
                           re.S)
_BODY = re.compile(r"<body\b([^>]*)>", re.I)
_COLOR_ATTR = re.compile(r"\bdata-md-color-[a-z]+=\"[^\"]*\"")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_SITE_NAME = re.compile(
    r"<div class=\"md-header__topic\">\s*<span class=\"md-ellipsis\">(.*?)</span>", re.S
)
_TOPIC = re.compile(
    r"(<div class=\"md-header__topic\" data-md-component=\"header-topic\">\s*"
    r"<span class=\"md-ellipsis\">).*?(</span>)",
    re.S,
)
_ACTIVE_TAB = re.compile(r"\s*md-tabs__item--active")
_NAV_CLOSE = "</nav>"
TOPIC_SLOT = "\x00topic\x00"
ACTIONS_SLOT = "\x00actions\x00"


@dataclass(frozen=True)
class Chrome:
    """The parts of the built site that gate pages reuse (all links absolute)."""

    site_name: str = "SOP Portal"
    stylesheets: tuple[str, ...] = ()
    icon: str = ""
    scope_script: str = ""
    header_html: str = ""
    header_plain_html: str = ""
    """The header without Material's site search (for pages that use ``?q=`` themselves)."""
    tabs_html: str = ""
    footer_html: str = ""
    bundle_src: str = ""
    config_json: str = ""
    body_attrs: str = ""

    @property
    def available(self) -> bool:
        """True when the site is built and its header was found."""
        return bool(self.header_html)

    @cached_property
    def script_hashes(self) -> tuple[str, ...]:
        """CSP hashes of the inline scripts this chrome adds that the site does not carry."""
        if not self.scope_script:
            return ()
        digest = hashlib.sha256(self.scope_script.encode("utf-8")).digest()
        return ("sha256-" + base64.b64encode(digest).decode("ascii"),)

    def header(
        self, topic: str | Markup, actions: str | Markup = "", *, site_search: bool = True
    ) -> Markup:
        """The site's header with ``topic`` as the page title and ``actions`` inside it.

        Plain strings are escaped; :class:`Markup` (a rendered template block) is kept.
        ``site_search=False`` leaves out Material's search box, which would otherwise open by
        itself on any page whose URL carries ``?q=`` (the members search does).
        """
        shown = str(topic).strip() if isinstance(topic, Markup) else html.escape(topic)
        template = self.header_html if site_search else self.header_plain_html
        value = template.replace(TOPIC_SLOT, shown)
        value = value.replace(ACTIONS_SLOT, str(Markup.escape(actions)))
        return Markup(value)  # nosec B704 - the site's own HTML, with escaped parts


EMPTY = Chrome()


def absolutise(fragment: str, base: str = "/") -> str:
    """Resolve the relative ``href``/``src`` attributes of an HTML fragment against ``base``."""

    def fix(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        raw = html.unescape(value)
        if not raw or raw.startswith(("#", "/", "data:", "mailto:", "javascript:")) or (
            re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.I)
        ):
            return match.group(0)
        return f'{name}="{html.escape(urljoin(base, raw), quote=True)}"'

    return _URL_ATTR.sub(fix, fragment)


def _scope_script(page: str) -> str:
    """Material's storage helpers scoped to the site root, whatever the gate page's path."""
    match = _SCOPE_SCRIPT.search(page)
    if not match:
        return ""
    return re.sub(r"^__md_scope=new URL\(\"[^\"]*\"", '__md_scope=new URL("/"', match.group(1))


def _gate_config(page: str) -> str:
    """Material's ``__config`` for gate pages: absolute base and worker, no instant loading."""
    match = _CONFIG.search(page)
    if not match:
        return ""
    try:
        config = json.loads(match.group(1))
    except ValueError:
        return ""
    config["base"] = "/"
    if isinstance(config.get("search"), str):
        config["search"] = urljoin("/", config["search"])
    config["features"] = [
        f for f in config.get("features", []) if not str(f).startswith("navigation.instant")
    ]
    # Safe inside <script type="application/json">: no "</" can close the element early.
    return json.dumps(config).replace("</", "<\\/")


_SEARCH_LABEL = re.compile(
    r"<label class=\"md-header__button md-icon\" for=\"__search\">.*?</label>", re.S
)
_DIV_TAG = re.compile(r"<div\b|</div>")


def without_search(header: str) -> str:
    """``header`` without Material's search button and search dialog."""
    header = _SEARCH_LABEL.sub("", header)
    start = header.find('<div class="md-search"')
    if start == -1:
        return header
    depth = 0
    for tag in _DIV_TAG.finditer(header, start):
        depth += 1 if tag.group(0) == "<div" else -1
        if depth == 0:
            return header[:start] + header[tag.end():]
    return header


def _header(page: str) -> str:
    match = _HEADER.search(page)
    if not match:
        return ""
    header = absolutise(match.group(0))
    header, found = _TOPIC.subn(rf"\g<1>{TOPIC_SLOT}\g<2>", header, count=1)
    if not found:
        header = header.replace("</header>", f"{TOPIC_SLOT}</header>", 1)
    cut = header.rfind(_NAV_CLOSE)
    if cut == -1:
        return header.replace("</header>", f"{ACTIONS_SLOT}</header>", 1)
    return header[:cut] + ACTIONS_SLOT + header[cut:]


def extract_chrome(page: str) -> Chrome:
    """The chrome found in the HTML of the built site's home page."""
    title = _SITE_NAME.search(page) or _TITLE.search(page)
    body = _BODY.search(page)
    tabs = _TABS.search(page)
    footer = _FOOTER_META.search(page)
    bundle = _BUNDLE.search(page)
    icon_tag = _ICON.search(page)
    icon_href = _HREF.search(icon_tag.group(0)) if icon_tag else None
    links = []
    for tag in _STYLESHEET.findall(page):
        href = _HREF.search(tag)
        if href:
            links.append(urljoin("/", html.unescape(href.group(1))))
    return Chrome(
        site_name=html.unescape(title.group(1).strip()) if title else EMPTY.site_name,
        stylesheets=tuple(links),
        icon=urljoin("/", html.unescape(icon_href.group(1))) if icon_href else "",
        scope_script=_scope_script(page),
        header_html=_header(page),
        header_plain_html=without_search(_header(page)),
        tabs_html=_ACTIVE_TAB.sub("", absolutise(tabs.group(0))) if tabs else "",
        footer_html=(
            "<footer class=\"md-footer\">" + absolutise(footer.group(0)) if footer else ""
        ),
        bundle_src=urljoin("/", bundle.group(1)) if bundle else "",
        config_json=_gate_config(page),
        body_attrs=" ".join(_COLOR_ATTR.findall(body.group(1))) if body else "",
    )


class ChromeCache:
    """The chrome of one built site, re-extracted only when its ``index.html`` changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[str, int, int] | None = None
        self._chrome = EMPTY

    def get(self, site_dir: Path) -> Chrome:
        """The chrome of ``site_dir``, or :data:`EMPTY` when the site is not built."""
        index = site_dir / "index.html"
        try:
            st = index.stat()
        except OSError:
            return EMPTY
        stamp = (str(index), st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    page = index.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    return EMPTY
                self._chrome = extract_chrome(page)
                self._stamp = stamp
            return self._chrome
