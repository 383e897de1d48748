"""Billing calculators: proration, business days and closures, payment terms and due dates.

Pure Python: no Flask, no clock, and no file access outside :mod:`calculators.settings`. The
gate's API, the CLI and the MkDocs hooks all call this package, so every figure shown anywhere
comes from one implementation.
"""

from __future__ import annotations

from calculators.account_types import (
    DEFAULT_ACCOUNT_TYPES_FILE as DEFAULT_ACCOUNT_TYPES_FILE,
)
from calculators.account_types import AccountType as AccountType
from calculators.account_types import MonthlyClose as MonthlyClose
from calculators.account_types import WeeklyRun as WeeklyRun
from calculators.account_types import get_account_type as get_account_type
from calculators.account_types import parse_account_types as parse_account_types
from calculators.billing import BillingEvent as BillingEvent
from calculators.billing import DueDateResult as DueDateResult
from calculators.billing import billing_events as billing_events
from calculators.billing import compute_due_date as compute_due_date
from calculators.business_days import BusinessCalendar as BusinessCalendar
from calculators.business_days import Closure as Closure
from calculators.business_days import Holiday as Holiday
from calculators.business_days import Roll as Roll
from calculators.closures import parse_closures as parse_closures
from calculators.dates import parse_date as parse_date
from calculators.dates import parse_datetime as parse_datetime
from calculators.dates import parse_month as parse_month
from calculators.errors import CalculatorError as CalculatorError
from calculators.errors import ConflictingInputs as ConflictingInputs
from calculators.errors import InvalidAmount as InvalidAmount
from calculators.errors import InvalidChoice as InvalidChoice
from calculators.errors import InvalidDate as InvalidDate
from calculators.errors import InvalidTerms as InvalidTerms
from calculators.errors import MissingInput as MissingInput
from calculators.errors import SettingsError as SettingsError
from calculators.errors import UnknownAccountType as UnknownAccountType
from calculators.money import Currency as Currency
from calculators.money import currency as currency
from calculators.money import display_amount as display_amount
from calculators.money import format_amount as format_amount
from calculators.money import parse_amount as parse_amount
from calculators.money import quantize_money as quantize_money
from calculators.money import split_amount as split_amount
from calculators.proration import Change as Change
from calculators.proration import FeeChange as FeeChange
from calculators.proration import Method as Method
from calculators.proration import Proration as Proration
from calculators.proration import parse_method as parse_method
from calculators.proration import prorate_change as prorate_change
from calculators.proration import prorate_go_live as prorate_go_live
from calculators.terms import Discount as Discount
from calculators.terms import DueDate as DueDate
from calculators.terms import DueRule as DueRule
from calculators.terms import Instalment as Instalment
from calculators.terms import Schedule as Schedule
from calculators.terms import Terms as Terms
from calculators.terms import due_date as due_date
from calculators.terms import schedule as schedule
from calculators.terms_parser import parse_terms as parse_terms

__all__ = [
    "DEFAULT_ACCOUNT_TYPES_FILE", "AccountType", "BillingEvent", "BusinessCalendar", "Change",
    "CalculatorError", "Closure", "ConflictingInputs", "Currency", "Discount", "DueDate",
    "DueDateResult", "DueRule", "FeeChange", "Holiday", "Instalment", "InvalidAmount",
    "InvalidChoice", "InvalidDate", "InvalidTerms", "Method", "MissingInput", "MonthlyClose",
    "Proration", "Roll", "Schedule", "SettingsError", "Terms", "UnknownAccountType",
    "WeeklyRun", "billing_events", "compute_due_date", "currency", "display_amount",
    "due_date", "format_amount", "get_account_type", "parse_account_types", "parse_amount",
    "parse_closures", "parse_date", "parse_datetime", "parse_method", "parse_month",
    "parse_terms", "prorate_change", "prorate_go_live", "quantize_money", "schedule",
    "split_amount",
]
