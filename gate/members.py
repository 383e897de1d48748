"""The ``/members`` blueprint: restricted pages, downloads and search, per audience.

A URL can only ever name an item found by :func:`gate.content.list_items` in
``RESTRICTED_DIR``: the path is looked up, exactly, in that catalogue, and never joined to a
folder. Unknown spellings (other case, ``;``, ``#``, ``..``, backslashes, NUL, device names,
hidden, backup and sidecar files) are simply not in it and answer 404.

Every item is gated the same way: anonymous HTML requests go to sign-in with a safe ``next``,
anonymous JSON and background requests get 401 (Material's instant navigation then loads the
page normally), a signed-in user without a grant gets 403 and an audit entry. Every response
of this blueprint is ``Cache-Control: private, no-store`` with ``Vary: Cookie``.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from gate import access, security, textsearch
from gate.config import resolve_path
from gate.content import (
    FILES_DIR,
    Catalogue,
    CatalogueCache,
    ContentError,
    Item,
    Snapshot,
    decode,
    parse_page,
)
from gate.errors import json_error, wants_json
from gate.markdown_render import RenderCache, Rendered, Renderer, RenderError
from gate.site_chrome import Chrome, ChromeCache

log = logging.getLogger(__name__)

bp = Blueprint("members", __name__, url_prefix="/members")

NO_OPTIONS: dict[str, Any] = {"provide_automatic_options": False}
"""OPTIONS answers 405 everywhere under /members/: it reveals nothing about any path."""

_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".zip": "application/zip",
}


# --- state -----------------------------------------------------------------------------------


@dataclass
class State:
    """Per-app caches: the catalogue, rendered pages, navigations, the site's chrome."""

    renderer: Renderer
    renders: RenderCache = field(default_factory=RenderCache)
    chrome: ChromeCache = field(default_factory=ChromeCache)
    catalogues: CatalogueCache = field(default_factory=CatalogueCache)
    views: ViewCache = field(default_factory=lambda: ViewCache())
    paths: dict[tuple[str, str], Path] = field(default_factory=dict)
    csrf: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    policy: tuple[Any, str] = (None, "")
    lock: threading.Lock = field(default_factory=threading.Lock)


class ViewCache:
    """Values derived from one catalogue version for one audience set (the navigation).

    Keyed by (catalogue version, audiences, staff): a new listing of the restricted folder
    gets a new version, so nothing here outlives the catalogue it was computed from, and two
    users with the same grants share one entry. Bounded: cleared when it grows too large.
    """

    LIMIT = 512

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], Any] = {}
        self._version = -1
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], version: int, compute: Any) -> Any:
        """The value for ``key`` at catalogue ``version``, computed by ``compute()`` once."""
        full = (version, *key)
        value = self._entries.get(full)
        if value is not None:
            return value
        value = compute()
        with self._lock:
            if version != self._version or len(self._entries) >= self.LIMIT:
                self._entries = {}
                self._version = version
            self._entries[full] = value
        return value


def state() -> State:
    """This app's members state."""
    return current_app.extensions["sop_members"]  # type: ignore[no-any-return]


def configured_path(name: str) -> Path:
    """The folder or file configured as ``name``, resolved (relative: from the working folder)."""
    value = str(current_app.config[name])
    key = (value, "" if os.path.isabs(value) else os.getcwd())
    memo = state().paths
    path = memo.get(key)
    if path is None:
        path = memo[key] = resolve_path(value)
    return path


def restricted_root() -> Path:
    """The configured restricted folder."""
    return configured_path("RESTRICTED_DIR")


def sections() -> frozenset[str]:
    """The newsletter sections known to this app (from the newsletter map)."""
    from gate.accounts import newsletter_sections

    return newsletter_sections(current_app.config)


def snapshot(key: str | None = None, *, full: bool = False) -> Snapshot:
    """The restricted items as they are on disk now, re-validated by stat (no reads).

    Folders and the files of ``key`` (the item about to be served) are checked every time;
    ``full`` checks every file (for answers that list items). See
    :class:`gate.content.CatalogueCache`. The snapshot is kept for the rest of the request.
    """
    snap = state().catalogues.get(
        restricted_root(), sections(), time.time_ns(), key=key, full=full
    )
    g.sop_snapshot = snap
    return snap


def catalogue(key: str | None = None, *, full: bool = False) -> Catalogue:
    """The current catalogue (see :func:`snapshot`)."""
    return snapshot(key, full=full).catalogue


def request_snapshot() -> Snapshot:
    """This request's snapshot (taken by the view), or a fresh one."""
    snap = g.get("sop_snapshot")
    return snap if snap is not None else snapshot()


def render_item(item: Item) -> Rendered:
    """The rendered page of ``item``, from the cache unless its file changed."""
    path = restricted_root() / item.source
    st = state()

    def render(target: Path) -> Rendered:
        text = decode(target.read_bytes(), item.source)
        _meta, body = parse_page(text, item.source, sections())
        return st.renderer.render(body, item.source)

    return st.renders.get(path, render)


def site_chrome() -> Chrome:
    """The built site's chrome for templates (and remember that this page uses it)."""
    chrome = g.get("sop_chrome")
    if chrome is None:
        chrome = state().chrome.get(configured_path("SITE_DIR"))
        g.sop_chrome = chrome
    return chrome  # type: ignore[no-any-return]


# --- who is asking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The signed-in user's access, computed once per request."""

    audiences: frozenset[str]
    is_staff: bool

    def may_open(self, item: Item) -> bool:
        """True when the item is valid and this viewer holds one of its audiences."""
        return item.meta is not None and access.can_open(
            item.meta.access, self.audiences, self.is_staff
        )


def viewer() -> Viewer:
    """The current (signed-in) user's audiences."""
    if "sop_viewer" not in g:
        user = current_user._get_current_object()
        g.sop_viewer = Viewer(frozenset(user.audiences(datetime.now(UTC))), bool(user.is_staff))
    return g.sop_viewer  # type: ignore[no-any-return]


def _audit(action: str, target: str, outcome: str, detail: str = "") -> None:
    from gate import audit

    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        audit.record(action, target=target, outcome=outcome, user=user, detail=detail)
    except Exception:  # noqa: BLE001 - an audit failure must not turn a page into a 500
        log.exception("could not audit %s %s", action, target)


# --- gate ------------------------------------------------------------------------------------


def sign_in_required() -> Response:
    """Anonymous: sign-in redirect for people, 401 for JSON and background requests."""
    from gate.extensions import login_manager

    if login_manager.unauthorized_callback is not None:
        return login_manager.unauthorized_callback()  # type: ignore[no-any-return]
    if wants_json():
        return json_error(401, "unauthorized", "Sign in to open this item.")
    return redirect("/auth/login?next=" + quote(request.path, safe="/"))


def unavailable(item: Item, reason: str) -> Response:
    """A broken content file: a clean 503 page, a log line and an audit entry."""
    log.error("restricted content unavailable: %s: %s", item.source, reason)
    _audit("content_error", item.source, "error", reason)
    if wants_json():
        response = json_error(
            503, "content_unavailable", "This content is temporarily unavailable."
        )
    else:
        response = Response(
            render_template(
                "members/unavailable.html",
                item=item,
                reason=reason if viewer().is_staff else "",
                nav=navigation(),
            ),
            status=503,
            mimetype="text/html",
        )
    response.headers["Retry-After"] = "300"
    return response


def denied(item: Item) -> Response:
    """Signed in without a grant: 403, saying who may open the item and how to get access."""
    meta = item.valid_meta
    _audit("access_denied", item.source, "denied", f"needs one of: {', '.join(meta.access)}")
    who = access.describe_access(meta.access)
    if wants_json():
        return json_error(403, "forbidden", f"This item is for {who}.")
    html = render_template(
        "members/denied.html",
        item=item,
        who=who,
        help=access.access_help(meta.access),
        nav=navigation(),
    )
    return Response(html, status=403, mimetype="text/html")


def gate(item: Item) -> Response | None:
    """None when the current user may open ``item``, else the response that refuses it."""
    if not current_user.is_authenticated:
        return sign_in_required()
    if item.meta is None:
        return unavailable(item, item.error or "invalid metadata")
    if not viewer().may_open(item):
        return denied(item)
    return None


def lookup(cat: Catalogue, key: str, kind: str) -> Item:
    """The item at exactly ``key``; 404 for anything else."""
    item = cat.items.get(key)
    if item is None or item.kind != kind:
        abort(404)
    return item


def file_path(item: Item) -> Path:
    """The real file of a download, re-checked to be a regular file inside the folder."""
    root = restricted_root().resolve()
    try:
        path = (root / item.source).resolve(strict=True)
    except (OSError, RuntimeError):
        abort(404)
    if root not in path.parents or not path.is_file():
        abort(404)
    return path


# --- views -----------------------------------------------------------------------------------


def private(response: Response) -> Response:
    """Answers under /members are never stored by shared or browser caches (404s included)."""
    if request.path == "/members" or request.path.startswith("/members/"):
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
    return response


@bp.get("/", **NO_OPTIONS)
def index() -> Response | str:
    """What this user may open, and teasers of the rest."""
    if not current_user.is_authenticated:
        return sign_in_required()
    cat = catalogue(full=True)
    me = viewer()
    pages = [i for i in cat.pages() if me.may_open(i)]
    files = [i for i in cat.files() if me.may_open(i)]
    locked = [i for i in cat.pages() + cat.files() if i.meta is not None and not me.may_open(i)]
    broken = [i for i in cat.items.values() if i.meta is None] if me.is_staff else []
    problems = [str(p) for p in cat.problems] if me.is_staff else []
    if wants_json():
        return jsonify(
            pages=[_summary(i) for i in pages],
            downloads=[_summary(i) for i in files],
            locked=[_summary(i) for i in locked],
        )
    return render_template(
        "members/index.html",
        pages=pages,
        files=files,
        locked=[teaser(i) for i in locked],
        broken=broken,
        problems=problems,
        nav=navigation(),
        members_home=True,
    )


@bp.get("/search", **NO_OPTIONS)
def search() -> Response | str:
    """Term search over the pages this user may open, and only those."""
    if not current_user.is_authenticated:
        return sign_in_required()
    raw = request.args.get("q", "")
    cat = catalogue(full=True)
    try:
        terms = textsearch.parse_query(raw)
    except textsearch.QueryError as exc:
        if wants_json():
            return json_error(400, "bad_query", str(exc), "q")
        html = render_template("members/search.html", query=raw[:200], error=str(exc),
                               hits=[], terms=[], nav=navigation(),
                               hide_site_search=True)
        return Response(html, status=400, mimetype="text/html")
    hits = textsearch.search(_documents(cat), terms) if terms else []
    if wants_json():
        return jsonify(query=raw, results=[
            {"title": h.title, "url": h.url, "snippet": h.snippet} for h in hits
        ])
    return render_template(
        "members/search.html", query=raw, error="", hits=hits, terms=terms,
        highlight=textsearch.highlight_parts, nav=navigation(), hide_site_search=True,
    )


@bp.get("/files/<path:name>", **NO_OPTIONS)
def download(name: str) -> Response:
    """A restricted download: attachment, nosniff, ETag and Range, audited."""
    key = f"{FILES_DIR}/{name}"
    item = lookup(catalogue(key), key, "file")
    refusal = gate(item)
    if refusal is not None:
        return refusal
    path = file_path(item)
    if current_app.config.get("USE_X_ACCEL_REDIRECT"):
        response = Response(status=200)
        response.headers["X-Accel-Redirect"] = "/_protected/" + quote(name, safe="/")
        response.headers["Content-Type"] = content_type(item.source)
    else:
        response = send_file(
            path, mimetype=content_type(item.source), conditional=True, etag=True, max_age=None
        )
    response.headers["Content-Disposition"] = content_disposition(path.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.method == "GET" and response.status_code in (200, 206):
        partial = response.status_code == 206
        detail = f"range {request.headers.get('Range', '')}"[:200] if partial else ""
        _audit("download", item.source, "ok", detail)
    return response


@bp.get("/<path:page>", **NO_OPTIONS)
def show(page: str) -> Response | str:
    """A restricted page rendered in the site's look."""
    cat = catalogue(page)
    item = cat.items.get(page)
    if item is None or item.kind != "page":
        alternative = page[:-1] if page.endswith("/") else page + "/"
        other = cat.items.get(alternative)
        if other is not None and other.kind == "page":
            return redirect(other.url, code=308)
        abort(404)
    refusal = gate(item)
    if refusal is not None:
        return refusal
    try:
        rendered = render_item(item)
    except (ContentError, RenderError, OSError) as exc:
        return unavailable(item, str(exc))
    meta = item.valid_meta
    if wants_json():
        return jsonify(title=meta.title, url=item.url, html=rendered.html)
    me = viewer()

    def context() -> dict[str, Any]:
        downloads = []
        for entry in meta.downloads:
            target = cat.items.get(f"{FILES_DIR}/{entry}")
            if target is not None and target.meta is not None:
                downloads.append((target, me.may_open(target), teaser(target)))
        return {
            "item": item,
            "rendered": rendered,
            "who": access.describe_access(meta.access),
            "downloads": downloads,
            "nav": navigation(),
            "nav_current": item.url,
        }

    return cached_page("members/page.html", (item.key, rendered), context)


# --- rendered page cache ---------------------------------------------------------------------

CSRF_SLOT = "sop-csrf-slot-" + secrets.token_hex(16)
EMAIL_SLOT = "sop-email-slot-" + secrets.token_hex(16)
"""Unguessable stand-ins for the only per-user parts of a members page: the sign-out form's
CSRF token and the signed-in email in its title. Both are filled in on every request."""


@dataclass(frozen=True)
class _SlotUser:
    """What the layout reads of ``current_user`` while a shared page is rendered."""

    email: str = EMAIL_SLOT
    is_authenticated: bool = True
    is_anonymous: bool = False


def cached_page(template: str, key: tuple[Any, ...], context: Callable[[], dict[str, Any]]
                ) -> str:
    """``template`` rendered once per catalogue version, site chrome, viewer access and
    ``key``, then completed per request with this user's CSRF token and email.

    Everything else on such a page depends only on what is in the key: the item and its
    rendering, the catalogue (navigation, downloads), the audiences and staff flag (what is
    listed or locked) and the site's chrome. ``context()`` is only called on a miss.
    """
    chrome = site_chrome()
    me = viewer()
    html = state().views.get(
        ("page", template, chrome, me.audiences, me.is_staff, *key),
        request_snapshot().version,
        lambda: render_template(
            template, **context(), csrf_token=lambda: CSRF_SLOT, current_user=_SlotUser()
        ),
    )
    user = current_user._get_current_object()
    return str(html).replace(CSRF_SLOT, page_csrf_token()).replace(
        EMAIL_SLOT, str(escape(user.email))
    )


CSRF_REUSE_SECONDS = 60.0
"""How long one signed CSRF token is handed out again to the same browser session."""


def page_csrf_token() -> str:
    """The sign-out form's CSRF token: Flask-WTF's, signed once a minute per session.

    Signing costs as much as the rest of a cached page. The token is bound to the session's
    raw CSRF value like any other and stays valid for ``WTF_CSRF_TIME_LIMIT`` (an hour) from
    when it was signed, so reusing it for a minute changes nothing about what it protects.
    """
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field_name)
    if not isinstance(raw, str) or not raw or field_name in g:
        return generate_csrf()
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    key = (raw, str(secret))
    cache = state().csrf
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and 0 <= now - hit[0] < CSRF_REUSE_SECONDS:
        return hit[1]
    token = generate_csrf()
    if len(cache) >= 4096:
        cache.clear()
    cache[key] = (now, token)
    return token


# --- view helpers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Teaser:
    """What anyone may know about an item: title, summary, who it is for, how to get access."""

    item: Item
    title: str
    summary: str
    who: str
    help: tuple[str, ...]


def teaser(item: Item) -> Teaser:
    """The public teaser of a valid item."""
    meta = item.valid_meta
    return Teaser(
        item, meta.title, meta.summary, access.describe_access(meta.access),
        tuple(access.access_help(meta.access)),
    )


def _summary(item: Item) -> dict[str, Any]:
    meta = item.valid_meta
    return {"title": meta.title, "url": item.url, "summary": meta.summary,
            "kind": item.kind, "access": list(meta.access)}


@dataclass(frozen=True)
class NavGroup:
    """A folder of pages in the members navigation."""

    title: str
    links: tuple[tuple[str, str], ...]  # (title, url); the template marks the current page


def navigation() -> tuple[NavGroup, ...]:
    """This request's navigation, shared by every user with the same access to this catalogue
    version (see :class:`ViewCache`)."""
    if not current_user.is_authenticated:
        return ()
    snap = request_snapshot()
    me = viewer()
    return state().views.get(  # type: ignore[no-any-return]
        ("nav", me.audiences, me.is_staff), snap.version,
        lambda: build_navigation(snap.catalogue, me),
    )


def build_navigation(cat: Catalogue, me: Viewer) -> tuple[NavGroup, ...]:
    """Only the pages ``me`` may open, grouped by folder (a folder's index names it)."""
    groups: dict[str, list[Item]] = {}
    for item in cat.pages():
        if me.may_open(item):
            groups.setdefault(_folder(item.key), []).append(item)
    result = []
    for folder in sorted(groups):
        index = cat.items.get(folder + "/") if folder else None
        name = index.title if index is not None and index.meta else _folder_title(folder)
        ordered = sorted(groups[folder], key=lambda i: (not i.key.endswith("/"), i.title.lower()))
        result.append(NavGroup(name, tuple((i.title, i.url) for i in ordered)))
    return tuple(result)


def _folder(key: str) -> str:
    """The folder a page belongs to: its own for an index page, else its parent."""
    if key.endswith("/"):
        return key.rstrip("/")
    return key.rsplit("/", 1)[0] if "/" in key else ""


def _folder_title(folder: str) -> str:
    if not folder:
        return "General"
    return " / ".join(access.section_title(part) for part in folder.split("/"))


def _documents(cat: Catalogue) -> Iterable[textsearch.Document]:
    me = viewer()
    for item in cat.pages():
        if not me.may_open(item):
            continue
        try:
            rendered = render_item(item)
        except (ContentError, RenderError, OSError) as exc:
            log.error("search skipped %s: %s", item.source, exc)
            continue
        yield textsearch.Document(item.url, item.title, rendered.text)


def content_type(name: str) -> str:
    """The media type of a download by its extension (octet-stream when unknown)."""
    suffix = Path(name).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=True)
    return guessed or "application/octet-stream"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name (RFC 6266).

    Control characters, quotes, backslashes, ``;`` and ``%`` never reach the fallback; the
    ``filename*`` form percent-encodes everything but RFC 5987 ``attr-char``.
    """
    name = "".join(ch for ch in filename if ch.isprintable()) or "download"
    fallback = "".join(
        ch if (ch.isascii() and (ch.isalnum() or ch in " ._-()[]+,")) else "_" for ch in name
    ).strip() or "download"
    encoded = quote(name.encode("utf-8"), safe="!#$&+-.^_`|~")
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{encoded}'


def _chrome_csp(response: Response) -> Response:
    """Gate pages that use the site's chrome also allow its one extra inline script."""
    chrome = g.get("sop_chrome")
    if chrome is None or response.mimetype != "text/html":
        return response
    if "Content-Security-Policy" in response.headers:
        return response
    site_dir = configured_path("SITE_DIR")
    if chrome.script_hashes:
        response.headers["Content-Security-Policy"] = _policy(site_dir, chrome.script_hashes)
    return response


def _policy(site_dir: Path, extra: tuple[str, ...]) -> str:
    """The site's policy plus ``extra`` script hashes, cached by the hashes file's stamp."""
    try:
        stamp = (site_dir / security.CSP_HASHES_FILE).stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (str(site_dir), stamp, extra)
    st = state()
    if st.policy[0] != key:
        hashes = [*security.load_script_hashes(site_dir), *extra]
        st.policy = (key, security.build_csp(hashes))
    return st.policy[1]


def init_app(app: Flask) -> None:
    """Register the blueprint, the template helpers, the CSP addition and the build checks."""
    from gate import checks, cli, sessions

    sessions.READ_ONLY_BLUEPRINTS.add(bp.name)  # views only read who the user is
    app.extensions["sop_members"] = State(
        renderer=Renderer(resolve_path(app.config["MKDOCS_CONFIG"]))
    )
    app.register_blueprint(bp)
    app.context_processor(lambda: {"site_chrome": site_chrome})
    app.after_request(_chrome_csp)
    app.after_request(private)
    for check in (checks.content_check, checks.leak_check):
        if check not in cli.build_checks:
            cli.build_checks.append(check)
