"""Two-factor sign-in: a TOTP code (RFC 6238, ``pyotp``) or a single-use recovery code.

Any password user may turn it on at ``/auth/two-factor`` (a QR code drawn as SVG by ``segno``,
and the secret as text), confirming with a first code; they then get ten recovery codes, shown
once and stored only as SHA-256 hashes. Once it is on, a right password does not sign in: the
sign-in view hands over to :func:`challenge`, which keeps the half-signed-in user in the signed
session cookie for :data:`PENDING_SECONDS` and asks for a code at ``/auth/two-factor/verify``.
A code is accepted in the time step before, at and after the server's clock (30 s each) and
only once: a used time step is remembered, so a code seen over a shoulder cannot be replayed.

``REQUIRE_STAFF_2FA`` (default: true in production, false in development) makes staff turn it
on before any staff page opens (:func:`must_enrol`, checked by :mod:`gate.admin`); while it is
required a staff member cannot turn it off.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pyotp
import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from gate import audit
from gate.accounts import sessions
from gate.accounts.redirects import safe_next
from gate.config import is_production
from gate.db import get_session
from gate.extensions import limiter
from gate.models import RecoveryCode, TotpCredential, User, utcnow

bp = Blueprint("twofactor", __name__, url_prefix="/auth/two-factor")
PENDING_KEY = "sop_2fa_pending"
SETUP_KEY = "sop_2fa_setup"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
ISSUER = "SOP Portal"


class CodeForm(FlaskForm):
    """A six-digit code from the app, or a recovery code."""

    code = StringField("Code from your authenticator app, or a recovery code",
                       validators=[DataRequired("Enter the code."), Length(max=40)])


# ---- the rules ----

def required(config: Any) -> bool:
    """True when staff must use two-factor sign-in."""
    value = config.get("REQUIRE_STAFF_2FA")
    return is_production(config) if value is None else bool(value)


def credential(db: Session, user_id: int) -> TotpCredential | None:
    """The user's confirmed authenticator, or None."""
    return db.scalar(select(TotpCredential).where(TotpCredential.user_id == user_id))


def must_enrol(user: Any, config: Any) -> bool:
    """True for a staff member who must turn two-factor sign-in on before using staff pages."""
    return bool(user.is_staff) and required(config) and credential(
        get_session(), int(user.id)) is None


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def new_recovery_codes(db: Session, user_id: int) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them (shown once)."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    db.add_all(RecoveryCode(user_id=user_id, code_hash=_hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def matching_step(secret: str, code: str, now: float, after: int = -1) -> int | None:
    """The time step (before, at or after ``now``'s) whose code is ``code`` and that comes
    after ``after``, or None."""
    totp = pyotp.TOTP(secret)
    if not (code.isdigit() and len(code) == 6):
        return None
    for offset in (-1, 0, 1):
        step = int(now // totp.interval) + offset
        if step > after and secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def check_code(db: Session, user_id: int, code: str, now: float | None = None) -> str | None:
    """``"totp"`` or ``"recovery"`` when ``code`` is right (and now used up), else None."""
    found = credential(db, user_id)
    clean = _clean(code)
    if found is None or not clean:
        return None
    now = time.time() if now is None else now
    if clean.isdigit() and len(clean) == 6:
        step = matching_step(found.secret, clean, now, found.last_step)
        if step is None:
            return None
        done = db.execute(update(TotpCredential).where(
            TotpCredential.id == found.id, TotpCredential.last_step < step)
            .values(last_step=step).execution_options(synchronize_session=False))
        return "totp" if int(getattr(done, "rowcount", 0) or 0) == 1 else None
    done = db.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _hash(clean),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    return "recovery" if int(getattr(done, "rowcount", 0) or 0) == 1 else None


def challenge(user: User, *, remember: bool, next_path: str) -> Response:
    """Hand a right password over to the code page (called by the sign-in view)."""
    session.clear()
    session[PENDING_KEY] = {"u": user.id, "r": bool(remember), "n": next_path,
                            "t": int(time.time())}
    return redirect(url_for("twofactor.verify"))  # type: ignore[return-value]


# ---- the pages ----

def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def _pending_user() -> tuple[User, dict[str, Any]] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("u"), int):
        return None
    if time.time() - float(pending.get("t", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = get_session().get(User, pending["u"])
    if user is None or not user.active or not user.has_password:
        return None
    return user, pending


def _failed_key() -> str:
    pending = session.get(PENDING_KEY)
    return f"2fa:{pending.get('u')}" if isinstance(pending, dict) else ""


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_LIMIT_PER_IP"]), methods=["POST"],
               scope="2fa-ip")
@limiter.limit(lambda: str(current_app.config["LOGIN_FAILURES_PER_ACCOUNT"]),
               key_func=_failed_key, methods=["POST"], scope="2fa-account",
               deduct_when=lambda _r: bool(g.get("auth_failed")))
def verify() -> ResponseReturnValue:
    """The second step of signing in: a code from the app or a recovery code."""
    found = _pending_user()
    if found is None:
        return redirect(url_for("auth.login"))
    user, pending = found
    form = CodeForm()
    if not form.validate_on_submit():
        return _page("auth/two_factor_verify.html", 400 if request.method == "POST" else 200,
                     form=form)
    db = get_session()
    kind = check_code(db, user.id, form.code.data or "")
    if kind is None:
        db.rollback()
        g.auth_failed = True
        audit.record("signin", user=user, outcome="failed", target="two-factor")
        form.code.errors = ["The code is not right (or was used already)."]
        return _page("auth/two_factor_verify.html", 400, form=form)
    session.pop(PENDING_KEY, None)
    sessions.sign_in(user, remember=bool(pending.get("r")), method=kind)
    audit.record("signin", user=user, target=f"password+{kind}")
    return redirect(safe_next(pending.get("n"), default=str(
        current_app.config["LOGIN_DEFAULT_NEXT"])))


@bp.route("", methods=["GET", "POST"])
@login_required
def setup() -> ResponseReturnValue:
    """Turn two-factor sign-in on (scan, confirm with a code), or see that it is on."""
    db = get_session()
    if not current_user.has_password:
        return _page("auth/message.html", 403, title="No password",
                     message="Subscribers sign in with an emailed link: there is no second step.")
    form = CodeForm()
    if credential(db, current_user.id) is not None:
        return _page("auth/two_factor.html", form=form, enabled=True,
                     locked=current_user.is_staff and required(current_app.config))
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str):  # kept while the page is reloaded, until confirmed
        secret = pyotp.random_base32()
        session[SETUP_KEY] = secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=current_user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
    step = None
    if form.validate_on_submit():
        step = matching_step(secret, _clean(form.code.data or ""), time.time())
    if step is None:
        if request.method == "POST" and not form.code.errors:
            form.code.errors = ["The code is not right: check your phone's clock and type "
                                "the newest code."]
        return _page("auth/two_factor.html", 400 if request.method == "POST" else 200,
                     form=form, qr=qr, secret=secret)
    db.add(TotpCredential(user_id=current_user.id, secret=secret, last_step=step))
    codes = new_recovery_codes(db, current_user.id)
    session.pop(SETUP_KEY, None)
    audit.record("2fa.enable", user=current_user._get_current_object())
    return _page("auth/two_factor.html", form=form, enabled=True, codes=codes)


@bp.post("/off")
@login_required
def turn_off() -> ResponseReturnValue:
    """Turn two-factor sign-in off (a current code is needed; refused while required)."""
    db = get_session()
    form = CodeForm()
    if current_user.is_staff and required(current_app.config):
        return _page("auth/message.html", 403, title="Two-factor sign-in is required",
                     message="Staff must keep two-factor sign-in on.")
    if not form.validate_on_submit() or check_code(db, current_user.id,
                                                   form.code.data or "") is None:
        db.rollback()
        form.code.errors = [*form.code.errors, "The code is not right."]
        return _page("auth/two_factor.html", 400, form=form, enabled=True)
    db.execute(delete(TotpCredential).where(TotpCredential.user_id == current_user.id))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == current_user.id))
    audit.record("2fa.disable", user=current_user._get_current_object())
    return redirect(url_for("twofactor.setup"))
