"""Calculator markers in Markdown: finding, parsing and replacing them outside code.

A marker is ``[[calc NAME key=value ...]]`` or ``[[widget NAME]]`` on one line; a value with
spaces is written in double quotes. Markers inside fenced blocks and inline code spans are
left alone. What a marker becomes is the caller's business (:mod:`calc_markers`): this module
only knows the syntax, and a block (a table or a widget) standing alone on its line gets blank
lines around it at the marker's indentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MARKER = re.compile(r"\[\[(?P<kind>calc|widget)\b(?P<body>[^\[\]\n]*)\]\]")
OPTION = re.compile(r'(?P<key>[^\s="]+)=(?:"(?P<quoted>[^"]*)"|(?P<plain>[^\s"]+))|(?P<word>\S+)')
OPENING = re.compile(r"\[\[\s*(?:calc|widget)\b")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(?P<ticks>`+).+?(?P=ticks)")


class MarkerError(ValueError):
    """A marker is unknown or malformed; the message says what is wrong with it."""


@dataclass(frozen=True)
class Marker:
    """One parsed marker: ``kind`` (calc or widget), its name and its key=value options."""

    text: str
    kind: str
    name: str
    options: dict[str, str]
    alone: bool
    indent: str


@dataclass(frozen=True)
class Expansion:
    """What a marker becomes; ``block`` when it is a table or a widget on its own line."""

    text: str
    block: bool


Render = Callable[[Marker], Expansion]


def parse_marker(text: str, body: str, kind: str, *, alone: bool, indent: str) -> Marker:
    """Split a marker's body into its name and ``key=value`` options."""
    words = body.split(maxsplit=1)
    if not words:
        raise MarkerError(f"{kind} marker without a name")
    name, options = words[0], {}
    for match in OPTION.finditer(words[1] if len(words) > 1 else ""):
        key = match.group("key")
        if key is None:
            raise MarkerError(f"expected key=value, not {match.group('word')!r}")
        if key in options:
            raise MarkerError(f"option {key!r} given twice")
        value = match.group("quoted")
        options[key] = match.group("plain") if value is None else value
    return Marker(text=text, kind=kind, name=name, options=options, alone=alone, indent=indent)


def _expand_line(line: str, render: Render) -> str:
    """Expand the markers of one line outside inline code spans."""
    stripped = line.strip()
    pieces: list[str] = []
    position = 0
    for code in INLINE_CODE.finditer(line):
        pieces.append(_expand_text(line[position:code.start()], stripped, line, render))
        pieces.append(code.group(0))
        position = code.end()
    pieces.append(_expand_text(line[position:], stripped, line, render))
    return "".join(pieces)


def _expand_text(text: str, stripped: str, line: str, render: Render) -> str:
    indent = line[: len(line) - len(line.lstrip())]

    def replace(match: re.Match[str]) -> str:
        marker_text = match.group(0)
        try:
            marker = parse_marker(marker_text, match.group("body"), match.group("kind"),
                                  alone=stripped == marker_text, indent=indent)
            expansion = render(marker)
        except MarkerError as exc:
            raise MarkerError(f"{marker_text}: {exc}") from None
        if marker.alone and expansion.block:
            # A block: blank lines around it, every line at the marker's indentation.
            return ("\n" + expansion.text + "\n").replace("\n", "\n" + indent)
        return expansion.text

    expanded = MARKER.sub(replace, text)
    leftover = OPENING.search(expanded)
    if leftover is not None and OPENING.search(text) is not None:
        fragment = text[leftover.start(): leftover.start() + 60]
        raise MarkerError(f"{fragment.strip()}: malformed marker (expected [[calc NAME "
                          "key=value ...]] or [[widget NAME]] on one line)")
    return expanded


def _closes(line: str, fence: str) -> bool:
    opening = FENCE.match(line)
    return (opening is not None and opening.group("fence")[0] == fence[0]
            and len(opening.group("fence")) >= len(fence)
            and line.strip() == opening.group("fence"))


def map_outside_fences(markdown: str, expand: Callable[[int, str], str]) -> str:
    """``markdown`` with ``expand(number, line)`` in place of every line outside fenced code
    blocks (the fences and what they hold are kept as they are)."""
    out: list[str] = []
    fence: str | None = None
    for number, line in enumerate(markdown.split("\n"), start=1):
        if fence is not None:
            if _closes(line, fence):
                fence = None
            out.append(line)
            continue
        opening = FENCE.match(line)
        if opening:
            fence = opening.group("fence")
            out.append(line)
            continue
        out.append(expand(number, line))
    return "\n".join(out)


def replace_markers(markdown: str, render: Render) -> str:
    """Replace every marker outside code by what ``render`` makes of it; MarkerError names
    the first bad one with its line number."""

    def expand(number: int, line: str) -> str:
        try:
            return _expand_line(line, render)
        except MarkerError as exc:
            raise MarkerError(f"line {number}: {exc}") from None

    return map_outside_fences(markdown, expand)
