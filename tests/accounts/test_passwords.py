"""Password rules and argon2id hashing (gate.accounts.passwords)."""

from __future__ import annotations

import unicodedata

import pytest

from gate.accounts import passwords
from tests.conftest import CHEAP_HASHING

LONG_UNICODE = "Ünïcödé ist gut, 日本語のパスワード, ελληνικά και emoji 🔐 " * 2


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("a1b2c3d4e5f", "at least 12"),
        ("a1b2c3d4e5f6", None),
        ("ñandú-árbol-ü", None),
        ("日本語のパスワードです12", None),
        (LONG_UNICODE, None),
        ("xyz" * 21 + "w", None),
        ("wxyz" * 256, None),
        ("wxyz" * 256 + "v", "at most 1024"),
        ("password1234", "too common"),
        ("PassWord1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("abababababababab", "too common"),
        ("alice@example.com", "email"),
        ("", "at least 12"),
    ],
)
def test_rules(password, error):
    if error is None:
        assert passwords.check_password(password, email="alice@example.com") == (
            unicodedata.normalize("NFC", password)
        )
    else:
        with pytest.raises(passwords.PasswordRuleError, match=error):
            passwords.check_password(password, email="alice@example.com")


def test_unicode_is_normalised_before_hashing():
    composed = "caf\u00e9 au lait s'il vous pla\u00eet"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = passwords.hash_password(composed, CHEAP_HASHING)
    assert passwords.verify_password(stored, decomposed, CHEAP_HASHING)


@pytest.mark.parametrize("length", [64, 100, 500, 1024])
def test_long_passwords_are_not_truncated(length):
    password = ("correct-horse-" * 80)[: length - 1] + "A"
    stored = passwords.hash_password(password, CHEAP_HASHING)
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, password, CHEAP_HASHING)
    assert not passwords.verify_password(stored, password[:-1] + "B", CHEAP_HASHING)


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_a_malformed_hash_never_matches(stored):
    assert passwords.verify_password(stored, "anything at all 123", CHEAP_HASHING) is False


def test_cost_comes_from_configuration():
    stored = passwords.hash_password("correct horse battery", CHEAP_HASHING)
    assert "m=8,t=1,p=1" in stored
    assert not passwords.needs_rehash(stored, CHEAP_HASHING)
    assert passwords.needs_rehash(stored, {**CHEAP_HASHING, "PASSWORD_HASH_TIME_COST": 2})


def test_dummy_verification_is_counted_and_always_false():
    before = passwords.dummy_verifications
    assert passwords.verify_dummy("whatever it is 123", CHEAP_HASHING) is False
    assert passwords.dummy_verifications == before + 1
