"""The business calendar: weekdays minus public holidays and closures, and the rolls.

Holidays come from the ``holidays`` package for one country (data, not I/O). A
:class:`BusinessCalendar` can also be built from any ``year -> {date: name}`` function, which
is how tests pin a calendar of their own. Company closures (a year-end shutdown) are named
date ranges whose weekdays are not business days either; :mod:`calculators.closures` parses
them from text.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

from calculators.errors import InvalidChoice, InvalidDate, SettingsError

HolidaySource = Callable[[int], Mapping[date, str]]
"""A function giving the public holidays of one year, by date, with their names."""

_MAX_STEPS = 120  # closures are at most six weeks long and never overlap


class Roll(StrEnum):
    """How to move a date that is not a business day."""

    FOLLOWING = "following"
    PRECEDING = "preceding"
    MODIFIED_FOLLOWING = "modified_following"
    NONE = "none"


ROLL_WORDS = tuple(roll.value for roll in Roll)


def parse_roll(text: str, *, field: str) -> Roll:
    """A :class:`Roll` from its word."""
    try:
        return Roll(text.strip().lower())
    except ValueError:
        expected = ", ".join(ROLL_WORDS)
        raise InvalidChoice(field, text, f"{field} must be one of {expected}") from None


@dataclass(frozen=True, order=True)
class Holiday:
    """A public holiday: its date and its name."""

    date: date
    name: str

    def as_dict(self) -> dict[str, str]:
        """``{"date": "2026-04-03", "name": "Good Friday"}``."""
        return {"date": self.date.isoformat(), "name": self.name}


def _country_module(module_name: str) -> ModuleType:
    """One module of ``holidays.countries``, loaded without the package's ``__init__``.

    That ``__init__`` imports all of the package's countries (about 0.2 s), where a calculator
    command needs one. The module is loaded under its usual name, so a later full import of
    ``holidays.countries`` reuses it.
    """
    full = f"holidays.countries.{module_name}"
    loaded = sys.modules.get(full)
    if loaded is not None:
        return loaded
    import holidays as holidays_package

    path = Path(holidays_package.__file__).parent / "countries" / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(full, path)
    if "holidays.countries" in sys.modules or spec is None or spec.loader is None:
        return importlib.import_module(full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise
    return module


def _holiday_class(code: str) -> Any:
    """The ``holidays`` class of a country code (ISO 3166 alpha-2 or -3), or None."""
    from holidays import registry

    for module_name, (class_name, *codes) in registry.COUNTRIES.items():
        if code in codes:
            return getattr(_country_module(module_name), class_name)
    return None


@dataclass(frozen=True, order=True)
class Closure:
    """A company closure: every weekday from ``start`` to ``end`` (inclusive) is closed."""

    start: date
    end: date
    name: str

    @property
    def days(self) -> int:
        """How many calendar days the closure spans."""
        return (self.end - self.start).days + 1

    def dates(self) -> Iterable[date]:
        """Every date of the closure, in order."""
        return (self.start + timedelta(days=offset) for offset in range(self.days))


@dataclass(frozen=True)
class Moved:
    """Where a roll took a date, and the holidays that made it move (or that it falls on)."""

    original: date
    date: date
    holidays: tuple[Holiday, ...]

    @property
    def moved(self) -> bool:
        """True when the roll changed the date."""
        return self.date != self.original


class BusinessCalendar:
    """Business days: Monday to Friday except the public holidays of ``holidays_for_year``."""

    def __init__(
        self, holidays_for_year: HolidaySource, *, name: str, first_year: int, last_year: int,
        closures: Iterable[Closure] = (),
    ) -> None:
        self._source = holidays_for_year
        self.name = name
        self.first_year = first_year
        self.last_year = last_year
        self._years: dict[int, Mapping[date, str]] = {}
        self._lock = threading.Lock()
        self.closures = tuple(sorted(closures))
        self._closed = {day: closure.name for closure in self.closures for day in closure.dates()}

    def with_closures(self, closures: Iterable[Closure]) -> BusinessCalendar:
        """This calendar with ``closures`` instead of its own (holiday tables are shared)."""
        other = BusinessCalendar(self._source, name=self.name, first_year=self.first_year,
                                 last_year=self.last_year, closures=closures)
        other._years, other._lock = self._years, self._lock
        return other

    @property
    def longest_closure(self) -> int:
        """The length in days of the longest closure (0 without closures)."""
        return max((closure.days for closure in self.closures), default=0)

    @classmethod
    def for_country(cls, country: str, *, subdivision: str | None = None) -> BusinessCalendar:
        """The calendar of a country (ISO 3166 code) from the ``holidays`` package.

        The package and the country's module are imported here, not with this module: commands
        that need no calendar (proration) do not pay for them.
        """
        code = country.strip().upper()
        entity = _holiday_class(code)
        try:
            if entity is None:
                raise NotImplementedError(code)
            probe = entity(subdiv=subdivision)
        except NotImplementedError:
            raise SettingsError(
                "BILLING_COUNTRY", country, f"no public holiday calendar for country {country!r}"
            ) from None
        first = int(getattr(probe, "start_year", 1900))
        last = int(getattr(probe, "end_year", 2100))

        def source(year: int) -> Mapping[date, str]:
            table = entity(subdiv=subdivision, years=year)
            return {day: str(name) for day, name in table.items()}

        return cls(source, name=code, first_year=first, last_year=last)

    def _year(self, year: int) -> Mapping[date, str]:
        table = self._years.get(year)
        if table is None:
            with self._lock:
                table = self._years.get(year)
                if table is None:
                    table = dict(self._source(year))
                    self._years[year] = table
        return table

    def holiday(self, day: date) -> str | None:
        """The public holiday on ``day``, or the closure that shuts a weekday; else None."""
        public = self._year(day.year).get(day)
        if public is None and day.weekday() < 5 and self._closed:
            return self._closed.get(day)
        return public

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday, not a public holiday and not in a closure."""
        return day.weekday() < 5 and self.holiday(day) is None

    def holidays_between(self, first: date, last: date) -> tuple[Holiday, ...]:
        """Public holidays and closed weekdays from ``first`` to ``last`` inclusive, in order."""
        found: list[Holiday] = []
        day = first
        while day <= last:
            name = self.holiday(day)
            if name is not None:
                found.append(Holiday(day, name))
            day += timedelta(days=1)
        return tuple(found)

    def covered(self, *, years_before: int = 0, years_after: int = 0) -> tuple[date, date]:
        """The first and last day a calculation reaching that far around it may start on."""
        return (date(self.first_year + years_before, 1, 1),
                date(self.last_year - years_after, 12, 31))

    def coverage_note(self) -> str:
        """Why dates are bounded: the holiday calendar's years."""
        return f"the years the {self.name} holiday calendar covers"

    def check_covered(self, day: date, *, field: str, text: str, years_before: int = 0,
                      years_after: int = 0) -> None:
        """Refuse a date unless the holiday calendar covers the years around it.

        ``years_before`` and ``years_after`` are how far a calculation may reach from ``day``.
        """
        first, last = self.covered(years_before=years_before, years_after=years_after)
        if not first <= day <= last:
            raise InvalidDate(field, text, f"{field} must be between {first.isoformat()} and "
                              f"{last.isoformat()} ({self.coverage_note()})")

    def _step(self, day: date, direction: int) -> date:
        for _ in range(_MAX_STEPS):
            if self.is_business_day(day):
                return day
            day += timedelta(days=direction)
        raise SettingsError("BILLING_COUNTRY", self.name, "no business day within four months")

    def following(self, day: date) -> date:
        """``day`` itself when it is a business day, else the next business day."""
        return self._step(day, 1)

    def preceding(self, day: date) -> date:
        """``day`` itself when it is a business day, else the previous business day."""
        return self._step(day, -1)

    def roll(self, day: date, roll: Roll, *, not_before: date | None = None) -> Moved:
        """Move ``day`` by ``roll``; a roll never ends before ``not_before`` (it goes forward)."""
        target = self._rolled(day, roll)
        if not_before is not None and target < not_before:
            target = self.following(day)
        return Moved(day, target, self._involved(day, target))

    def _rolled(self, day: date, roll: Roll) -> date:
        if roll is Roll.NONE:
            return day
        if roll is Roll.FOLLOWING:
            return self.following(day)
        if roll is Roll.PRECEDING:
            return self.preceding(day)
        forward = self.following(day)
        return forward if forward.month == day.month else self.preceding(day)

    def _involved(self, original: date, target: date) -> tuple[Holiday, ...]:
        """Holidays on the days the roll skipped, or the holiday the date stayed on."""
        if original == target:
            name = self.holiday(original)
            return () if name is None else (Holiday(original, name),)
        if target > original:
            return self.holidays_between(original, target - timedelta(days=1))
        return self.holidays_between(target + timedelta(days=1), original)
