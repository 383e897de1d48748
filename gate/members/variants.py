"""A built members page as one reader sees it: the marked parts they may not see removed.

The members build wraps every part of a page that names a member page in a marker pair
(``hooks/nav_marks.py``, ``hooks/members_catalogue.py``)::

    <!--sop:KIND ID AUDIENCE...-->...<!--/sop:ID-->

``open`` parts stay when the reader may open one of the audiences, ``locked`` parts (teasers)
when they may not, ``more`` parts when the reader has something locked at all. Pure: no Flask,
no files.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_MARK = re.compile(
    rb"<!--sop:(open|locked|more) (\w+)((?: [^ >]+)*)-->(.*?)<!--\/sop:\2-->", re.S
)


@dataclass(frozen=True)
class Reader:
    """What decides a reader's view: their audiences (valid grants) and the staff flag."""

    audiences: frozenset[str]
    is_staff: bool = False

    def may_open(self, access: Collection[str]) -> bool:
        """True when an item with this access opens for this reader."""
        if self.is_staff or "members" in access:
            return True
        return any(audience in self.audiences for audience in access)


def view(html: bytes, reader: Reader, has_locked: bool) -> bytes:
    """``html`` with the parts ``reader`` may not see removed and every marker dropped."""

    def keep(match: re.Match[bytes]) -> bytes:
        kind = match.group(1)
        access = match.group(3).decode().split()
        if kind == b"open":
            shown = reader.may_open(access)
        elif kind == b"locked":
            shown = not reader.may_open(access)
        else:
            shown = has_locked
        return _MARK.sub(keep, match.group(4)) if shown else b""

    return _MARK.sub(keep, html)
