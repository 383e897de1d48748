"""The reader's own pages under ``/auth``: who am I (``/auth/status``), my account
(``/auth/account``) and asking for access (``/auth/request-access``).

Public pages are static files; ``docs/javascripts/account.js`` asks ``/auth/status`` and shows
the signed-in state (and one-time notices such as "You are signed out") in the header of every
page, public, members and gate pages alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    get_flashed_messages,
    jsonify,
    request,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from gate import mail
from gate.accounts import requests as access_requests
from gate.accounts.forms import AccessRequestForm, ButtonForm
from gate.accounts.pages import config_limit, email_or_none, form_email_key, render_page
from gate.config import resolve_path
from gate.db import get_session
from gate.extensions import limiter, login_manager
from gate.members.catalogue import Current, NotBuilt
from gate.members.routes import reader_of
from gate.models import User

bp = Blueprint("reader", __name__, url_prefix="/auth")

ACCOUNT_URL = "/auth/account"
NEWSLETTER = "Online Sales FAQ"


@dataclass(frozen=True)
class Access:
    """One thing a reader may open, in words, with the date it ends (or None)."""

    words: str
    until: str | None


@dataclass(frozen=True)
class Link:
    """A member page or download the reader may open."""

    title: str
    url: str
    kind: str


def audience_words(audience: str, account_name: str | None) -> str:
    """What one grant opens, for the reader who holds it."""
    kind, _, name = audience.partition(":")
    if audience == "staff":
        return "Everything: every page and download (staff)"
    if audience == "clients":
        return "The pages and forms for registered clients"
    if kind == "client":
        own = f" ({account_name})" if account_name else ""
        return f"The pages and forms of your client account{own}"
    if kind == "newsletter":
        title = " ".join(word.capitalize() for word in name.split("-"))
        return f"The {NEWSLETTER} newsletter's {title} section"
    return audience


def _human_day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def what_you_can_open(user: User, now: datetime) -> list[Access]:
    """The user's valid grants in words (staff: everything)."""
    if user.is_staff:
        return [Access(audience_words("staff", None), None)]
    account = user.account.name if user.account is not None else None
    return [
        Access(audience_words(g.audience, account),
               _human_day(g.ends_at) if g.ends_at is not None else None)
        for g in user.grants
        if g.is_valid(now)
    ]


def member_links() -> list[Link]:
    """The member pages and downloads this reader may open (none before the first build)."""
    current: Current = current_app.extensions["sop_members"]
    try:
        build = current.get(resolve_path(current_app.config["MEMBERS_SITE_DIR"]))
    except NotBuilt:
        return []
    reader = reader_of(build)
    return [
        Link(e.title, build.root + e.key, e.kind)
        for e in build.entries()
        if e.key and reader.may_open(e.access)
    ]


@bp.after_request
def _no_store(response: Response) -> Response:
    """The reader's pages and status are never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/status")
def status() -> Response:
    """``{"signed_in", "email", "account_url", "notices"}``, never stored by any cache."""
    signed_in = bool(current_user.is_authenticated)
    response = jsonify(
        signed_in=signed_in,
        email=current_user.email if signed_in else None,
        account_url=ACCOUNT_URL,
        notices=get_flashed_messages(),
    )
    response.vary.add("Cookie")
    return response


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """Who you are, what you can open (with links), password, sign out (here, everywhere)."""
    user = get_session().get(User, current_user.id)
    if user is None:  # deleted between the loader and here
        return login_manager.unauthorized()
    return render_page(
        "auth/account.html", user=user, access=what_you_can_open(user, datetime.now(UTC)),
        links=member_links(), form=ButtonForm(),
    )


@bp.route("/request-access", methods=["GET", "POST"])
@limiter.limit(config_limit("ACCESS_REQUEST_LIMIT_PER_IP"), methods=["POST"], scope="access-ip")
@limiter.limit(
    config_limit("ACCESS_REQUEST_LIMIT_PER_EMAIL"),
    key_func=form_email_key("access"),
    methods=["POST"],
    scope="access-email",
)
def request_access() -> ResponseReturnValue:
    """The form (GET, ``?wanted=`` fills in what to ask for); POST queues it for staff.

    The answer is the same page whether or not the email belongs to an account.
    """
    form = AccessRequestForm()
    if request.method != "POST":  # GET and HEAD
        form.wanted.data = request.args.get("wanted", "")[:500]
        if current_user.is_authenticated:
            form.email.data = current_user.email
        return render_page("auth/request_access.html", form=form)
    email = email_or_none(form) if form.validate_on_submit() else None
    if email is None:
        return render_page("auth/request_access.html", 400, form=form)
    db = get_session()
    access_requests.submit(db, access_requests.Request(
        email=email, name=form.name.data or "", wanted=form.wanted.data or "",
        message=form.message.data or "", ip=request.remote_addr or "",
    ), current_app.config)
    mail.dispatch()
    return render_page("auth/request_sent.html", email=email)
