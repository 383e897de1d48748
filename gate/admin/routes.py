"""Staff pages for users and client accounts: thin views over :mod:`gate.admin.services`.

Each change is a POST (CSRF checked in :func:`gate.admin.blueprint.staff_only`) that calls
one service and redirects back with a flash-free status in the query (``?done=``), or
re-renders its form with the service's message on the right field and status 400.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from gate import mail
from gate.accounts import twofactor
from gate.accounts.services import AccountError
from gate.admin import client_accounts, queries, services
from gate.admin.blueprint import actor, bp, page
from gate.admin.forms import (
    AccountForm,
    AudienceForm,
    ButtonForm,
    EditUserForm,
    GrantForm,
    NewUserForm,
    UserFilterForm,
    options,
)
from gate.admin.view_as import build_status
from gate.api.services import account_type_names
from gate.db import get_session
from gate.models import ClientAccount, User, utcnow


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404, description="There is no user with this number.")
    return user


def _type_choices() -> list[SelectChoice]:
    return options((name, name) for name in sorted(account_type_names(current_app.config)))


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@bp.get("/")
def overview() -> ResponseReturnValue:
    """Counts, failed mail and sign-in failures of the last day."""
    return page("admin/overview.html", data=queries.overview(get_session()),
                build=build_status())


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Every user, searchable and filtered, one page at a time."""
    db = get_session()
    form = UserFilterForm(request.args)
    all_accounts = queries.accounts(db)
    form.account.choices = options([("", "Any account"), *((a.slug, a.name) for a in all_accounts)])
    if not form.validate():
        return page("admin/users.html", 400, form=form, result=None, args={})
    if form.state.data not in queries.STATES:
        form.state.data = "active"
    text = form.search.data or request.args.get("q", "")[:200]
    filters = queries.UserFilter(q=text, role=form.role.data or "",
                                 account=form.account.data or "",
                                 audience=(form.audience.data or "").strip(),
                                 state=form.state.data or "active")
    result = queries.users(db, filters, _page_number())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return page("admin/users.html", form=form, result=result, args=args)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> ResponseReturnValue:
    """Add a client, subscriber or staff user and send the invitation."""
    form = NewUserForm()
    form.account_type.choices = _type_choices()
    if request.method != "POST":
        form.account_type.data = form.account_type.data or "eft"
        return page("admin/user_new.html", form=form)
    if not form.validate_on_submit():
        return page("admin/user_new.html", 400, form=form)
    db = get_session()
    try:
        user = services.add_user(
            db, current_app.config, actor(), email=form.email.data or "",
            role=form.role.data or "", name=form.name.data or "",
            account_name=(form.account.data or "").strip() or None,
            account_type=form.account_type.data if (form.account.data or "").strip() else None,
            extra=[form.audience.data or ""])
    except AccountError as exc:
        _field_error(form, str(exc))
        return page("admin/user_new.html", 400, form=form)
    done = "added"
    if form.invite.data and user.role != "subscriber":
        services.invite(db, user, actor())
        mail.dispatch()
        done = "invited"
    return redirect(url_for("admin.user", user_id=user.id, done=done), 303)


def _field_error(form: Any, message: str) -> None:
    """Put a service's message on the field it is about (the first field otherwise)."""
    lowered = message.lower()
    for name in ("account type", "audience", "account", "role", "email", "name", "end date"):
        field_name = {"account type": "account_type", "end date": "until"}.get(name, name)
        if name in lowered and hasattr(form, field_name):
            getattr(form, field_name).errors = [*getattr(form, field_name).errors, message]
            return
    first = next(f for f in form if f.type not in {"CSRFTokenField", "HiddenField"})
    first.errors = [*first.errors, message]


def _user_page(user: User, status: int = 200, **forms: Any) -> Response:
    db = get_session()
    edit = forms.get("edit") or EditUserForm(MultiDict(), data={
        "email": user.email, "name": user.name, "role": user.role,
        "account": user.account.name if user.account else ""})
    return page("admin/user.html", status, user=user, edit=edit,
                grant=forms.get("grant") or GrantForm(MultiDict()),
                button=ButtonForm(), remove=AudienceForm(),
                sessions=queries.sessions_of(db, user), now=utcnow(),
                deleted=services.is_deleted(user), error=forms.get("error", ""),
                two_factor=twofactor.credential(db, user.id) is not None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> ResponseReturnValue:
    """A user: edit email, name, role and account; their grants and sessions; actions."""
    target = _user_or_404(user_id)
    if request.method != "POST":
        return _user_page(target)
    form = EditUserForm()
    if not form.validate_on_submit():
        return _user_page(target, 400, edit=form)
    try:
        changes = services.edit_user(
            get_session(), target, actor(), email=form.email.data, name=form.name.data,
            role=form.role.data, account_name=(form.account.data or "").strip() or None)
    except AccountError as exc:
        _field_error(form, str(exc))
        return _user_page(target, 400, edit=form)
    mail.dispatch()
    return redirect(url_for("admin.user", user_id=user_id,
                            done="saved" if changes else "unchanged"), 303)


@bp.post("/users/<int:user_id>/grants")
def add_grant(user_id: int) -> ResponseReturnValue:
    """Grant an audience, optionally until the end of a day (UTC)."""
    target = _user_or_404(user_id)
    form = GrantForm()
    if not form.validate_on_submit():
        return _user_page(target, 400, grant=form)
    ends_at = None
    if form.until.data is not None:
        ends_at = datetime.combine(form.until.data + timedelta(days=1), time(), UTC)
    try:
        changed = services.grant(get_session(), current_app.config, target, actor(),
                                 form.audience.data or "", ends_at)
    except AccountError as exc:
        _field_error(form, str(exc))
        return _user_page(target, 400, grant=form)
    return redirect(url_for("admin.user", user_id=user_id,
                            done="granted" if changed else "unchanged"), 303)


@bp.post("/users/<int:user_id>/grants/remove")
def remove_grant(user_id: int) -> ResponseReturnValue:
    """Remove an audience (effective on the user's next request)."""
    target = _user_or_404(user_id)
    form = AudienceForm()
    if not form.validate_on_submit():
        return _user_page(target, 400, error="Choose the audience to remove.")
    try:
        services.ungrant(get_session(), current_app.config, target, actor(),
                         form.audience.data or "")
    except AccountError as exc:
        return _user_page(target, 400, error=str(exc))
    return redirect(url_for("admin.user", user_id=user_id, done="ungranted"), 303)


ACTIONS = {
    "revoke": (services.revoke, "revoked"),
    "delete": (services.delete_user, "deleted"),
    "invite": (services.invite, "invited"),
    "reset": (services.send_reset, "reset"),
    "two-factor-off": (services.reset_two_factor, "two-factor-off"),
}


USER_ACTIONS = "any(revoke, delete, invite, reset, restore, 'two-factor-off')"


@bp.post(f"/users/<int:user_id>/<{USER_ACTIONS}:action>")
def user_action(user_id: int, action: str) -> ResponseReturnValue:
    """Revoke, restore, delete, resend the invitation, send a reset link, or turn off
    two-factor sign-in."""
    target = _user_or_404(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form has expired. Reload the page and try again.")
    db = get_session()
    try:
        if action == "restore":
            services.restore(db, target, actor(), request.form.get("email", ""))
            done = "restored"
        else:
            service, done = ACTIONS[action]
            service(db, target, actor())
    except AccountError as exc:
        return _user_page(target, 400, error=str(exc))
    if action in {"invite", "reset"}:
        mail.dispatch()
    if action == "delete":
        return redirect(url_for("admin.users", done="deleted"), 303)
    return redirect(url_for("admin.user", user_id=user_id, done=done), 303)


@bp.post("/users/<int:user_id>/sessions/<int:session_id>/end")
def end_session(user_id: int, session_id: int) -> ResponseReturnValue:
    """End one of the user's sessions."""
    target = _user_or_404(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form has expired. Reload the page and try again.")
    try:
        services.end_session(get_session(), target, session_id, actor())
    except AccountError as exc:
        return _user_page(target, 400, error=str(exc))
    return redirect(url_for("admin.user", user_id=user_id, done="ended"), 303)


def _account_forms(failed: tuple[int, AccountForm] | None = None) -> list[tuple[Any, Any]]:
    rows = []
    for account in queries.accounts(get_session()):
        if failed and failed[0] == account.id:
            form = failed[1]
        else:
            form = AccountForm(MultiDict(), data={"name": account.name,
                                                  "account_type": account.account_type})
            form.account_type.choices = _type_choices()
        rows.append((account, form))
    return rows


@bp.get("/accounts")
def accounts() -> ResponseReturnValue:
    """Client accounts with their type and users; each can be renamed (slug kept)."""
    return page("admin/accounts.html", rows=_account_forms(),
                deleted=services.is_deleted)


@bp.post("/accounts/<int:account_id>")
def edit_account(account_id: int) -> ResponseReturnValue:
    """Rename an account or change its type."""
    db = get_session()
    account = db.get(ClientAccount, account_id)
    if account is None:
        abort(404, description="There is no client account with this number.")
    form = AccountForm()
    form.account_type.choices = _type_choices()
    if form.validate_on_submit():
        try:
            changes = client_accounts.edit_account(db, current_app.config, account, actor(),
                                            name=form.name.data or "",
                                            account_type=form.account_type.data or "")
        except AccountError as exc:
            db.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            done = "saved" if changes else "unchanged"
            return redirect(url_for("admin.accounts", done=done) + f"#account-{account_id}", 303)
    return page("admin/accounts.html", 400, rows=_account_forms((account_id, form)),
                deleted=services.is_deleted)
