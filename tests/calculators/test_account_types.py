"""Account types: the shipped defaults and the problems a hand-edited file can have."""

from __future__ import annotations

from datetime import time

import pytest

from calculators import (
    MonthlyClose,
    Roll,
    SettingsError,
    UnknownAccountType,
    WeeklyRun,
    get_account_type,
    parse_account_types,
)


def test_defaults(account_types):
    assert list(account_types) == ["eft", "weekly_retainer", "debit_order"]
    for name in ("eft", "weekly_retainer"):
        kind = account_types[name]
        assert kind.rule == WeeklyRun(weekday=4, at=time(14, 0), roll=Roll.PRECEDING)
        assert kind.terms.expression == "net 14"
    debit = account_types["debit_order"]
    assert debit.rule == MonthlyClose(day=19, at=time(17, 0), roll=Roll.NONE)
    assert debit.terms.expression == "day 1 month +1 roll following"
    assert debit.label == "Debit order"


def test_described_for_people(account_types):
    assert account_types["eft"].describe_rule() == (
        "weekly billing run on Friday at 14:00; on a day that is not a business day the run "
        "moves to the previous business day"
    )
    assert account_types["debit_order"].describe_rule() == (
        "monthly close on day 19 at 17:00, whatever the weekday"
    )
    body = account_types["debit_order"].as_dict()
    assert body["invoicing"] == {"kind": "monthly", "day": 19, "time": "17:00", "roll": "none"}


GOOD = '''
[monthly_end]
invoicing = "monthly"
day = 31
time = "23:00"
roll = "preceding"
terms = "net 7"
'''


def test_a_type_of_ones_own():
    kind = parse_account_types(GOOD)["monthly_end"]
    assert kind.label == "Monthly end"
    assert kind.rule == MonthlyClose(day=31, at=time(23, 0), roll=Roll.PRECEDING)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.toml: defines no account types"),
        ("[eft", "f.toml: not valid TOML"),
        ("eft = 1", "f.toml: [eft] must be a table of settings"),
        ("[Bad-Name]\ninvoicing='weekly'", "[Bad-Name] name must be lowercase"),
        ("[x]\ninvoicing='daily'", "[x] invoicing must be \"weekly\" or \"monthly\""),
        ("[x]\ninvoicing='weekly'\nweekday='friday'\ntime='14:00'\nterms='net 1'\nday=3",
         "[x] unknown setting 'day' for weekly invoicing"),
        ("[x]\ninvoicing='weekly'\nweekday='fri'\ntime='14:00'\nterms='net 1'",
         "[x] weekday must be a day name"),
        ("[x]\ninvoicing='weekly'\nweekday='friday'\ntime='25:00'\nterms='net 1'",
         "[x] time must be a local time"),
        ("[x]\ninvoicing='weekly'\nweekday='friday'\ntime='14:00'\nterms='net 1'\nroll='back'",
         "[x] roll must be one of"),
        ("[x]\ninvoicing='monthly'\nday=0\ntime='14:00'\nterms='net 1'",
         "[x] day must be a whole number from 1 to 31"),
        ("[x]\ninvoicing='monthly'\nday=true\ntime='14:00'\nterms='net 1'",
         "[x] day must be a whole number from 1 to 31"),
        ("[x]\ninvoicing='monthly'\nday=19\ntime='14:00'",
         "[x] terms must be text"),
        ("[x]\ninvoicing='monthly'\nday=19\ntime='14:00'\nterms='net 14 cutoff 3'",
         "[x] terms: 'cutoff' only applies to 'eom' and 'day' terms, not to 'net'"),
    ],
)
def test_problems_name_the_type_and_the_setting(text, message):
    with pytest.raises(SettingsError) as caught:
        parse_account_types(text, source="f.toml")
    assert message in str(caught.value)
    assert caught.value.field == "ACCOUNT_TYPES_FILE"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("eft", None),
        (" eft ", None),
        ("cash", "unknown account_type 'cash': expected one of eft, weekly_retainer, "
                 "debit_order"),
        ("EFT", "unknown account_type 'EFT': expected one of eft, weekly_retainer, debit_order"),
        ("", "account_type is empty: expected one of eft, weekly_retainer, debit_order"),
    ],
)
def test_get_account_type(account_types, name, message):
    if message is None:
        assert get_account_type(account_types, name, field="account_type").name == "eft"
        return
    with pytest.raises(UnknownAccountType) as caught:
        get_account_type(account_types, name, field="account_type")
    assert str(caught.value) == message
    assert caught.value.field == "account_type"
