"""Contacts from one import or sync, checked together into one plan (pure).

Every source (the export files of one command, or every FluentCRM contact of a sync) yields
entries: a place (``row 3``, ``slice-2.csv row 7``, ``contact 12``) with a raw contact or that
place's problem. :func:`build_plan` checks each with :func:`gate.newsletter.fields.check_contact`,
merges repeated addresses, and either returns an :class:`ImportPlan` or raises one
:class:`ExportError` listing every problem: it is all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from gate.newsletter.fields import ContactUpdate, CrmError, RawContact, check_contact
from gate.newsletter.sections import NewsletterMap

_PLACE_ROW = re.compile(r"(?:^| )row (\d+)$")


@dataclass(frozen=True)
class RowProblem:
    """A problem with one row of an export or one API contact (``where`` names it)."""

    row: int | None
    message: str
    where: str = ""

    def __str__(self) -> str:
        label = self.where or (f"row {self.row}" if self.row is not None else "")
        return f"{label}: {self.message}" if label else self.message


class ExportError(CrmError):
    """Contacts that cannot be imported: a one-line ``message`` plus every bad row."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ImportPlan:
    """Every contact of one import (all its files), in order, one entry per address."""

    contacts: tuple[ContactUpdate, ...]

    @property
    def emails(self) -> frozenset[str]:
        """The normalised addresses in the plan."""
        return frozenset(contact.email for contact in self.contacts)


Entry = tuple[str, RawContact | RowProblem]


def _merge(first: ContactUpdate, again: ContactUpdate) -> ContactUpdate | str:
    """Merge two entries for the same address, or say how they disagree."""
    differences = []
    if first.status != again.status:
        differences.append("status")
    elif first.sections != again.sections:
        differences.append("lists or tags")
    if first.name and again.name and first.name != again.name:
        differences.append("name")
    if differences:
        return (
            f"{again.email} is also on {first.places[0]} with a different "
            f"{' and '.join(differences)}"
        )
    return replace(first, name=first.name or again.name, places=first.places + again.places)


def _row_of(place: str) -> int | None:
    """The row number ending a place label (``row 3``, ``a.csv row 3``), or None."""
    match = _PLACE_ROW.search(place)
    return int(match.group(1)) if match else None


def build_plan(
    newsletter_map: NewsletterMap, entries: Iterable[Entry], *, noun: str = "row"
) -> ImportPlan:
    """Every contact's wanted state with duplicates merged, or :class:`ExportError` listing
    every problem in order (the entries' own, bad values, conflicting duplicates)."""
    problems: list[RowProblem] = []
    merged: dict[str, ContactUpdate] = {}
    for place, item in entries:
        if isinstance(item, RowProblem):
            problems.append(item)
            continue
        update, errors = check_contact(newsletter_map, item, (place,))
        row = _row_of(place)
        problems.extend(RowProblem(row, f"{e.field.replace('_', ' ')} {e.message}", place)
                        for e in errors)
        if update is None:
            continue
        earlier = merged.get(update.email)
        outcome = update if earlier is None else _merge(earlier, update)
        if isinstance(outcome, str):
            problems.append(RowProblem(row, outcome, place))
        else:
            merged[update.email] = outcome
    if problems:
        count = len({problem.where for problem in problems})
        raise ExportError(f"{count} bad {noun}{'s' if count != 1 else ''}", problems)
    return ImportPlan(contacts=tuple(merged.values()))
