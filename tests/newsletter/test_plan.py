"""A whole import checked together: every bad row reported, duplicates merged."""

from __future__ import annotations

import pytest

from gate.newsletter import plan
from tests.newsletter.helpers import HEADER, PAY, STORE, parse, problems


def test_every_bad_row_is_reported_with_its_spreadsheet_row_number():
    text = (
        HEADER
        + f"good@example.com,Ann,,subscribed,{PAY},\n"      # row 2: fine
        + f"two@@example.com,,,subscribed,{PAY},\n"         # row 3
        + "\n"                                              # row 4: blank, skipped
        + f" sp ace@example.com ,,,subscribed,{PAY},\n"     # row 5
        + f"x@example.com,,,weird,{PAY},\n"                 # row 6
        + f"GOOD@example.com,Ann,,unsubscribed,{PAY},\n"    # row 7: conflicts with row 2
        + f"y@example.com,{'n' * 201},,subscribed,{PAY},\n" # row 8
        + f"z@example.com,,,subscribed,{PAY},,extra\n"      # row 9
        + f",,,subscribed,{PAY},\n"                         # row 10
    )
    with pytest.raises(plan.ExportError) as caught:
        parse(text)
    rows = [problem.row for problem in caught.value.problems]
    assert rows == [3, 5, 6, 7, 8, 9, 10]
    assert caught.value.message == "7 bad rows"
    shown = [str(problem) for problem in caught.value.problems]
    assert shown[0] == "row 3: email 'two@@example.com' must contain exactly one @"
    assert "contains a space" in shown[1]
    assert "row 6: status 'weird'" in shown[2]
    assert shown[3] == "row 7: good@example.com is also on row 2 with a different status"
    assert "first name is longer than 200" in shown[4]
    assert "has 7 cells but the header names 6" in shown[5]
    assert shown[6] == "row 10: email is empty"


@pytest.mark.parametrize(
    ("second", "difference"),
    (
        (f"A@example.com,Ann,,subscribed,{STORE},", "lists or tags"),
        (f"a@example.com,Anne,,subscribed,{PAY},", "name"),
        (f"a@example.com,Anne,,bounced,{PAY},", "status and name"),
    ),
)
def test_conflicting_case_duplicates_name_both_rows(second, difference):
    shown = problems(f"{HEADER}a@example.com,Ann,,subscribed,{PAY},\n{second}\n")
    assert shown == [f"row 3: a@example.com is also on row 2 with a different {difference}"]


def test_a_row_with_two_problems_reports_both():
    shown = problems(f"{HEADER}bad,,,nope,,\n")
    assert len(shown) == 2 and all(s.startswith("row 2: ") for s in shown)
