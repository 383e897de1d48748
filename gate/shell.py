"""The frame of the gate's own pages: the built site's "page not found" page.

MkDocs builds ``404.html`` with root-relative links (it can be served at any address), and
``overrides/404.html`` marks its content with ``<!--sop:content-->`` and
``<!--/sop:content-->``. The gate's templates put their content between the two halves, so
sign-in, refusal and error pages wear the site's real header, drawer, tabs, search and footer.
Signed-in readers get the members build's frame as they may see it (``gate.members``);
everyone else the public one.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

CONTENT_START = "<!--sop:content-->"
CONTENT_END = "<!--/sop:content-->"
PLAIN = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width,initial-scale=1">'
    "<title>SOP Portal</title></head><body><main>" + CONTENT_START,
    CONTENT_END + "</main></body></html>\n",
)


@dataclass(frozen=True)
class Frame:
    """A built page cut around its content."""

    before: str
    after: str

    def head(self, title: str) -> Markup:
        """Everything before the content, with ``title`` in front of the site's name."""
        html = self.before.replace("<title>", f"<title>{escape(title)} - ", 1)
        return Markup(html)  # nosec B704 - the build's own HTML; the title is escaped

    def tail(self) -> Markup:
        """Everything after the content."""
        return Markup(self.after)  # nosec B704 - the build's own HTML


def cut(html: str) -> Frame:
    """The frame of a built 404 page; the plain frame when its markers are missing."""
    before, found, rest = html.partition(CONTENT_START)
    _content, found_end, after = rest.partition(CONTENT_END)
    if not found or not found_end:
        return Frame(*PLAIN)
    return Frame(before, after)


PLAIN_FRAME = Frame(*PLAIN)


class PublicFrame:
    """The public site's frame, read again when a new build replaces the page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._frame = PLAIN_FRAME

    def get(self, page: Path) -> Frame:
        """The frame cut from ``page`` (the public ``404.html``)."""
        try:
            st = os.stat(page)
        except OSError:
            return PLAIN_FRAME
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns)
        if stamp != self._stamp:
            with self._lock:
                self._frame = cut(page.read_text(encoding="utf-8", errors="replace"))
                self._stamp = stamp
        return self._frame
