"""The payment-terms parser: text such as ``2/10 net 30`` or ``50% net 0; 50% net 30``
becomes :class:`calculators.terms.Terms`.

The grammar is described in :mod:`calculators.terms`. The parser names the word that is
wrong and what it expected there (an :class:`InvalidTerms` error on the ``terms`` field).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from calculators.business_days import ROLL_WORDS, Roll
from calculators.errors import InvalidTerms
from calculators.terms import (
    LAST,
    MAX_DAYS,
    MAX_INSTALMENTS,
    MAX_MONTHS,
    MAX_TERMS_LENGTH,
    Discount,
    DueRule,
    Instalment,
    Terms,
    percent_text,
)

_NUMBER = re.compile(r"[0-9]{1,5}", re.ASCII)
_MONTHS = re.compile(r"\+?[0-9]{1,3}", re.ASCII)
_GLUED = re.compile(r"(net|eom|day|month|cutoff)(\+?[0-9]+)", re.ASCII)
_PERCENT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,2})?)%", re.ASCII)
_DISCOUNT = re.compile(r"([0-9]{1,2}(?:\.[0-9]{1,2})?)/([0-9]{1,4})", re.ASCII)
_PAYDAYS = re.compile(r"[0-9]{1,2}(?:,[0-9]{1,2})*", re.ASCII)
_COMMA = re.compile(r"\s*,\s*")
_HUNDRED = Decimal(100)

_START = "expected 'net N', 'eom N' or 'day D month +M'"


class _Words:
    """The words of one rule, consumed left to right."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.position = 0

    def next(self) -> str | None:
        if self.position >= len(self.words):
            return None
        word = self.words[self.position]
        self.position += 1
        return word

    def done_so_far(self) -> str:
        return " ".join(self.words[: self.position])


def _shown(word: str) -> str:
    return repr(word if len(word) <= 24 else word[:21] + "...")


def _fail(text: str, message: str) -> InvalidTerms:
    return InvalidTerms("terms", text, message)


def _number(text: str, word: str | None, after: str, low: int, high: int, what: str) -> int:
    expected = f"'{after}' must be followed by {what} from {low} to {high}"
    if word is None:
        raise _fail(text, expected)
    pattern = _MONTHS if after == "month" else _NUMBER
    if pattern.fullmatch(word) is None or not low <= int(word) <= high:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    return int(word)


def _words(part: str) -> list[str]:
    """The words of a part, lower-cased, with a number glued to its keyword split off."""
    words: list[str] = []
    for word in _COMMA.sub(",", part.strip().lower()).split():
        glued = _GLUED.fullmatch(word)
        words.extend(glued.groups() if glued else (word,))
    return words


def parse_terms(text: str) -> Terms:
    """Parse a payment-terms expression; :class:`InvalidTerms` names what is wrong."""
    if not isinstance(text, str):
        raise TypeError("parse_terms expects text")
    if len(text) > MAX_TERMS_LENGTH:
        raise _fail(text, f"terms is too long: at most {MAX_TERMS_LENGTH} characters")
    parts = text.split(";")
    if len(parts) == 1 and not _starts_with_percent(parts[0]):
        return _parse_single(text, parts[0])
    return _parse_instalments(text, parts)


def _starts_with_percent(part: str) -> bool:
    words = part.split()
    return bool(words) and words[0].endswith("%")


def _parse_single(text: str, part: str) -> Terms:
    words = _Words(_words(part))
    first = words.next()
    if first is None:
        raise _fail(text, f"terms is empty: {_START}")
    discount = _DISCOUNT.fullmatch(first)
    if discount is None:
        words.position = 0
        return Terms.single(_parse_rule(text, words))
    offer = _discount(text, first, discount)
    if words.words[1:2] != ["net"]:
        raise _fail(text, f"an early-payment discount {_shown(first)} must be followed by "
                          "'net N' (for example '2/10 net 30')")
    return Terms.single(_parse_rule(text, words), offer)


def _discount(text: str, word: str, match: re.Match[str]) -> Discount:
    percent, days = Decimal(match.group(1)), int(match.group(2))
    if not Decimal(0) < percent < _HUNDRED or days > MAX_DAYS:
        raise _fail(text, f"the discount {_shown(word)} must be 'D/E': a percentage above 0 and "
                          f"below 100 (at most 2 decimals), then 0 to {MAX_DAYS} days")
    return Discount(percent, days)


def _parse_instalments(text: str, parts: list[str]) -> Terms:
    if len(parts) > MAX_INSTALMENTS:
        raise _fail(text, f"at most {MAX_INSTALMENTS} instalments")
    instalments = tuple(_instalment(text, part, number)
                        for number, part in enumerate(parts, start=1))
    total = sum((part.percent for part in instalments), Decimal(0))
    if total != _HUNDRED:
        raise _fail(text, f"the instalment percentages add up to {percent_text(total)}, "
                          "not 100")
    if len(instalments) == 1:
        return Terms.single(instalments[0].rule)
    return Terms(instalments)


def _instalment(text: str, part: str, number: int) -> Instalment:
    words = _Words(_words(part))
    first = words.next()
    example = "each instalment is 'P% TERMS', such as '50% net 30'"
    if first is None:
        raise _fail(text, f"instalment {number} is empty: {example}")
    match = _PERCENT.fullmatch(first)
    if match is None:
        if _DISCOUNT.fullmatch(first):
            raise _fail(text, "an early-payment discount cannot be combined with instalments")
        raise _fail(text, f"instalment {number} starts with {_shown(first)}: {example}, with a "
                          "percentage of at most 2 decimals")
    percent = Decimal(match.group(1))
    if not Decimal(0) < percent <= _HUNDRED:
        raise _fail(text, f"instalment {number} is {percent_text(percent)}%: each must be "
                          "above 0 and at most 100")
    if words.words[1:] and _DISCOUNT.fullmatch(words.words[1]):
        raise _fail(text, "an early-payment discount cannot be combined with instalments")
    try:
        rule = _parse_rule(text, words)
    except InvalidTerms as exc:
        raise _fail(text, f"instalment {number}: {exc.message}") from None
    return Instalment(percent, rule)


def _parse_rule(text: str, words: _Words) -> DueRule:
    first = words.next()
    if first is None:
        raise _fail(text, f"terms is empty: {_START}")
    if first in {"net", "eom"}:
        days = _number(text, words.next(), first, 0, MAX_DAYS, "a number of days")
        base = DueRule(kind="net" if first == "net" else "eom", days=days)
    elif first == "day":
        base = _parse_day(text, words)
    else:
        raise _fail(text, f"unknown terms {_shown(first)}: {_START}")
    return _parse_options(text, words, base)


def _parse_day(text: str, words: _Words) -> DueRule:
    word = words.next()
    day: int | Literal["last"]
    if word == LAST:
        day = LAST
    else:
        day = _number(text, word, "day", 1, 31, "a day of the month (or 'last')")
    after = words.done_so_far()
    word = words.next()
    if word != "month":
        detail = "" if word is None else f", not {_shown(word)}"
        raise _fail(text, f"expected 'month +M' after '{after}'{detail}")
    months = _number(text, words.next(), "month", 1, MAX_MONTHS, "a number of months (+1)")
    return DueRule(kind="day", day=day, months=months)


def _parse_options(text: str, words: _Words, rule: DueRule) -> DueRule:
    cutoff: int | None = None
    paydays: tuple[int, ...] = ()
    roll = Roll.NONE
    seen: set[str] = set()
    while True:
        before = words.done_so_far()
        word = words.next()
        if word is None:
            break
        if word in seen:
            raise _fail(text, f"'{word}' is given twice")
        seen.add(word)
        if word == "cutoff" and rule.kind == "net":
            raise _fail(text, "'cutoff' only applies to 'eom' and 'day' terms, not to 'net'")
        if word == "cutoff":
            cutoff = _number(text, words.next(), "cutoff", 1, 31, "a day of the month")
        elif word == "paydays":
            paydays = _parse_paydays(text, words.next())
        elif word == "roll":
            roll = _parse_roll(text, words.next())
        else:
            allowed = "'paydays A,B' or 'roll R'" if rule.kind == "net" else (
                "'cutoff C', 'paydays A,B' or 'roll R'")
            raise _fail(text, f"unexpected {_shown(word)} after '{before}': expected {allowed}")
    return DueRule(kind=rule.kind, days=rule.days, day=rule.day, months=rule.months,
                   cutoff=cutoff, roll=roll, paydays=paydays)


def _parse_paydays(text: str, word: str | None) -> tuple[int, ...]:
    expected = ("'paydays' must be followed by days of the month from 1 to 31, separated by "
                "commas (for example 'paydays 5,20')")
    if word is None:
        raise _fail(text, expected)
    if _PAYDAYS.fullmatch(word) is None:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    days = [int(part) for part in word.split(",")]
    for day in days:
        if not 1 <= day <= 31:
            raise _fail(text, f"{expected}, not {day}")
    return tuple(sorted(set(days)))


def _parse_roll(text: str, word: str | None) -> Roll:
    expected = "'roll' must be followed by " + ", ".join(ROLL_WORDS[:-1]) + " or none"
    if word is None:
        raise _fail(text, expected)
    if word not in ROLL_WORDS:
        raise _fail(text, f"{expected}, not {_shown(word)}")
    return Roll(word)
