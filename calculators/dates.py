"""Dates for the calculators: strict ISO 8601 parsing, month arithmetic, readable formats.

Parsing accepts exactly ``YYYY-MM-DD`` for dates and ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]``
with an optional ``Z`` or ``±HH:MM`` offset for date-times; a date-time without an offset is
local time in the billing time zone. Month arithmetic always counts from the anchor month and
clamps the day to the target month's length.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from calculators.errors import InvalidDate

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
"""Dates outside this range are refused as inputs (they are surely typing mistakes)."""

_MAX_TEXT = 40
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def days_in_month(year: int, month: int) -> int:
    """How many days the month has (28 to 31)."""
    return _stdlib_calendar.monthrange(year, month)[1]


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """The (year, month) ``months`` after the given month (negative goes back)."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def clamped_date(year: int, month: int, day: int) -> date:
    """``date(year, month, day)`` with the day clamped to the month's last day."""
    return date(year, month, min(day, days_in_month(year, month)))


def month_end(year: int, month: int) -> date:
    """The last day of the month."""
    return date(year, month, days_in_month(year, month))


def _too_long(text: str, field: str, example: str) -> InvalidDate:
    return InvalidDate(field, text, f"{field} is too long: expected a value like {example}")


Bounds = tuple[date, date]
"""The first and last date an input may be, with the reason shown after the range."""
DEFAULT_BOUNDS: Bounds = (MIN_DATE, MAX_DATE)


def _check_range(day: date, text: str, field: str, bounds: Bounds, why: str) -> None:
    low, high = bounds
    if not low <= day <= high:
        raise InvalidDate(
            field, text, f"{field} must be between {low.isoformat()} and {high.isoformat()}"
            + (f" ({why})" if why else "")
        )


def _real_date(year: str, month: str, day: str, text: str, field: str,
               bounds: Bounds = DEFAULT_BOUNDS, why: str = "") -> date:
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidDate(field, text, f"{field} is not a real calendar date: {text}") from None
    _check_range(value, text, field, bounds, why)
    return value


def parse_date(text: str, *, field: str, bounds: Bounds = DEFAULT_BOUNDS, why: str = "") -> date:
    """An ISO date ``YYYY-MM-DD`` within ``bounds`` (MIN_DATE to MAX_DATE unless narrower;
    ``why`` says where a narrower range comes from, in the message)."""
    raw = text.strip()
    if not raw:
        raise InvalidDate(field, text, f"{field} is empty: expected a date like 2026-01-07")
    if len(raw) > _MAX_TEXT:
        raise _too_long(text, field, "2026-01-07")
    match = _DATE.fullmatch(raw)
    if match is None:
        raise InvalidDate(field, text, f"{field} must be a date like 2026-01-07 (YYYY-MM-DD)")
    year, month, day = match.groups()
    return _real_date(year, month, day, text, field, bounds, why)


def parse_month(text: str, *, field: str) -> tuple[int, int]:
    """An ISO month ``YYYY-MM`` as (year, month)."""
    raw = text.strip()
    match = _MONTH.fullmatch(raw) if len(raw) <= _MAX_TEXT else None
    if match is None:
        raise InvalidDate(field, text, f"{field} must be a month like 2026-01 (YYYY-MM)")
    value = _real_date(match.group(1), match.group(2), "01", text, field)
    return value.year, value.month


def parse_datetime(text: str, *, field: str, tz: tzinfo, bounds: Bounds = DEFAULT_BOUNDS,
                   why: str = "") -> datetime:
    """An ISO date-time, returned as an aware date-time in ``tz``.

    Without an offset the time is local time in ``tz``; ``Z`` or ``±HH:MM`` give the offset.
    ``bounds`` and ``why`` as for :func:`parse_date` (checked on the date as written).
    """
    raw = text.strip()
    example = "2026-11-18T10:00"
    if not raw:
        raise InvalidDate(field, text, f"{field} is empty: expected a date and time like {example}")
    if len(raw) > _MAX_TEXT:
        raise _too_long(text, field, example)
    match = _DATETIME.fullmatch(raw)
    if match is None:
        raise InvalidDate(
            field, text, f"{field} must be a date and time like {example} or "
            "2026-11-18T10:00+02:00 (YYYY-MM-DDTHH:MM, optional seconds and offset)"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    day_value = _real_date(year, month, day, text, field, bounds, why)
    try:
        clock = datetime(
            day_value.year, day_value.month, day_value.day, int(hour), int(minute),
            int(second or 0), int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise InvalidDate(field, text, f"{field} has an impossible time of day: {text}") from None
    return _localize(clock, offset, tz, text, field)


def _localize(clock: datetime, offset: str | None, tz: tzinfo, text: str, field: str) -> datetime:
    if offset is None:
        # Normalise through UTC so a local time in a daylight-saving gap becomes a real instant.
        return clock.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    if offset in {"Z", "z"}:
        fixed: tzinfo = UTC
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise InvalidDate(field, text, f"{field} has an impossible UTC offset: {offset}")
        sign = 1 if offset[0] == "+" else -1
        fixed = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return clock.replace(tzinfo=fixed).astimezone(tz)


def iso_datetime(moment: datetime) -> str:
    """ISO 8601 with seconds and offset: ``2026-11-20T14:00:00+02:00``."""
    return moment.isoformat(timespec="seconds")


def iso_month(year: int, month: int) -> str:
    """``2026-03``."""
    return f"{year:04d}-{month:02d}"


def human_date(day: date, *, weekday: bool = False) -> str:
    """``January 7, 2026`` (``Wednesday, January 7, 2026`` with ``weekday``)."""
    text = f"{_MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"
    return f"{_DAY_NAMES[day.weekday()]}, {text}" if weekday else text


def human_month(year: int, month: int) -> str:
    """``March 2026``."""
    return f"{_MONTH_NAMES[month - 1]} {year}"


def human_datetime(moment: datetime) -> str:
    """``Friday, November 20, 2026 at 14:00``."""
    return f"{human_date(moment.date(), weekday=True)} at {moment:%H:%M}"


def month_name(month: int) -> str:
    """``January`` for 1."""
    return _MONTH_NAMES[month - 1]


def weekday_name(weekday: int) -> str:
    """``Monday`` for 0."""
    return _DAY_NAMES[weekday]
