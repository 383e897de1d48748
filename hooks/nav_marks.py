"""Mark every part of a built members page that names another member page.

A member page's navigation (drawer, sidebar, tabs), its footer's previous/next links and the
``<link rel="prev|next">`` of its head name other member pages. Which of those a reader may
see depends on their grants, so the build wraps each such part in a pair of HTML comments
carrying the audiences that open it::

    <!--sop:open 7 clients client:demo-client--> <li>...</li> <!--/sop:7-->

and the gate keeps or drops each marked span for a reader (see ``gate/members/variants.py``).
A list item is marked with the union of the audiences of every member page linked inside
it, so a navigation section disappears exactly when nothing in it is open to the reader; a
list item that also links outside the members area is never marked. A link outside any list
item (the footer's) is marked on its own. A link to ``#more-with-access`` on the members home
marks its list item ``more``: the gate shows it only to readers with something locked.

Pure: no MkDocs, no files. The members hook calls :func:`mark` on every page it writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

MORE_FRAGMENT = "more-with-access"

AccessOf = Callable[[str], "tuple[str, ...] | None"]
"""The audiences of the member page at a path under the members root, None if not one."""


@dataclass
class _Open:
    start: int
    audiences: set[str] = field(default_factory=set)
    outside: bool = False
    more: bool = False


@dataclass(frozen=True)
class Span:
    """A part of the page to keep or drop: ``kind`` is ``open`` or ``more``."""

    start: int
    end: int
    kind: str
    audiences: tuple[str, ...]


class _Finder(HTMLParser):
    """Collects the spans of one page (offsets into the original text)."""

    def __init__(self, text: str, page_url: str, root: str, access_of: AccessOf) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.page_url = page_url
        self.root = root
        self.access_of = access_of
        self.lines = [0, *itertools.accumulate(len(line) for line in text.splitlines(True))]
        self.items: list[_Open] = []
        self.link: tuple[int, tuple[str, ...]] | None = None
        self.spans: list[Span] = []

    def position(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def target(self, href: str) -> tuple[tuple[str, ...] | None, bool]:
        """(audiences of the linked member page or None, True when it is the "more" link)."""
        url = urlsplit(urljoin(self.page_url, href))
        if url.scheme or url.netloc or not url.path.startswith(self.root):
            return None, False
        key = url.path[len(self.root):]
        more = key == "" and url.fragment == MORE_FRAGMENT
        return self.access_of(key), more

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.head_link(dict(attrs))
        elif tag == "li":
            self.items.append(_Open(self.position()))
        elif tag == "a":
            href = dict(attrs).get("href")
            if href is None or (href.startswith("#") and href[1:] != MORE_FRAGMENT):
                return  # a link within the page (its table of contents)
            audiences, more = self.target(href)
            if self.items:
                current = self.items[-1]
                current.more = current.more or more
                if audiences is None:
                    current.outside = True
                elif not more:
                    current.audiences.update(audiences)
            elif audiences is not None:
                self.link = (self.position(), audiences)

    def head_link(self, attrs: dict[str, str | None]) -> None:
        """``<link rel="prev|next">`` in the head names a neighbouring member page too."""
        href = attrs.get("href")
        if href is None or attrs.get("rel") not in ("prev", "next"):
            return
        audiences, _more = self.target(href)
        if audiences is not None:
            start = self.position()
            end = self.text.index(">", start) + 1
            self.spans.append(Span(start, end, "open", audiences))

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.items:
            item = self.items.pop()
            end = self.text.index(">", self.position()) + 1
            if item.more:
                self.spans.append(Span(item.start, end, "more", ()))
            elif item.audiences and not item.outside:
                self.spans.append(Span(item.start, end, "open", tuple(sorted(item.audiences))))
            if self.items:
                parent = self.items[-1]
                parent.audiences |= item.audiences
                parent.outside = parent.outside or item.outside or item.more
        elif tag == "a" and self.link is not None:
            start, audiences = self.link
            self.link = None
            end = self.text.index(">", self.position()) + 1
            self.spans.append(Span(start, end, "open", audiences))


def find_spans(text: str, page_url: str, root: str, access_of: AccessOf) -> list[Span]:
    """Every span of ``text`` (a page at absolute URL ``page_url``) naming a member page.

    ``root`` is the members area's absolute path (``/members/``).
    """
    finder = _Finder(text, page_url, root, access_of)
    finder.feed(text)
    finder.close()
    return finder.spans


def _events(spans: list[Span], first_id: int) -> Iterator[tuple[int, int, int, str]]:
    """(offset, order, tie-break, marker) for every span's start and end marker."""
    for number, span in enumerate(spans, start=first_id):
        label = " ".join((span.kind, str(number), *span.audiences))
        # At one offset: ends before starts; inner ends first; outer starts first.
        yield span.start, 1, -span.end, f"<!--sop:{label}-->"
        yield span.end, 0, -span.start, f"<!--/sop:{number}-->"


def insert_marks(text: str, spans: list[Span], first_id: int = 1) -> str:
    """``text`` with the markers of ``spans`` inserted (numbered from ``first_id``)."""
    out, last = [], 0
    for offset, _order, _tie, marker in sorted(_events(spans, first_id)):
        out += [text[last:offset], marker]
        last = offset
    out.append(text[last:])
    return "".join(out)


def mark(text: str, page_url: str, root: str, access_of: AccessOf, first_id: int = 1) -> str:
    """``text`` with every span naming a member page marked (see the module docstring)."""
    return insert_marks(text, find_spans(text, page_url, root, access_of), first_id)
