"""Marking the parts of a built page that name member pages (hooks/nav_marks.py)."""

from __future__ import annotations

import pytest
from nav_marks import find_spans, insert_marks, mark

ACCESS = {"": ("members",), "a/": ("clients",), "b/": ("client:acme",), "c/": ("staff",)}
ROOT = "/members/"


def access_of(key: str):
    return ACCESS.get(key)


NAV = (
    '<ul><li class="s"><label>Sec</label><ul>'
    '<li><a href="../a/">A</a></li><li><a href="../b/">B</a></li></ul></li>'
    '<li><a href="/sops/billing/">Public</a></li></ul>'
)


def test_a_section_carries_the_union_of_its_pages():
    spans = find_spans(NAV, "/members/a/", ROOT, access_of)
    audiences = sorted(span.audiences for span in spans)
    assert audiences == [("client:acme",), ("client:acme", "clients"), ("clients",)]


def test_markers_nest_and_public_items_stay_unmarked():
    marked = mark(NAV, "/members/a/", ROOT, access_of)
    assert marked.startswith('<ul><!--sop:open 3 client:acme clients--><li class="s">')
    assert "<!--sop:open 1 clients--><li><a href=\"../a/\">A</a></li><!--/sop:1-->" in marked
    assert '<li><a href="/sops/billing/">Public</a></li></ul>' in marked
    assert marked.replace("<!--", "\0").count("\0") == 6


@pytest.mark.parametrize(
    ("html", "kind", "audiences"),
    [
        ('<p><a class="md-footer__link" href="../c/">Next: C</a></p>', "open", ("staff",)),
        ('<li><a href="../#more-with-access">More</a></li>', "more", ()),
        ('<li><a href="#more-with-access">More</a></li>', "more", ()),
        ('<link rel="next" href="../c/">', "open", ("staff",)),  # the head names it too
        ('<link rel="prev" href="../c/" />', "open", ("staff",)),
    ],
)
def test_footer_links_and_the_more_entry(html, kind, audiences):
    page = "/members/" if html.startswith('<li><a href="#') else "/members/a/"
    [span] = find_spans(html, page, ROOT, access_of)
    assert (span.kind, span.audiences) == (kind, audiences)


@pytest.mark.parametrize(
    "html",
    [
        '<li><a href="#section">Section</a></li>',  # the page's own table of contents
        '<li><a href="https://example.com/members/a/">Elsewhere</a></li>',
        '<li><a href="/members/no-such/">Unknown</a></li>',
        '<li><a href="/auth/logout">Sign out</a></li>',
        '<link rel="stylesheet" href="../c/">',  # not a neighbour: left alone
    ],
)
def test_links_that_name_no_member_page_are_not_marked(html):
    assert find_spans(html, "/members/a/", ROOT, access_of) == []


def test_markers_at_one_offset_close_before_they_open():
    text = "<li>x</li><li>y</li>"
    from nav_marks import Span

    spans = [Span(0, 10, "open", ("a",)), Span(10, 20, "open", ("b",))]
    assert insert_marks(text, spans) == (
        "<!--sop:open 1 a--><li>x</li><!--/sop:1--><!--sop:open 2 b--><li>y</li><!--/sop:2-->"
    )
