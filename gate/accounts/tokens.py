"""Emailed single-use tokens: invitations, password resets and one-time sign-in links.

A token is an itsdangerous timed signature over ``{"j": jti, "u": user_id}`` with one salt per
purpose, signed by the newest key and verified with ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]`` so
links sent before a key rotation keep working. Each token also has a :class:`TokenRecord`; it is
consumed with ``UPDATE ... WHERE used_at IS NULL`` so only one of any number of concurrent
redemptions wins. Tokens are never logged.

Invitation and reset tokens are also tied to the password, as Django and Flask-Security-Too do:
their payload carries a fingerprint of the user's password hash (``"p"``), so a password change
or reset by any route (a newer link, ``/auth/password``, the CLI) ends every older link.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gate.models import TokenRecord, User

# purpose -> (config key with the lifetime in seconds, default lifetime)
PURPOSES: dict[str, tuple[str, int]] = {
    "invite": ("TOKEN_MAX_AGE_INVITE", 72 * 3600),
    "reset": ("TOKEN_MAX_AGE_RESET", 3600),
    "link": ("TOKEN_MAX_AGE_LINK", 600),
}
MAX_TOKEN_LENGTH = 512
PASSWORD_BOUND = frozenset({"invite", "reset"})
"""Purposes whose tokens stop working once the user's password changes."""


class TokenStatus(enum.Enum):
    """What reading a token found."""

    OK = "ok"
    EXPIRED = "expired"
    INVALID = "invalid"
    USED = "used"


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a token; ``jti`` and ``user_id`` are set when it was readable."""

    status: TokenStatus
    jti: str = ""
    user_id: int = 0
    password: str | None = None

    @property
    def ok(self) -> bool:
        """True when the token may be used."""
        return self.status is TokenStatus.OK


def max_age(purpose: str, config: Mapping[str, Any]) -> int:
    """The lifetime in seconds of a token for ``purpose``."""
    key, default = PURPOSES[purpose]
    return int(config.get(key, default))


def signing_keys(config: Mapping[str, Any]) -> list[str]:
    """``[*fallbacks, current]``: itsdangerous signs with the last and accepts them all."""
    fallbacks = [str(k) for k in (config.get("SECRET_KEY_FALLBACKS") or []) if k]
    return [*fallbacks, str(config["SECRET_KEY"])]


def serializer(purpose: str, config: Mapping[str, Any]) -> URLSafeTimedSerializer:
    """The serializer for one purpose (its own salt)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(signing_keys(config), salt=f"sop-portal.token.{purpose}")


def password_fingerprint(user: User) -> str:
    """A short digest of the user's password hash ("" without one): it changes with the password.

    The argon2 hash carries its own random salt, so the digest reveals nothing usable.
    """
    stored = (user.password_hash or "").encode("utf-8")
    return hashlib.blake2b(stored, digest_size=12, person=b"sop-pw-token").hexdigest()


def issue(
    session: Session, user: User, purpose: str, config: Mapping[str, Any], now: datetime
) -> str:
    """A new token for ``user`` and its unused record (the caller commits)."""
    jti = secrets.token_urlsafe(24)
    session.add(
        TokenRecord(
            jti=jti,
            purpose=purpose,
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age(purpose, config)),
        )
    )
    payload: dict[str, Any] = {"j": jti, "u": user.id}
    if purpose in PASSWORD_BOUND:
        payload["p"] = password_fingerprint(user)
    return serializer(purpose, config).dumps(payload)


def read(token: str, purpose: str, config: Mapping[str, Any]) -> TokenCheck:
    """Check signature, salt and age only (expired and future-dated tokens are EXPIRED)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return TokenCheck(TokenStatus.INVALID)
    try:
        data = serializer(purpose, config).loads(token, max_age=max_age(purpose, config))
    except SignatureExpired:
        return TokenCheck(TokenStatus.EXPIRED)
    except BadSignature:
        return TokenCheck(TokenStatus.INVALID)
    if not isinstance(data, dict):
        return TokenCheck(TokenStatus.INVALID)
    jti, user_id = data.get("j"), data.get("u")
    if not isinstance(jti, str) or not isinstance(user_id, int) or isinstance(user_id, bool):
        return TokenCheck(TokenStatus.INVALID)
    fingerprint = data.get("p")
    if fingerprint is not None and not isinstance(fingerprint, str):
        return TokenCheck(TokenStatus.INVALID)
    return TokenCheck(TokenStatus.OK, jti=jti, user_id=user_id, password=fingerprint)


def check(
    session: Session, token: str, purpose: str, config: Mapping[str, Any], now: datetime
) -> TokenCheck:
    """:func:`read`, then the record: it must exist for this purpose and user, unused, unexpired.

    An invitation or reset token must also match the user's current password (see
    :func:`password_fingerprint`); after any password change it is INVALID.
    """
    found = read(token, purpose, config)
    if not found.ok:
        return found
    record = session.scalar(select(TokenRecord).where(TokenRecord.jti == found.jti))
    if record is None or record.purpose != purpose or record.user_id != found.user_id:
        return TokenCheck(TokenStatus.INVALID)
    if record.used_at is not None:
        return TokenCheck(TokenStatus.USED, found.jti, found.user_id)
    if now >= record.expires_at:
        return TokenCheck(TokenStatus.EXPIRED, found.jti, found.user_id)
    if purpose in PASSWORD_BOUND:
        user = session.get(User, found.user_id)
        if user is None or found.password != password_fingerprint(user):
            return TokenCheck(TokenStatus.INVALID, found.jti, found.user_id)
    return found


def consume(session: Session, jti: str, now: datetime) -> bool:
    """Mark the token used; True for exactly one caller, however many race (caller commits)."""
    result = session.execute(
        update(TokenRecord)
        .where(TokenRecord.jti == jti, TokenRecord.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1
