"""gate.access: who may open an item, in words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.access import access_help, can_open, describe_access, describe_audience

AUDIENCES = ["staff", "clients", "client:acme", "newsletter:payments", "newsletter:store-setup"]


@pytest.mark.parametrize(
    ("item_access", "held", "is_staff", "expected"),
    [
        (["clients"], {"clients", "client:acme"}, False, True),
        (["client:acme"], {"clients", "client:acme"}, False, True),
        (["client:acme"], {"clients", "client:other"}, False, False),
        (["newsletter:payments"], {"newsletter:payments"}, False, True),
        (["newsletter:payments"], {"newsletter:store-setup"}, False, False),
        (["newsletter:payments", "clients"], {"clients"}, False, True),
        (["staff"], {"clients"}, False, False),
        (["staff"], set(), True, True),
        (["clients"], set(), False, False),
        ([], {"clients"}, False, False),  # bad input: nothing declared opens for nobody
        ([], set(), True, True),
    ],
)
def test_can_open(item_access, held, is_staff, expected):
    assert can_open(item_access, held, is_staff) is expected


@given(st.lists(st.sampled_from(AUDIENCES)), st.sets(st.sampled_from(AUDIENCES)))
def test_can_open_is_any_shared_audience(item_access, held):
    assert can_open(item_access, held, False) == bool(set(item_access) & held)
    assert can_open(item_access, held, True)


@pytest.mark.parametrize(
    ("audience", "words"),
    [
        ("clients", "registered clients"),
        ("client:demo-client", "the Demo Client client account"),
        ("newsletter:store-setup", "Online Sales FAQ subscribers (Store Setup section)"),
        ("staff", "staff only"),
        ("bogus", "nobody (unknown audience)"),
    ],
)
def test_audiences_in_words(audience, words):
    assert describe_audience(audience) == words


def test_access_lists_join_with_or_and_say_how_to_get_access():
    assert describe_access(["clients", "newsletter:payments"]) == (
        "registered clients or Online Sales FAQ subscribers (Payments section)"
    )
    assert describe_access([]) == "nobody (no access declared)"
    help_lines = access_help(["newsletter:payments"])
    assert "Subscribe to the Payments section" in help_lines[0]
    assert "sign-in link" in help_lines[0]
    assert "invitation" in access_help(["clients"])[0]
