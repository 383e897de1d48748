"""The ``/auth`` blueprint: password sign-in, one-time links, invitations, resets, sign-out.

Views stay thin: read the form, call the services (accounts, passwords, tokens, sessions,
mail, audit), render. Enumeration resistance: a wrong password and an unknown email get the
same page (a dummy hash is verified for unknown users), and link or reset requests answer the
same whether or not the address is known. Rate limits are checked by Flask-Limiter before the
view runs, so before any hashing; pages reached by a token send ``Referrer-Policy: no-referrer``.

Limits stop the attacker's address, never the owner: every attempt counts per client address,
and failed sign-ins (and link or reset requests) per (email, client address), so nobody can
lock a chosen user out from elsewhere. A JSON body is accepted only as a flat object of strings
(anything else, deep nesting included, is a 400 before the form reads it; the limits read the
email from it too, so a JSON body cannot dodge them).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    request,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from gate import audit, mail
from gate.accounts import passwords, sessions, tokens, twofactor
from gate.accounts import services as accounts
from gate.accounts.forms import (
    ButtonForm,
    ChangePasswordForm,
    ConfirmForm,
    EmailForm,
    LoginForm,
    SetPasswordForm,
)
from gate.accounts.pages import (
    config_limit,
    email_or_none,
    form_email_key,
    refuse_malformed_json,
    render_page,
)
from gate.accounts.redirects import safe_next
from gate.db import get_session
from gate.extensions import csrf, limiter
from gate.models import User, utcnow

bp = Blueprint("auth", __name__, url_prefix="/auth")

FAILED_SIGN_IN = "The email or password is not right."


# ---- rate-limit keys (Flask-Limiter runs them before the view) ----

def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else ""


def _failed(_response: Response) -> bool:
    return bool(g.get("auth_failed"))


# ---- small helpers ----

def _config() -> Any:
    return current_app.config


def _signed_in(user: User, how: str) -> None:
    """Start the session and say so on the next page (``/auth/status`` notices)."""
    sessions.sign_in(user, method=how)
    flash(f"You are signed in as {user.email}.")


def _next_target(value: object) -> str:
    return safe_next(value, default=str(_config()["LOGIN_DEFAULT_NEXT"]))


def _token_refused(check: tokens.TokenCheck, purpose: str) -> Response:
    audit.record(f"{purpose}.redeem", outcome=check.status.value, target=purpose)
    return render_page("auth/token_invalid.html", 400, reason=check.status.value, purpose=purpose)


bp.before_request(refuse_malformed_json)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Auth pages are never cached; pages reached by a token leak no Referer."""
    response.headers["Cache-Control"] = "no-store"
    if "token" in (request.view_args or {}):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---- password sign-in ----

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(config_limit("LOGIN_LIMIT_PER_IP"), methods=["POST"], scope="login-ip")
@limiter.limit(
    config_limit("LOGIN_FAILURES_PER_ACCOUNT"),
    key_func=form_email_key("login"),
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)
def login() -> ResponseReturnValue:
    """Sign in with email and password; the same answer for every kind of failure."""
    form = LoginForm()
    if request.method != "POST":  # GET and HEAD
        form.next.data = safe_next(request.args.get("next"), default="")
        return render_page("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_page("auth/login.html", 400, form=form)
    email = email_or_none(form)
    user = accounts.check_sign_in(get_session(), email, form.password.data or "", _config())
    if user is None:
        g.auth_failed = True
        audit.record("signin", outcome="failed", email=email or form.email.data or "",
                     target="password")
        return render_page("auth/login.html", 200, form=form, failed=FAILED_SIGN_IN)
    if twofactor.credential(get_session(), user.id) is not None:  # a code comes next
        return twofactor.challenge(user, remember=bool(form.remember.data),
                                   next_path=safe_next(form.next.data, default=""))
    sessions.sign_in(user, remember=bool(form.remember.data), method="password")
    flash(f"You are signed in as {user.email}.")
    audit.record("signin", user=user, target="password")
    return redirect(_next_target(form.next.data))


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """GET shows the sign-out buttons; POST (with its CSRF token) signs this browser out."""
    if request.method != "POST":  # GET and HEAD
        if not current_user.is_authenticated:
            return redirect("/")
        return render_page("auth/logout.html", form=ButtonForm())
    if current_user.is_authenticated:
        audit.record("signout", user=current_user._get_current_object(), target="this-browser")
    sessions.end_current()
    flash("You are signed out.")
    return redirect("/")


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every session of this user, on every device."""
    user = current_user._get_current_object()
    accounts.revoke_sessions(user, get_session())
    audit.record("signout", user=user, target="everywhere")
    sessions.end_current()
    flash("You are signed out on every browser and device.")
    return redirect("/")


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(
    config_limit("LOGIN_FAILURES_PER_ACCOUNT"),
    key_func=_user_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="password-account",
)
@login_required
def change_password() -> ResponseReturnValue:
    """Change the password (current one first); every other session of the user ends."""
    user = get_session().get(User, current_user.id)
    if user is None or not user.has_password:
        return render_page("auth/message.html", 403, title="No password to change",
                     message="Subscribers sign in with an emailed link and have no password.")
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_page("auth/password.html", status, form=form)
    config = _config()
    if not passwords.verify_password(user.password_hash or "", form.current_password.data or "",
                                   config):
        g.auth_failed = True
        audit.record("password.change", user=user, outcome="failed")
        form.current_password.errors = ["The current password is not right."]
        return render_page("auth/password.html", 400, form=form)
    if not _apply_new_password(form, user):
        return render_page("auth/password.html", 400, form=form)
    sessions.sign_in(user, method="password")
    audit.record("password.change", user=user)
    return render_page("auth/message.html", title="Password changed",
                 message="Your password is changed and your other sessions are signed out.")


def _apply_new_password(form: SetPasswordForm, user: User) -> bool:
    """Set the form's new password (see the service); False with the broken rule shown."""
    try:
        accounts.set_password(get_session(), user, form.password.data or "", _config(), utcnow())
    except passwords.PasswordRuleError as exc:
        form.password.errors = [str(exc)]
        return False
    return True


# ---- one-time sign-in links (subscribers) ----

# Token pages: pages reached by a token send ``Referrer-Policy: no-referrer``, so their form
# POST carries no Referer (and ``Origin: null``). Flask-WTF's global check refuses such a POST
# under HTTPS (its strict Referer check), so these views are exempt from it and their FlaskForm
# validates the CSRF token itself: a POST without a valid token is still a 400.

@bp.route("/link", methods=["GET", "POST"])
@limiter.limit(config_limit("LINK_LIMIT_PER_IP"), methods=["POST"], scope="link-ip")
@limiter.limit(
    config_limit("LINK_LIMIT_PER_EMAIL"),
    key_func=form_email_key("link"),
    methods=["POST"],
    scope="link-email",
)
def link_request() -> ResponseReturnValue:
    """Ask for a one-time sign-in link; the answer is the same for every address."""
    form = EmailForm()
    if request.method != "POST":  # GET and HEAD
        form.next.data = safe_next(request.args.get("next"), default="")
        return render_page("auth/link_request.html", form=form)
    email = email_or_none(form) if form.validate_on_submit() else None
    if email is None:
        return render_page("auth/link_request.html", 400, form=form)
    db = get_session()
    user = accounts.find_user(db, email)
    if accounts.may_sign_in_by_link(user, utcnow()) and user is not None:
        accounts.queue_link_mail(db, user, safe_next(form.next.data, default=""), _config(),
                                 utcnow())
        audit.record("link.request", user=user, outcome="sent")
        mail.dispatch()
    else:
        audit.record("link.request", email=email, outcome="ignored")
    return render_page("auth/check_email.html", what="a sign-in link")


@bp.route("/link/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token (see "Token pages")
@limiter.limit(config_limit("TOKEN_LIMIT_PER_IP"), methods=["POST"], scope="token-ip")
def link_confirm(token: str) -> ResponseReturnValue:
    """GET (and HEAD) show a confirmation button; only its POST uses the link and signs in."""
    db = get_session()
    check = tokens.check(db, token, "link", _config(), utcnow())
    if not check.ok and current_user.is_authenticated and request.method != "POST":
        # Opened again (from the mail) by a reader already signed in: take them on.
        audit.record("link.redeem", outcome=check.status.value, target="link")
        return redirect(_next_target(request.args.get("next")))
    if not check.ok:
        return _token_refused(check, "link")
    form = ConfirmForm()
    if request.method != "POST":  # GET and HEAD
        form.next.data = safe_next(request.args.get("next"), default="")
        return render_page("auth/link_confirm.html", form=form)
    if not form.validate_on_submit():
        return render_page("auth/link_confirm.html", 400, form=form)
    user = db.get(User, check.user_id)
    if not accounts.may_sign_in_by_link(user, utcnow()) or user is None:
        audit.record("link.redeem", outcome="refused", email=user.email if user else "")
        return render_page("auth/token_invalid.html", 400, reason="refused", purpose="link")
    if not tokens.consume(db, check.jti, utcnow()):
        db.rollback()
        return _token_refused(tokens.TokenCheck(tokens.TokenStatus.USED), "link")
    _signed_in(user, "link")
    audit.record("signin", user=user, target="link")
    return redirect(_next_target(form.next.data))


# ---- invitations and password resets ----

def _set_password_page(token: str, purpose: str) -> ResponseReturnValue:
    """GET shows the new-password form; POST checks it, uses the token, signs the user in."""
    db = get_session()
    check = tokens.check(db, token, purpose, _config(), utcnow())
    if not check.ok:
        return _token_refused(check, purpose)
    user = db.get(User, check.user_id)
    if not accounts.may_use_password(user) or user is None:
        audit.record(f"{purpose}.redeem", outcome="refused", email=user.email if user else "")
        return render_page("auth/token_invalid.html", 400, reason="refused", purpose=purpose)
    form = SetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_page("auth/set_password.html", status, form=form, purpose=purpose, user=user)
    if not _apply_new_password(form, user):
        return render_page("auth/set_password.html", 400, form=form, purpose=purpose, user=user)
    if not tokens.consume(db, check.jti, utcnow()):
        db.rollback()
        return _token_refused(tokens.TokenCheck(tokens.TokenStatus.USED), purpose)
    _signed_in(user, purpose)
    audit.record("password.set", user=user, target=purpose)
    return redirect(_next_target(""))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token (see "Token pages")
@limiter.limit(config_limit("TOKEN_LIMIT_PER_IP"), methods=["POST"], scope="token-ip")
def invite(token: str) -> ResponseReturnValue:
    """Accept an invitation: choose a password."""
    return _set_password_page(token, "invite")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token (see "Token pages")
@limiter.limit(config_limit("TOKEN_LIMIT_PER_IP"), methods=["POST"], scope="token-ip")
def reset_confirm(token: str) -> ResponseReturnValue:
    """Use a reset link: choose a new password."""
    return _set_password_page(token, "reset")


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(config_limit("LINK_LIMIT_PER_IP"), methods=["POST"], scope="reset-ip")
@limiter.limit(
    config_limit("LINK_LIMIT_PER_EMAIL"),
    key_func=form_email_key("reset"),
    methods=["POST"],
    scope="reset-email",
)
def reset_request() -> ResponseReturnValue:
    """Ask for a password reset link; the answer is the same for every address."""
    form = EmailForm()
    if request.method != "POST":  # GET and HEAD
        return render_page("auth/reset_request.html", form=form)
    email = email_or_none(form) if form.validate_on_submit() else None
    if email is None:
        return render_page("auth/reset_request.html", 400, form=form)
    db = get_session()
    user = accounts.find_user(db, email)
    if accounts.may_use_password(user) and user is not None:
        accounts.send_token_mail(user, "reset")
        audit.record("reset.request", user=user, outcome="sent")
        mail.dispatch()
    else:
        audit.record("reset.request", email=email, outcome="ignored")
    return render_page("auth/check_email.html", what="a link to choose a new password")
