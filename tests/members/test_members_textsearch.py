"""gate.textsearch: term search, snippets, highlighting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.textsearch import (
    Document,
    QueryError,
    highlight_parts,
    parse_query,
    search,
    snippet,
)

DOCS = [
    Document("/members/a", "Fluent Board", "Every client gets a private board. Cards move."),
    Document("/members/b", "Timely", "Time tracking for the board and invoices."),
    Document("/members/c", "Payments", "Gateways and payouts."),
]


@pytest.mark.parametrize(
    ("query", "urls"),
    [
        ("board", ["/members/a", "/members/b"]),
        ("BOARD cards", ["/members/a"]),
        ("payouts", ["/members/c"]),
        ("timely invoices", ["/members/b"]),
        ("nothing-like-this", []),
        ("", []),
    ],
)
def test_search(query, urls):
    assert [h.url for h in search(DOCS, parse_query(query))] == urls


@pytest.mark.parametrize("query", ["x" * 201, " ".join(f"w{i}" for i in range(11))])
def test_bad_queries(query):
    with pytest.raises(QueryError):
        parse_query(query)


def test_snippet_is_around_the_match():
    text = "word " * 100 + "needle here " + "tail " * 100
    piece = snippet(text, ["needle"])
    assert "needle here" in piece
    assert piece.startswith("... ") and piece.endswith(" ...")
    assert len(piece) < 200


@given(st.text(max_size=80), st.lists(st.text(min_size=1, max_size=5), max_size=3))
def test_highlight_parts_rebuild_the_text(text, terms):
    parts = highlight_parts(text, [t.casefold() for t in terms])
    assert "".join(piece for piece, _ in parts) == text
