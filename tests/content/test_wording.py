"""One voice on every page (issue 17): British spelling, one name per thing, no invented rules.

The business is South African, so pages use British spelling. The rows of ``RETIRED`` are
wordings the editor's review removed: contradictions of the sources (a reply within "one
working day", a client kick-off) and rules no source gives (mandate lead times, a late-payment
ladder, escalation after two runs). They must not come back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWNED_ELSEWHERE = {"docs/calculators.md"}
PAGES = sorted(
    p for p in [*(ROOT / "docs").rglob("*.md"), *(ROOT / "restricted").rglob("*.md"),
                *(ROOT / "includes").rglob("*.md")]
    if p.relative_to(ROOT).as_posix() not in OWNED_ELSEWHERE
)
IDS = [p.relative_to(ROOT).as_posix() for p in PAGES]

AMERICAN = re.compile(
    r"\b(?:authoriz\w*|finaliz\w*|organiz\w*|recogniz\w*|prioritiz\w*|customiz\w*|"
    r"memoriz\w*|analyz\w*|colors?|behaviors?|favorites?|centers?|catalogs?|canceled|"
    r"canceling|inquir\w*|kickoff|checks? (?:or|and) credit card|by check)\b",
    re.IGNORECASE,
)
# The source's own spelling may be quoted when the page says that it is the source's.
QUOTED_SOURCE = re.compile(r'the source spells it "[^"]*"')

RETIRED = [
    "one working day",
    "kick-off meeting, where",
    "five business days",
    "ten business days",
    "30 days' notice",
    "30 days' written notice",
    "within 7 days",
    "last four digits",
    "limit per charge",
    "after two runs",
    "overdue by eight days",
    "the repair is on us",
    "hourly rate in your agreement",
    "within two working days",
    "is on hold",
    "rounded illustration",
    "accounts team",
]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_british_spelling(page: Path) -> None:
    text = QUOTED_SOURCE.sub("", page.read_text(encoding="utf-8"))
    assert AMERICAN.findall(text) == []


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_retired_wording_stays_out(page: Path) -> None:
    text = re.sub(r"\s+", " ", page.read_text(encoding="utf-8")).casefold()
    assert [phrase for phrase in RETIRED if phrase.casefold() in text] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("credit card authorization form", ["authorization"]),
        ("credit card authorisation form", []),
        ("paid by check or credit card", ["by check"]),
        ("check the invoice", []),
        ('the source spells it "memorized"', []),
        ("a memorized transaction", ["memorized"]),
        ("the kickoff meeting", ["kickoff"]),
        ("a client's enquiry", []),
    ],
)
def test_spelling_check(text: str, found: list[str]) -> None:
    assert AMERICAN.findall(QUOTED_SOURCE.sub("", text)) == found
