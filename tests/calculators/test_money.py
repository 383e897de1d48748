"""Money: parsing typed amounts, rounding once half-up, formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from calculators import InvalidAmount, SettingsError, currency, parse_amount
from calculators.money import display_amount, format_amount, quantize_money, to_decimal


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2000", Decimal("2000")),
        ("2000.5", Decimal("2000.5")),
        ("2000.00", Decimal("2000.00")),
        ("2,000.00", Decimal("2000.00")),
        ("10,000,000", Decimal("10000000")),
        ("10000000.00", Decimal("10000000.00")),
        ("0", Decimal("0")),
        ("0.01", Decimal("0.01")),
        (" 1999.95 ", Decimal("1999.95")),
        ("1,999.95", Decimal("1999.95")),
    ],
)
def test_parse_amount_accepts(usd, text, amount):
    assert parse_amount(text, field="monthly_fee", money=usd) == amount


NOT_AN_AMOUNT = (
    "monthly_fee must be an amount such as 2000, 2000.50 or 2,000.00 "
    "(digits, optional thousands commas, at most 2 decimals)"
)
COMMAS = "monthly_fee has misplaced commas: use them only between groups of three digits"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "monthly_fee is empty: give an amount such as 2000.00"),
        ("-1", "monthly_fee must not be negative"),
        ("-0.00", "monthly_fee must not be negative"),
        ("2000.001", "monthly_fee has too many decimal places: at most 2 decimal places"),
        ("10000000.01", "monthly_fee must be at most 10,000,000"),
        ("20,000,000", "monthly_fee must be at most 10,000,000"),
        ("9" * 5000, "monthly_fee is too long: give an amount of at most 10,000,000"),
        ("NaN", NOT_AN_AMOUNT),
        ("Infinity", NOT_AN_AMOUNT),
        ("inf", NOT_AN_AMOUNT),
        ("1e309", NOT_AN_AMOUNT),
        ("1E3", NOT_AN_AMOUNT),
        ("0x10", NOT_AN_AMOUNT),
        ("２０００", NOT_AN_AMOUNT),  # full-width digits
        ("٢٠٠٠", NOT_AN_AMOUNT),  # Arabic-Indic digits
        ("$2000", NOT_AN_AMOUNT),
        ("2000.", NOT_AN_AMOUNT),
        (".5", NOT_AN_AMOUNT),
        ("2 000", NOT_AN_AMOUNT),
        ("+2000", NOT_AN_AMOUNT),
        ("20,00", COMMAS),
        ("2000,000", COMMAS),
        (",2000", NOT_AN_AMOUNT),
        ("2,000.", NOT_AN_AMOUNT),
    ],
)
def test_parse_amount_refuses(usd, text, message):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, field="monthly_fee", money=usd)
    assert caught.value.field == "monthly_fee"
    assert caught.value.value == text
    assert str(caught.value) == message


def test_parse_amount_refuses_decimals_the_currency_does_not_have():
    with pytest.raises(InvalidAmount, match="JPY amounts have no decimal places"):
        parse_amount("2000.5", field="monthly_fee", money=currency("JPY"))
    assert parse_amount("2000", field="monthly_fee", money=currency("JPY")) == 2000


def test_parse_amount_wants_text(usd):
    with pytest.raises(TypeError):
        parse_amount(2000.0, field="monthly_fee", money=usd)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.5, True])
def test_floats_never_become_money(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize(
    ("code", "value", "rounded", "text", "shown"),
    [
        ("USD", "999.975", "999.98", "999.98", "$999.98"),
        ("USD", "999.965", "999.97", "999.97", "$999.97"),
        ("USD", "1354.8387", "1354.84", "1354.84", "$1,354.84"),
        ("ZAR", "0.005", "0.01", "0.01", "R0.01"),
        ("JPY", "2500.5", "2501", "2501", "¥2,501"),
        ("KWD", "1.0005", "1.001", "1.001", "KWD 1.001"),
        ("usd", "0", "0.00", "0.00", "$0.00"),
    ],
)
def test_round_once_half_up_to_the_minor_unit(code, value, rounded, text, shown):
    money = currency(code)
    assert quantize_money(Decimal(value), money) == Decimal(rounded)
    assert format_amount(Decimal(value), money) == text
    assert display_amount(Decimal(value), money) == shown


def test_rounding_mode_is_a_keyword():
    assert quantize_money(Decimal("0.125"), currency("USD"), rounding=ROUND_HALF_EVEN) == \
        Decimal("0.12")


@pytest.mark.parametrize("code", ["XXX", "", "US", "dollars"])
def test_unknown_currency_is_a_settings_error(code):
    with pytest.raises(SettingsError) as caught:
        currency(code)
    assert caught.value.field == "BILLING_CURRENCY"
