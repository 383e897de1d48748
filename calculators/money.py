"""Money: amounts parsed from text into ``Decimal``, rounded once, half-up, to a currency.

Floats never enter: amounts arrive as text (or as ``Decimal``/``int`` from other calculators)
and every computation multiplies before it divides, so rounding happens exactly once at the
end, to the minor unit of the billing currency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from calculators.errors import InvalidAmount, SettingsError

MAX_AMOUNT = Decimal("10000000")
"""The largest amount the calculators accept (10,000,000 in the billing currency)."""

MAX_INPUT_DECIMALS = 2
"""Amounts are typed with at most two decimal places (fewer when the currency has fewer)."""

_MAX_TEXT = 32
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_LOOKS_NUMERIC = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?", re.ASCII)

# ISO 4217 minor units of the currencies a service business is likely to bill in.
MINOR_UNITS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "BWP": 2, "CAD": 2, "CHF": 2, "CLP": 0,
    "CNY": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "GHS": 2, "HKD": 2,
    "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2,
    "KRW": 0, "KWD": 3, "LSL": 2, "MUR": 2, "MXN": 2, "MZN": 2, "NAD": 2, "NGN": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "SAR": 2, "SEK": 2, "SGD": 2,
    "SZL": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "TZS": 2, "UGX": 0, "USD": 2,
    "VND": 0, "XAF": 0, "XOF": 0, "ZAR": 2, "ZMW": 2,
}

_SYMBOLS: dict[str, str] = {
    "USD": "$", "ZAR": "R", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$",
    "NZD": "NZ$", "INR": "₹",
}


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency: its code and how many decimal places its minor unit has."""

    code: str
    minor_unit: int

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of this currency (``0.01`` for USD, ``1`` for JPY)."""
        return Decimal(1).scaleb(-self.minor_unit)

    @property
    def input_decimals(self) -> int:
        """How many decimal places a typed amount may have in this currency."""
        return min(MAX_INPUT_DECIMALS, self.minor_unit)


def currency(code: str) -> Currency:
    """The currency for an ISO 4217 code; a code not in the table is a settings error."""
    normal = code.strip().upper()
    if normal not in MINOR_UNITS:
        known = ", ".join(sorted(MINOR_UNITS))
        raise SettingsError(
            "BILLING_CURRENCY", code, f"unknown currency {code!r}: expected one of {known}"
        )
    return Currency(normal, MINOR_UNITS[normal])


def to_decimal(value: Decimal | int | str) -> Decimal:
    """A ``Decimal`` from a ``Decimal``, an ``int`` or a numeric string; floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not be a {type(value).__name__}: pass a str or Decimal")
    if isinstance(value, Decimal):
        return value
    return Decimal(value)


def quantize_money(value: Decimal, money: Currency, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round ``value`` once to the currency's minor unit (half-up unless told otherwise)."""
    with localcontext() as context:
        context.prec = 60
        return to_decimal(value).quantize(money.quantum, rounding=rounding)


def format_amount(value: Decimal, money: Currency) -> str:
    """The amount as the API writes it: plain digits with the minor unit ("387.10")."""
    return f"{quantize_money(value, money):f}"


def display_amount(value: Decimal, money: Currency) -> str:
    """The amount as a person reads it: symbol and thousands separators ("$1,354.84")."""
    places = money.minor_unit
    text = f"{quantize_money(value, money):,.{places}f}"
    symbol = _SYMBOLS.get(money.code)
    return f"{symbol}{text}" if symbol else f"{money.code} {text}"


def parse_amount(text: str, *, field: str, money: Currency) -> Decimal:
    """Parse a typed amount ("2000", "2000.5", "2,000.00") into an exact ``Decimal``.

    Refuses negatives, NaN and infinities, exponents, non-ASCII digits, commas that are not
    thousands separators, more decimal places than allowed, and amounts above MAX_AMOUNT.
    """
    if not isinstance(text, str):
        raise TypeError("parse_amount expects the amount as text")
    raw = text.strip()
    if not raw:
        raise InvalidAmount(field, text, f"{field} is empty: give an amount such as 2000.00")
    if len(raw) > _MAX_TEXT:
        raise InvalidAmount(
            field, text, f"{field} is too long: give an amount of at most 10,000,000"
        )
    if raw.startswith("-"):
        raise InvalidAmount(field, text, f"{field} must not be negative")
    _check_shape(raw, text, field)
    amount = Decimal(raw.replace(",", ""))
    _check_precision(amount, text, field, money)
    if amount > MAX_AMOUNT:
        raise InvalidAmount(field, text, f"{field} must be at most 10,000,000")
    return amount


def _check_shape(raw: str, text: str, field: str) -> None:
    if _PLAIN.fullmatch(raw) or _GROUPED.fullmatch(raw):
        return
    if _LOOKS_NUMERIC.fullmatch(raw) and "," in raw:
        message = f"{field} has misplaced commas: use them only between groups of three digits"
    else:
        message = (
            f"{field} must be an amount such as 2000, 2000.50 or 2,000.00 "
            "(digits, optional thousands commas, at most 2 decimals)"
        )
    raise InvalidAmount(field, text, message)


def _check_precision(amount: Decimal, text: str, field: str, money: Currency) -> None:
    try:
        exponent = int(amount.as_tuple().exponent)
    except (TypeError, InvalidOperation):  # pragma: no cover - shapes above are finite
        raise InvalidAmount(field, text, f"{field} is not a finite amount") from None
    allowed = money.input_decimals
    if -exponent > allowed:
        if allowed == 0:
            detail = f"{money.code} amounts have no decimal places"
        else:
            detail = f"at most {allowed} decimal places"
        raise InvalidAmount(field, text, f"{field} has too many decimal places: {detail}")


def percent_of(amount: Decimal, percent: Decimal, money: Currency) -> Decimal:
    """``percent`` % of ``amount``, multiplied first and rounded once, half-up."""
    with localcontext() as context:
        context.prec = 60
        return quantize_money(to_decimal(amount) * percent / 100, money)


def split_amount(amount: Decimal, percents: Sequence[Decimal], money: Currency, *,
                 field: str = "amount") -> tuple[Decimal, ...]:
    """Split ``amount`` by ``percents`` (summing to 100): each part rounded half-up, the last
    taking the remainder so the parts add up to the amount exactly.

    An amount so small that the rounded parts leave a negative remainder is refused.
    """
    parts = [percent_of(amount, percent, money) for percent in percents[:-1]]
    last = quantize_money(to_decimal(amount), money) - sum(parts, Decimal(0))
    if last < 0:
        raise InvalidAmount(
            field, format_amount(amount, money),
            f"{field} {format_amount(amount, money)} is too small to split into "
            f"{len(percents)} instalments: the last one would be negative",
        )
    return (*parts, last)
