"""``/admin/view-as``: the members area as a reader with chosen grants sees it, read-only.

``/admin/view-as?audience=A&audience=B`` checks the audiences, records them in the staff
member's session (audited) and opens ``/admin/view-as/``, the members home as that reader sees
it. Pages under it are the members build's own pages, cut for that reader by the same code that
serves ``/members/`` (:meth:`gate.members.catalogue.Build.page_for`), with a banner on top and
their ``/members/`` links pointing back under ``/admin/view-as/``; relative links (the theme's
assets, the navigation, the reader's search index) resolve there too. Downloads are not handed
out: their page says whether the reader could open them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, redirect, render_template, request, send_file, session
from flask.typing import ResponseReturnValue

from gate import audit
from gate.accounts.services import AccountError
from gate.admin import queries, services
from gate.admin.blueprint import actor, bp, page
from gate.config import resolve_path
from gate.db import get_session
from gate.members.catalogue import Build, Current, NotBuilt
from gate.members.variants import Reader
from gate.newsletter.sections import current_slugs

SESSION_KEY = "sop_view_as"
_ARTICLE = re.compile(rb"<article\b[^>]*>")
_MEMBERS_LINK = re.compile(rb'((?:href|src|action)=")/members/')


def _build() -> Build | None:
    current: Current = current_app.extensions["sop_members"]
    try:
        return current.get(resolve_path(current_app.config["MEMBERS_SITE_DIR"]))
    except NotBuilt:
        return None


def build_status() -> dict[str, Any]:
    """The members build for the overview: built or not, with its pages and downloads."""
    build = _build()
    if build is None:
        return {"built": False}
    open_to_all = sum(1 for e in build.entries() if "members" in e.access)
    no_summary = [e.key for e in build.pages.values() if e.key and not e.summary.strip()]
    return {"built": True, "pages": len(build.pages), "files": len(build.files),
            "open_to_all": open_to_all, "no_summary": no_summary[:10]}


def _choices(build: Build | None) -> list[str]:
    found = {"clients"} | {f"newsletter:{s}" for s in current_slugs()}
    found |= {f"client:{a.slug}" for a in queries.accounts(get_session())}
    if build is not None:
        found |= {a for a in build.audiences if a not in {"members", "staff"}}
    return sorted(found)


@bp.get("/view-as")
def view_as_start() -> ResponseReturnValue:
    """Choose audiences (no ``audience=``), or start viewing as a reader holding them."""
    build = _build()
    wanted = request.args.getlist("audience")
    if not wanted:
        return page("admin/view_as.html", choices=_choices(build),
                    current=session.get(SESSION_KEY))
    if len(wanted) > 20:
        return page("admin/view_as.html", 400, choices=_choices(build),
                    error="Choose at most 20 audiences.")
    try:
        chosen = sorted(set(services.audiences(get_session(), current_app.config, wanted)))
    except AccountError as exc:
        return page("admin/view_as.html", 400, choices=_choices(build), error=str(exc))
    session[SESSION_KEY] = chosen
    audit.record("admin.view_as", email=actor().email, target=",".join(chosen) or "(none)",
                 detail=f"by {actor().email}")
    return redirect("/admin/view-as/", 303)


def _banner(reader: Reader) -> bytes:
    html = render_template("admin/_view_as_banner.html", audiences=sorted(reader.audiences))
    return html.encode("utf-8")


def _as_reader(build: Build, body: bytes, reader: Reader) -> bytes:
    body = _MEMBERS_LINK.sub(rb"\1/admin/view-as/", body)
    banner = _banner(reader)
    found = _ARTICLE.search(body)
    if found is None:
        return banner + body
    return body[:found.end()] + banner + body[found.end():]


@bp.get("/view-as/", defaults={"path": ""})
@bp.get("/view-as/<path:path>")
def view_as(path: str) -> ResponseReturnValue:
    """A page of the members area as the chosen reader sees it (read-only, with a banner)."""
    chosen = session.get(SESSION_KEY)
    if not isinstance(chosen, list):
        return redirect("/admin/view-as", 303)
    build = _build()
    if build is None:
        return page("admin/view_as.html", 503, choices=[],
                    error="The members area is not built yet (sop-portal build).")
    reader = build.reader_key(frozenset(str(a) for a in chosen), False)
    entry = build.pages.get(path)
    if entry is not None:
        if not reader.may_open(entry.access):
            return page("admin/view_as_refused.html", entry=entry, reader=reader,
                        audiences=sorted(reader.audiences))
        body = _as_reader(build, build.page_for(entry.file, reader), reader)
        return Response(body, mimetype="text/html")
    if path in build.files:
        entry = build.files[path]
        return page("admin/view_as_refused.html", entry=entry, reader=reader,
                    audiences=sorted(reader.audiences), download=True,
                    may=reader.may_open(entry.access))
    if path in build.assets:
        return send_file(build.folder / path, conditional=True, max_age=None)
    if path == build.search_index:
        return Response(build.search_index_for(reader), mimetype="application/json")
    if path + "/" in build.pages:
        return redirect(f"/admin/view-as/{quote(path)}/", 308)
    body = _as_reader(build, build.page_for(build.not_found, reader), reader)
    return Response(body, status=404, mimetype="text/html")
