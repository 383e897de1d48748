"""The OpenAPI 3 description of the calculators API (``GET /api/v1/openapi.json``).

Built from the running configuration, so the account types listed are the ones the API
accepts right now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from calculators.dates import MAX_DATE, MIN_DATE
from calculators.terms import MAX_TERMS_LENGTH

AMOUNT_PATTERN = r"^ *(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})? *$"
DATE_PATTERN = r"^ *[0-9]{4}-[0-9]{2}-[0-9]{2} *$"
DATETIME_PATTERN = (
    r"^ *[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})? *$"
)
DATE_RANGE = f"from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _query(name: str, description: str, schema: dict[str, Any], *, required: bool = False,
           example: str | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": name, "in": "query", "required": required, "description": description,
        "schema": schema, "allowEmptyValue": False,
    }
    if example is not None:
        parameter["example"] = example
    return parameter


_COMMON_ERRORS = {
    "400": _error_response(
        "Bad input: a missing, malformed or out-of-range value, an unknown query parameter or "
        "a repeated one. `error.field` names the parameter."
    ),
    "414": _error_response("The query string is longer than the gate accepts."),
}


def _amount_query(name: str, description: str, *, required: bool, example: str
                  ) -> dict[str, Any]:
    return _query(name, f"{description} Digits, optional thousands commas, at most 2 "
                  "decimals, from 0 to 10,000,000.",
                  {"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": 32},
                  required=required, example=example)


def _date_query(name: str, description: str, *, example: str, required: bool = False
                ) -> dict[str, Any]:
    return _query(name, f"{description} (YYYY-MM-DD, {DATE_RANGE}).",
                  {"type": "string", "pattern": DATE_PATTERN, "maxLength": 40},
                  required=required, example=example)


_METHOD = _query("method", "How the days of the month are counted: `actual` days, or "
                 "`thirty` (every month counts 30 days).",
                 {"type": "string", "enum": ["actual", "thirty"], "default": "actual"})


def _operation(operation_id: str, summary: str, description: str,
               parameters: list[dict[str, Any]], schema: str, answer: str) -> dict[str, Any]:
    return {
        "operationId": operation_id, "summary": summary, "description": description,
        "parameters": parameters,
        "responses": {"200": _json_response(answer, schema), **_COMMON_ERRORS},
    }


def _prorate_change_operation(currency_code: str) -> dict[str, Any]:
    return _operation(
        "prorateChange", "Fee change or cancellation mid-month",
        (
            "The change day is billed at the new fee (`new_fee=0` is a cancellation). "
            "days_remaining = days in the month − day + 1 (`thirty`: 30 − min(day, 30) + 1 "
            "over 30). credit_unused = old_fee × days_remaining ÷ days and charge_remaining = "
            "new_fee × days_remaining ÷ days, each multiplied first and rounded once, half-up, "
            f"to the minor unit of {currency_code}; net = charge_remaining − credit_unused "
            "(negative: a credit note)."
        ),
        [
            _amount_query("old_fee", "The monthly fee until the change.", required=True,
                          example="2000"),
            _amount_query("new_fee", "The monthly fee from the change day (0 cancels).",
                          required=True, example="3000"),
            _date_query("change_date", "The first day billed at the new fee", required=True,
                        example="2026-03-15"),
            _METHOD,
        ],
        "FeeChange", "The fee change.",
    )


def _prorate_operation(currency_code: str) -> dict[str, Any]:
    return _operation(
        "prorateGoLive", "Go-live proration credit",
        (
            "The credit on the first recurring invoice (dated the 1st of the month after "
            "go-live) for the prepaid days before go-live. `actual`: fee × (day − 1) ÷ days in "
            "the month; `thirty`: fee × (min(day, 30) − 1) ÷ 30. Multiplied first, rounded "
            f"once, half-up, to the minor unit of {currency_code}."
        ),
        [
            _amount_query("monthly_fee", "The monthly fee.", required=True, example="2000"),
            _date_query("go_live", "The go-live date", required=True, example="2026-01-07"),
            _METHOD,
        ],
        "Proration", "The proration.",
    )


def _due_date_operation(account_types: Sequence[str]) -> dict[str, Any]:
    return _operation(
        "dueDate", "Billing run or close, invoice date and due date",
        (
            "Give exactly one of `account_type` and `terms`, and exactly one of `completed` "
            "and `invoice_date`. A sign-off lands on the first billing run or monthly close at "
            "or after it; the invoice covers (period_start, period_end] and is dated the run's "
            "local date. With `terms` and `completed` there is no invoicing rule and the "
            "invoice is dated the sign-off's local date. Fields that do not apply are null. "
            "Terms with instalments (`50% net 0; 50% net 30`) answer `instalments`, the "
            "top-level due date being the last instalment's; `2/10 net 30` answers `discount`. "
            "With `amount` both get amounts: each instalment rounded half-up, the last taking "
            "the remainder."
        ),
        [
            _query("account_type", "A client account type (see /account-types).",
                   {"type": "string", "enum": list(account_types)}, example="eft"),
            _query("terms", "Payment terms, case-insensitive: `net N`, `eom N` or "
                   "`day D month +M`, then optional `cutoff C` (eom and day only), "
                   "`paydays A,B` and `roll following|preceding|modified_following|none`; "
                   "an early-payment discount `D/E net N`; or instalments `P% TERMS; ...` "
                   "summing to 100.",
                   {"type": "string", "minLength": 1, "maxLength": MAX_TERMS_LENGTH},
                   example="eom 45"),
            _query("completed", "When the work was signed off: YYYY-MM-DDTHH:MM with optional "
                   "seconds and offset; without an offset it is local time in BILLING_TZ.",
                   {"type": "string", "pattern": DATETIME_PATTERN, "maxLength": 40},
                   example="2026-11-18T10:00"),
            _date_query("invoice_date", "The invoice date", example="2019-01-15"),
            _amount_query("amount", "The invoice amount (optional): splits the instalments and "
                          "prices the discount.", required=False, example="1000"),
        ],
        "DueDate", "The due date.",
    )


def _due_date_extras() -> dict[str, Any]:
    nullable_money = {"type": ["string", "null"], "pattern": r"^[0-9]+(?:\.[0-9]+)?$"}
    percent = {"type": "string", "pattern": r"^[0-9]+(?:\.[0-9]+)?$"}
    iso_date = {"type": "string", "format": "date"}
    instalment = {
        "type": "object",
        "required": ["percent", "amount", "due_date", "unadjusted_due_date"],
        "properties": {"percent": percent, "amount": nullable_money, "due_date": iso_date,
                       "unadjusted_due_date": iso_date},
    }
    return {
        "amount": nullable_money,
        "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
        "instalments": {"type": ["array", "null"], "items": instalment},
        "discount": {"type": ["object", "null"], "required": ["percent", "until", "amount"],
                     "properties": {"percent": percent, "until": iso_date,
                                    "amount": nullable_money}},
    }


def _fee_change_schema(money: dict[str, Any], iso_date: dict[str, Any]) -> dict[str, Any]:
    signed = {"type": "string", "pattern": r"^-?[0-9]+(?:\.[0-9]+)?$"}
    return {
        "type": "object",
        "required": ["old_fee", "new_fee", "currency", "change_date", "method", "change",
                     "days_in_month", "days_remaining", "credit_unused", "charge_remaining",
                     "net", "next_full_month", "explanation"],
        "properties": {
            "old_fee": money, "new_fee": money,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "change_date": iso_date,
            "method": {"type": "string", "enum": ["actual", "thirty"]},
            "change": {"type": "string",
                       "enum": ["increase", "decrease", "cancellation", "none"]},
            "days_in_month": {"type": "integer", "minimum": 28, "maximum": 31},
            "days_remaining": {"type": "integer", "minimum": 1, "maximum": 31},
            "credit_unused": money, "charge_remaining": money, "net": signed,
            "next_full_month": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
            "explanation": {"type": "string"},
        },
    }


def _schemas() -> dict[str, Any]:
    money = {"type": "string", "pattern": r"^[0-9]+(?:\.[0-9]+)?$"}
    iso_date = {"type": "string", "format": "date"}
    nullable_datetime = {"type": ["string", "null"], "format": "date-time"}
    return {
        "FeeChange": _fee_change_schema(money, iso_date),
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                },
            }},
        },
        "Proration": {
            "type": "object",
            "required": ["monthly_fee", "currency", "go_live", "method", "days_in_month",
                         "days_before_go_live", "credit", "first_invoice_date",
                         "first_invoice_total", "first_full_month", "explanation"],
            "properties": {
                "monthly_fee": money,
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "go_live": iso_date,
                "method": {"type": "string", "enum": ["actual", "thirty"]},
                "days_in_month": {"type": "integer", "minimum": 28, "maximum": 31},
                "days_before_go_live": {"type": "integer", "minimum": 0, "maximum": 30},
                "credit": money,
                "first_invoice_date": iso_date,
                "first_invoice_total": money,
                "first_full_month": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
                "explanation": {"type": "string"},
            },
        },
        "Holiday": {
            "type": "object",
            "required": ["date", "name"],
            "properties": {"date": iso_date, "name": {"type": "string"}},
        },
        "DueDate": {
            "type": "object",
            "required": ["account_type", "terms", "completed", "period_start", "period_end",
                         "invoice_date", "unadjusted_due_date", "due_date",
                         "due_date_is_business_day", "holidays", "explanation", "amount",
                         "currency", "instalments", "discount"],
            "properties": {
                **_due_date_extras(),
                "account_type": {"type": ["string", "null"]},
                "terms": {"type": "string"},
                "completed": nullable_datetime,
                "period_start": nullable_datetime,
                "period_end": nullable_datetime,
                "invoice_date": iso_date,
                "unadjusted_due_date": iso_date,
                "due_date": iso_date,
                "due_date_is_business_day": {"type": "boolean"},
                "holidays": {"type": "array", "items": {"$ref": "#/components/schemas/Holiday"}},
                "explanation": {"type": "string"},
            },
        },
        "AccountTypes": {
            "type": "object",
            "required": ["account_types"],
            "properties": {"account_types": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "label", "description", "invoicing", "invoicing_rule",
                             "terms", "terms_description"],
                "properties": {
                    "name": {"type": "string"},
                    "label": {"type": "string"},
                    "description": {"type": "string"},
                    "invoicing": {"type": "object"},
                    "invoicing_rule": {"type": "string"},
                    "terms": {"type": "string"},
                    "terms_description": {"type": "string"},
                },
            }}},
        },
    }


def openapi_document(account_types: Sequence[str], currency_code: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the calculators API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SOP Portal calculators",
            "version": "1.0.0",
            "description": (
                "Go-live proration, fee changes mid-month and invoice due dates (instalments, "
                "early-payment discounts, closures), computed by the same engine as the "
                "site's worked examples and the `sop-portal` CLI. GET only; every bad input "
                "answers 400 with `{\"error\": {\"code\", \"message\", \"field\"}}`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/prorate/go-live": {"get": _prorate_operation(currency_code)},
            "/prorate/change": {"get": _prorate_change_operation(currency_code)},
            "/due-date": {"get": _due_date_operation(account_types)},
            "/account-types": {"get": {
                "operationId": "accountTypes",
                "summary": "The client account types and their terms",
                "responses": {
                    "200": _json_response("The account types.", "AccountTypes"),
                    **_COMMON_ERRORS,
                },
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {"description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}}},
                    **_COMMON_ERRORS,
                },
            }},
        },
        "components": {"schemas": _schemas()},
    }
