"""Token reading: salts per purpose, lifetimes, malformed payloads (gate.accounts.tokens)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from gate.accounts import tokens
from gate.models import utcnow

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

CONFIG = {"SECRET_KEY": "k" * 40, "SECRET_KEY_FALLBACKS": []}


@pytest.mark.parametrize(
    ("purpose", "seconds", "status"),
    [
        ("invite", 72 * 3600 - 5, "ok"),
        ("invite", 72 * 3600 + 5, "expired"),
        ("reset", 3595, "ok"),
        ("reset", 3605, "expired"),
        ("link", 595, "ok"),
        ("link", 605, "expired"),
        ("link", -60, "expired"),  # issued in the future
    ],
)
def test_lifetimes(purpose, seconds, status):
    start = utcnow()
    with freeze_time(start):
        token = tokens.serializer(purpose, CONFIG).dumps({"j": "x", "u": 1})
    with freeze_time(start + timedelta(seconds=seconds)):
        assert tokens.read(token, purpose, CONFIG).status.value == status


def test_lifetimes_are_configurable():
    assert tokens.max_age("link", {"TOKEN_MAX_AGE_LINK": 60}) == 60
    assert tokens.max_age("invite", {}) == 72 * 3600
    with pytest.raises(ValueError, match="unknown token purpose"):
        tokens.serializer("launch", CONFIG)


@pytest.mark.parametrize("payload", [
    {"j": "x"}, {"u": 1}, {"j": 1, "u": 1}, {"j": "x", "u": "1"}, {"j": "x", "u": True},
    ["x", 1], "x", None,
])
def test_well_signed_but_malformed_payloads_are_invalid(payload):
    token = tokens.serializer("link", CONFIG).dumps(payload)
    assert tokens.read(token, "link", CONFIG).status is tokens.TokenStatus.INVALID


@pytest.mark.parametrize("issued_for", ["invite", "reset"])
def test_a_token_is_bound_to_its_purpose(issued_for):
    token = tokens.serializer(issued_for, CONFIG).dumps({"j": "x", "u": 1})
    for purpose in tokens.PURPOSES:
        expected = "ok" if purpose == issued_for else "invalid"
        assert tokens.read(token, purpose, CONFIG).status.value == expected
