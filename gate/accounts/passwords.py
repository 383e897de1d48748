"""Password rules and argon2id hashing.

- Rules (:func:`check_password`): 12 to ``PASSWORD_MAX_LENGTH`` (default 1024) characters after
  NFC normalisation, Unicode welcome, common passwords and the user's own email refused.
- Hashing: argon2id with the cost from configuration (``PASSWORD_HASH_TIME_COST``,
  ``PASSWORD_HASH_MEMORY_COST`` in KiB, ``PASSWORD_HASH_PARALLELISM``); tests lower it.
- Unknown users: :func:`verify_dummy` spends the same time on a dummy hash so a wrong password
  and an unknown email cannot be told apart by timing.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gate.exceptions import GateError

MIN_LENGTH = 12
DEFAULT_MAX_LENGTH = 1024

# Frequent choices that pass a 12-character minimum (from public breach lists' top entries).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012", "1234567890123", "12345678901234", "123456789000", "000000000000",
        "111111111111", "121212121212", "123123123123", "password1234", "password12345",
        "password123!", "passwordpassword", "password1password1", "qwertyuiopas",
        "qwertyuiop12", "qwertyuiop123", "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc",
        "zaq12wsxcde3", "asdfghjkl123", "asdfasdfasdf", "iloveyou1234", "letmein12345",
        "welcome12345", "welcome123456", "administrator", "admin1234567", "changeme1234",
        "trustno1trustno1", "football1234", "baseball1234", "sunshine1234", "princess1234",
        "monkey123456", "dragon123456", "abcdefghijkl", "abc123abc123", "abcd1234abcd",
        "aaaaaaaaaaaa", "correcthorsebatterystaple", "p@ssw0rd1234", "passw0rd1234",
        "superman1234", "michael12345", "whatever1234", "starwars1234", "master123456",
        "computer1234", "internet1234", "summer202020", "winter202020", "spring202020",
        "autumn202020", "sopportal1234", "qazwsxedcrfv", "1234qwerasdf", "qwerasdfzxcv",
        "987654321098", "098765432109",
    }
)

_dummy_lock = threading.Lock()
_dummy_hashes: dict[tuple[int, int, int], str] = {}
dummy_verifications = 0
"""How many times :func:`verify_dummy` ran (tests read it to see that unknown users cost a hash)."""


class PasswordRuleError(GateError, ValueError):
    """The password breaks a rule; the message says which, for the form."""


def normalise(password: str) -> str:
    """The NFC form of a password (the same text typed on any keyboard hashes the same)."""
    return unicodedata.normalize("NFC", password)


def check_password(password: str, *, email: str = "", max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """The normalised password if it obeys the rules, else PasswordRuleError."""
    value = normalise(password)
    if len(value) < MIN_LENGTH:
        raise PasswordRuleError(f"Use at least {MIN_LENGTH} characters.")
    if len(value) > max_length:
        raise PasswordRuleError(f"Use at most {max_length} characters.")
    folded = value.casefold()
    if folded in COMMON_PASSWORDS or len(set(folded)) <= 2:
        raise PasswordRuleError("This password is too common; choose another.")
    if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
        raise PasswordRuleError("Do not use your email address as your password.")
    return value


def _cost(config: Mapping[str, Any]) -> tuple[int, int, int]:
    return (
        int(config.get("PASSWORD_HASH_TIME_COST", 3)),
        int(config.get("PASSWORD_HASH_MEMORY_COST", 65536)),
        int(config.get("PASSWORD_HASH_PARALLELISM", 4)),
    )


@lru_cache(maxsize=8)
def _hasher(cost: tuple[int, int, int]) -> PasswordHasher:
    time_cost, memory_cost, parallelism = cost
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def hash_password(password: str, config: Mapping[str, Any]) -> str:
    """The argon2id hash of the normalised password."""
    return _hasher(_cost(config)).hash(normalise(password))


def verify_password(stored_hash: str, password: str, config: Mapping[str, Any]) -> bool:
    """True when ``password`` matches ``stored_hash`` (a malformed hash never matches)."""
    try:
        return _hasher(_cost(config)).verify(stored_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, config: Mapping[str, Any]) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    try:
        return _hasher(_cost(config)).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def verify_dummy(password: str, config: Mapping[str, Any]) -> bool:
    """Spend one verification on a dummy hash (unknown user); always False."""
    global dummy_verifications
    cost = _cost(config)
    with _dummy_lock:
        dummy_verifications += 1
        dummy = _dummy_hashes.get(cost)
        if dummy is None:
            dummy = _hasher(cost).hash(secrets.token_urlsafe(16))
            _dummy_hashes[cost] = dummy
    verify_password(dummy, password, config)
    return False
