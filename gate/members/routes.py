"""The ``/members`` blueprint: who may open what, then the built file.

A URL names an item only when the members build's catalogue lists it, exactly: other
spellings (case, ``;``, ``..``, backslashes, encoded slashes, hidden or backup files) are not
keys and answer 404. Anonymous readers of an item are sent to sign in (JSON and background
requests get 401); a signed-in reader without a grant gets 403 with how to get access, or 404
for an item of another client account (its existence is private too). Pages go out as the
reader may see them (:mod:`gate.members.variants`), downloads as attachments after an audit
row is written. Every answer but the theme's assets is ``private, no-store`` with
``Vary: Cookie``; OPTIONS answers 405.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from gate import audit, site
from gate.accounts import sessions
from gate.config import resolve_path
from gate.errors import json_error, wants_json
from gate.members.catalogue import SITEMAP, Build, Current, Entry, NotBuilt
from gate.members.files import content_disposition, content_type
from gate.members.variants import Reader

log = logging.getLogger(__name__)

bp = Blueprint("members", __name__, url_prefix="/members")
NO_OPTIONS = {"provide_automatic_options": False}


def current_build() -> Build:
    """The members build in place now; 503 when there is none."""
    current: Current = current_app.extensions["sop_members"]
    try:
        return current.get(resolve_path(current_app.config["MEMBERS_SITE_DIR"]))
    except NotBuilt as exc:
        log.error("%s", exc)
        abort(503, description="The members area is being prepared. Try again in a minute.")


def reader_of(build: Build) -> Reader:
    """The signed-in reader as ``build`` tells readers apart."""
    user = current_user
    return build.reader_key(user.audiences(datetime.now(UTC)), bool(user.is_staff))


@bp.get("/", defaults={"path": ""}, **NO_OPTIONS)
@bp.get("/<path:path>", **NO_OPTIONS)
def serve(path: str) -> ResponseReturnValue:
    """A page, a download, the reader's search index or a theme asset of the members build."""
    build = current_build()
    entry = build.pages.get(path)
    if entry is not None:
        return page(build, entry)
    if path in build.files:
        return download(build, build.files[path])
    if path in build.assets:
        return asset(build, path)
    if path == build.search_index:
        return search_index(build)
    if path == SITEMAP:
        return sitemap(build)
    if path == "search":
        return search(build)
    if path + "/" in build.pages:
        query = request.query_string.decode("latin-1")
        return redirect(build.root + quote(path) + "/" + (f"?{query}" if query else ""), 308)
    return not_found(build)


def page(build: Build, entry: Entry) -> ResponseReturnValue:
    """A member page as this reader may see it."""
    if not current_user.is_authenticated:
        return sessions.unauthorized()
    reader = reader_of(build)
    if not reader.may_open(entry.access):
        return refuse(build, entry)
    if entry.key == "" and wants_json():
        return overview(build, reader)
    if current_app.config.get("USE_X_ACCEL_REDIRECT"):
        return accel(build.view_path(entry.file, reader), build, "text/html; charset=utf-8")
    return Response(build.page_for(entry.file, reader), mimetype="text/html")


def download(build: Build, entry: Entry) -> ResponseReturnValue:
    """A restricted download: attachment, nosniff, ETag and Range, audited before it leaves."""
    if not current_user.is_authenticated:
        return sessions.unauthorized()
    if not reader_of(build).may_open(entry.access):
        return refuse(build, entry)
    if request.method == "GET":
        ranged = request.headers.get("Range")
        detail = f"range {ranged}"[:200] if ranged else ""
        try:
            audit.record("download", target=entry.key, user=current_user, detail=detail)
        except Exception:  # noqa: BLE001 - nothing leaves unrecorded
            log.exception("download refused: could not audit %s", entry.key)
            refused = json_error(503, "unavailable", "Try again in a minute.")
            refused.headers["Retry-After"] = "30"
            return refused
    path = build.folder / entry.file
    response: BaseResponse
    if current_app.config.get("USE_X_ACCEL_REDIRECT"):
        response = accel(path, build, content_type(entry.key))
    else:
        response = send_file(path, mimetype=content_type(entry.key), conditional=True,
                             etag=True, max_age=None)
    response.headers["Content-Disposition"] = content_disposition(path.name)
    return response


def accel(path: Path, build: Build, mimetype: str) -> BaseResponse:
    """Hand the bytes of a file of the build to nginx (``X-Accel-Redirect``)."""
    relative = build.relative(path)
    response = Response(status=200, mimetype=mimetype)
    response.headers["X-Accel-Redirect"] = "/_members_builds/" + quote(relative)
    return response


def asset(build: Build, path: str) -> BaseResponse:
    """A file of the theme or the widgets: the same for everyone, cached like public files."""
    response = send_file(build.folder / path, conditional=True, max_age=None)
    response.headers["Cache-Control"] = site.cache_control(path)
    return response


def search(build: Build) -> ResponseReturnValue:
    """The old search address: the members home with Material's search box opened on ``q``."""
    if not current_user.is_authenticated:
        return sessions.unauthorized()
    return redirect(build.root + "?" + urlencode({"q": request.args.get("q", "")[:200]}))


def search_index(build: Build) -> BaseResponse:
    """Material's search index holding only the pages this reader may open."""
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "Sign in to search the members area.")
    body = build.search_index_for(reader_of(build))
    return Response(body, mimetype="application/json")


def sitemap(build: Build) -> BaseResponse:
    """The sitemap with only the pages this reader may open (empty when signed out)."""
    if not current_user.is_authenticated:
        return not_found(build)
    return Response(build.sitemap_for(reader_of(build)), mimetype="application/xml")


def refuse(build: Build, entry: Entry) -> BaseResponse:
    """Signed in without the grant: 404 for another account's item, else 403 with help."""
    audit.record("access_denied", target=entry.key, user=current_user, outcome="denied",
                 detail=f"needs one of: {', '.join(entry.access)}")
    if entry.private:
        return not_found(build)
    if wants_json():
        return json_error(403, "forbidden", f"This item is for {entry.who}.")
    html = render_template("members/denied.html", entry=entry)
    return Response(html, status=403, mimetype="text/html")


def not_found(build: Build) -> BaseResponse:
    """The members 404 page as this reader may see it (the public one when signed out)."""
    if wants_json():
        return json_error(404, "not_found", "There is nothing at this address.")
    if not current_user.is_authenticated:
        return site.not_found_page()
    body = build.page_for(build.not_found, reader_of(build))
    return Response(body, status=404, mimetype="text/html")


def overview(build: Build, reader: Reader) -> BaseResponse:
    """The members home as JSON: what this reader can open, and audience-wide teasers."""

    def summary(entry: Entry) -> dict[str, object]:
        return {"title": entry.title, "url": build.root + entry.key, "summary": entry.summary,
                "kind": entry.kind, "access": list(entry.access)}

    entries = [e for e in build.entries() if e.key]
    return jsonify(
        pages=[summary(e) for e in entries if e.kind == "page" and reader.may_open(e.access)],
        downloads=[summary(e) for e in entries if e.kind == "file" and reader.may_open(e.access)],
        locked=[summary(e) for e in entries if not e.private and not reader.may_open(e.access)],
    )


def private(response: BaseResponse) -> BaseResponse:
    """Answers under /members are never stored by shared caches (404s included)."""
    public = response.headers.get("Cache-Control", "").startswith("public")
    if request.blueprint == bp.name and not public:
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
    return response
