"""A built page as one reader sees it (gate/members/variants.py)."""

from __future__ import annotations

import pytest

from gate.members.variants import Reader, view

PAGE = (
    b"<nav><!--sop:open 1 clients--><li>Clients<!--sop:open 2 client:acme--><li>Acme</li>"
    b"<!--/sop:2--></li><!--/sop:1--><!--sop:more 3--><li>More</li><!--/sop:3--></nav>"
    b"<!--sop:locked c1 newsletter:payments--><p>Payments teaser</p><!--/sop:c1-->"
)


@pytest.mark.parametrize(
    ("reader", "has_locked", "expected"),
    [
        (Reader(frozenset({"clients"})), True,
         b"<nav><li>Clients</li><li>More</li></nav><p>Payments teaser</p>"),
        (Reader(frozenset({"clients", "client:acme"})), True,
         b"<nav><li>Clients<li>Acme</li></li><li>More</li></nav><p>Payments teaser</p>"),
        (Reader(frozenset({"newsletter:payments"})), True, b"<nav><li>More</li></nav>"),
        (Reader(frozenset(), is_staff=True), False,
         b"<nav><li>Clients<li>Acme</li></li></nav>"),
        (Reader(frozenset({"client:acme"})), True,  # no section without its parent's audience
         b"<nav><li>More</li></nav><p>Payments teaser</p>"),
    ],
)
def test_each_reader_sees_only_their_parts(reader, has_locked, expected):
    assert view(PAGE, reader, has_locked) == expected


@pytest.mark.parametrize(
    ("access", "reader", "opens"),
    [
        (("members",), Reader(frozenset()), True),
        (("clients",), Reader(frozenset({"newsletter:payments"})), False),
        (("clients", "newsletter:payments"), Reader(frozenset({"newsletter:payments"})), True),
        (("staff",), Reader(frozenset(), is_staff=True), True),
        ((), Reader(frozenset({"clients"})), False),
    ],
)
def test_may_open(access, reader, opens):
    assert reader.may_open(access) is opens


def test_unmarked_text_is_untouched():
    assert view(b"<p>plain <!-- a comment --></p>", Reader(frozenset()), True) == (
        b"<p>plain <!-- a comment --></p>"
    )
