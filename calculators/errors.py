"""Errors raised by the calculators: each names the input field and the value at fault.

Every error is a ``ValueError`` subclass carrying ``field`` (the name of the input, as the
API's query parameter spells it), ``value`` (what was given) and a message a person can act
on. The API, the CLI and the MkDocs hook turn them into their own kind of answer in one place.
"""

from __future__ import annotations


class CalculatorError(ValueError):
    """A calculator input is invalid; ``field`` and ``value`` say which and what."""

    code = "invalid_input"

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidAmount(CalculatorError):
    """An amount of money is malformed, negative, too precise or too large."""

    code = "invalid_amount"


class InvalidDate(CalculatorError):
    """A date or date-time is malformed, impossible or outside the supported range."""

    code = "invalid_date"


class InvalidChoice(CalculatorError):
    """A value is not one of the accepted words (a proration method, for example)."""

    code = "invalid_choice"


class InvalidTerms(CalculatorError):
    """A payment-terms expression does not follow the terms language."""

    code = "invalid_terms"


class UnknownAccountType(CalculatorError):
    """The account type is not in the account types file."""

    code = "unknown_account_type"


class MissingInput(CalculatorError):
    """A required input is missing or empty."""

    code = "missing_input"


class ConflictingInputs(CalculatorError):
    """Two inputs that exclude each other were both given."""

    code = "conflicting_inputs"


class SettingsError(CalculatorError):
    """The calculators' own settings are unusable (currency, country, account types file).

    This is a configuration problem, not bad user input: callers report it at start-up.
    """

    code = "invalid_settings"
