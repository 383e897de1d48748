"""calc_syntax: markers are found outside code, parsed, and replaced; blocks keep their indent."""

from __future__ import annotations

import pytest
from calc_syntax import Expansion, Marker, MarkerError, parse_marker, replace_markers


def _echo(marker: Marker) -> Expansion:
    """Render a marker as its name and sorted options; ``block`` markers are two lines."""
    options = ",".join(f"{key}={value}" for key, value in sorted(marker.options.items()))
    if marker.name == "block":
        return Expansion("A\nB", True)
    return Expansion(f"<{marker.kind}:{marker.name}:{options}>", False)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("x [[calc one a=1 b=\"two words\"]] y", "x <calc:one:a=1,b=two words> y"),
        ("`[[calc one]]` and [[calc two]]", "`[[calc one]]` and <calc:two:>"),
        ("```\n[[calc one]]\n```\n[[calc two]]", "```\n[[calc one]]\n```\n<calc:two:>"),
        ("~~~~\n```\n[[calc one]]\n~~~~", "~~~~\n```\n[[calc one]]\n~~~~"),
        ("- item\n    [[calc block]]", "- item\n    \n    A\n    B\n    "),
        ("[[teasers]] stays", "[[teasers]] stays"),
    ],
)
def test_replace_markers(markdown, expected):
    assert replace_markers(markdown, _echo) == expected


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("ok\n[[calc]]", "line 2: [[calc]]: calc marker without a name"),
        ("[[calc one a=1 a=2]]", "option 'a' given twice"),
        ("[[calc one loose]]", "expected key=value, not 'loose'"),
        ("[[calc one\nrest]]", "malformed marker"),
    ],
)
def test_bad_markers_name_the_line_and_the_problem(markdown, message):
    with pytest.raises(MarkerError, match=message.replace("[", r"\[").replace("]", r"\]")):
        replace_markers(markdown, _echo)


def test_parse_marker_knows_whether_it_stands_alone():
    marker = parse_marker("[[widget due-date]]", " due-date", "widget", alone=True, indent="")
    assert (marker.kind, marker.name, marker.options, marker.alone) == (
        "widget", "due-date", {}, True)
