"""Token reading: salts per purpose, lifetimes, malformed payloads (gate.accounts.tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from gate.accounts import tokens
from gate.models import utcnow

# Each test runs on SQLite and on a throwaway PostgreSQL cluster.
pytestmark = pytest.mark.usefixtures("db_url")

CONFIG = {"SECRET_KEY": "k" * 40, "SECRET_KEY_FALLBACKS": []}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.asvs("9.2.1")
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


@pytest.mark.asvs("9.2.1")
@pytest.mark.parametrize("issued_for", ["invite", "reset"])
def test_a_token_is_bound_to_its_purpose(issued_for):
    token = tokens.serializer(issued_for, CONFIG).dumps({"j": "x", "u": 1})
    for purpose in tokens.PURPOSES:
        expected = "ok" if purpose == issued_for else "invalid"
        assert tokens.read(token, purpose, CONFIG).status.value == expected


@pytest.mark.asvs("9.2.1")
def test_a_token_signed_with_another_key_is_invalid():
    token = tokens.serializer("link", {**CONFIG, "SECRET_KEY": "x" * 40}).dumps({"j": "x", "u": 1})
    assert tokens.read(token, "link", CONFIG).status is tokens.TokenStatus.INVALID


def _signed(purpose: str, at: datetime, config: dict = CONFIG) -> str:
    """A link-shaped token for ``purpose`` signed at ``at``."""
    with freeze_time(at):
        return tokens.serializer(purpose, config).dumps({"j": "jti-1", "u": 7})


@pytest.mark.asvs("9.2.2")
@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda t: "x" + t, id="prefix"),
        pytest.param(lambda t: t + "." + t, id="doubled"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t * 50, id="oversized"),
    ],
)
def test_asvs_9_2_2_a_tampered_token_is_invalid(mangle):
    token = _signed("link", NOW)
    with freeze_time(NOW):
        assert tokens.read(mangle(token), "link", CONFIG).status is tokens.TokenStatus.INVALID
