"""Emailed single-use tokens: invitations, password resets and one-time sign-in links.

A token is an itsdangerous timed signature over ``{"j": jti, "u": user_id}`` with one salt per
purpose, signed by the newest key and verified with ``[*SECRET_KEY_FALLBACKS, SECRET_KEY]`` so
links sent before a key rotation keep working. Each token also has a :class:`TokenRecord`; it is
consumed with ``UPDATE ... WHERE used_at IS NULL`` so only one of any number of concurrent
redemptions wins. Tokens are never logged.
"""

from __future__ import annotations

import enum
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
    return serializer(purpose, config).dumps({"j": jti, "u": user.id})


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
    return TokenCheck(TokenStatus.OK, jti=jti, user_id=user_id)


def check(
    session: Session, token: str, purpose: str, config: Mapping[str, Any], now: datetime
) -> TokenCheck:
    """:func:`read`, then the record: it must exist for this purpose and user, unused, unexpired."""
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
