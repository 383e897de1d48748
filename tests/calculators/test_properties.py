"""Properties that hold for every input (Hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from calculators import (
    CalculatorError,
    Closure,
    InvalidAmount,
    InvalidTerms,
    Method,
    Roll,
    compute_due_date,
    currency,
    parse_amount,
    parse_terms,
    prorate_change,
    prorate_go_live,
    schedule,
)
from calculators.business_days import BusinessCalendar
from calculators.dates import days_in_month
from tests.calculators.conftest import TZ

USD = currency("USD")
ZA = BusinessCalendar.for_country("ZA")

fees = st.integers(min_value=0, max_value=1_000_000_000).map(lambda cents: Decimal(cents) / 100)
go_lives = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
methods = st.sampled_from(list(Method))
sign_offs = st.datetimes(min_value=datetime(1913, 1, 1), max_value=datetime(2088, 12, 31),
                         timezones=st.just(TZ))
invoice_dates = st.dates(min_value=date(1913, 1, 1), max_value=date(2088, 12, 31))


@given(fee=fees, go_live=go_lives, method=methods)
def test_credit_is_between_zero_and_the_fee(fee, go_live, method):
    result = prorate_go_live(fee, go_live, currency=USD, method=method)
    assert 0 <= result.credit <= fee
    assert result.credit + result.first_invoice_total == fee
    assert result.first_invoice_date.day == 1
    assert result.first_invoice_date > go_live


@given(fee=fees, go_live=go_lives, method=methods, later=st.integers(1, 30))
def test_credit_never_decreases_with_the_go_live_day(fee, go_live, method, later):
    other = go_live + timedelta(days=later)
    if other.month != go_live.month or other.year != go_live.year:
        other = go_live
    first = prorate_go_live(fee, go_live, currency=USD, method=method)
    second = prorate_go_live(fee, other, currency=USD, method=method)
    assert first.credit <= second.credit


@given(fee=fees, go_live=go_lives)
def test_rounding_happens_once_at_the_end(fee, go_live):
    result = prorate_go_live(fee, go_live, currency=USD)
    exact = fee * result.days_before_go_live / result.days_in_month
    assert abs(result.credit - exact) <= Decimal("0.005")


@given(signed_off=sign_offs, kind=st.sampled_from(["eft", "weekly_retainer", "debit_order"]))
def test_the_invoice_period_contains_the_sign_off(account_types, signed_off, kind):
    result = compute_due_date(account_type=account_types[kind], completed=signed_off,
                              calendar=ZA, tz=TZ)
    assert result.previous_event is not None and result.event is not None
    assert result.previous_event.at < signed_off <= result.event.at
    assert result.due.invoice_date == result.event.at.date()
    assert result.due.due >= result.due.invoice_date
    assert result.due.is_business_day or kind != "debit_order"


_roll = st.sampled_from(["", " roll following", " roll preceding", " roll modified_following",
                         " roll none"])
_cutoff = st.one_of(st.just(""), st.integers(1, 31).map(lambda c: f" cutoff {c}"))
expressions = st.one_of(
    st.builds(lambda n, r: f"net {n}{r}", st.integers(0, 3650), _roll),
    st.builds(lambda n, c, r: f"eom {n}{c}{r}", st.integers(0, 3650), _cutoff, _roll),
    st.builds(lambda day, m, c, r: f"day {day} month +{m}{c}{r}",
              st.one_of(st.integers(1, 31).map(str), st.just("last")), st.integers(1, 12),
              _cutoff, _roll),
)


@given(expression=expressions, invoice=invoice_dates)
def test_the_due_date_is_never_before_the_invoice_date(expression, invoice):
    terms = parse_terms(expression)
    assert parse_terms(terms.expression) == terms
    result = compute_due_date(terms=terms, invoice_date=invoice, calendar=ZA, tz=TZ)
    assert result.due.due >= invoice
    assert result.due.unadjusted >= invoice
    if terms.rule.roll.value != "none":
        assert result.due.is_business_day


@given(text=st.text(max_size=120))
def test_the_terms_parser_only_ever_says_what_is_wrong(text):
    try:
        parse_terms(text)
    except InvalidTerms as exc:
        assert exc.field == "terms" and exc.message
    except CalculatorError as exc:  # pragma: no cover - would be a bug
        raise AssertionError(f"unexpected {type(exc).__name__}") from exc


@given(text=st.one_of(st.text(max_size=40), st.from_regex(r"[0-9,.\-eE]{1,20}",
                                                           fullmatch=True)))
def test_amount_parsing_accepts_only_sane_amounts(text):
    try:
        amount = parse_amount(text, field="monthly_fee", money=USD)
    except InvalidAmount as exc:
        assert exc.field == "monthly_fee"
        return
    assert amount.is_finite()
    assert 0 <= amount <= 10_000_000
    assert -amount.as_tuple().exponent <= 2


# ---------------------------------------------------------------- issue 15

percents = st.lists(st.integers(1, 9_999), min_size=1, max_size=4).map(
    lambda parts: [Decimal(part) / 100 for part in parts])


@st.composite
def instalment_terms(draw: st.DrawFn) -> str:
    """Instalment terms whose percentages (2 decimals) sum to exactly 100."""
    parts = draw(percents)
    total = sum(parts, Decimal(0))
    if total >= 100:
        parts = [Decimal(1)]
        total = Decimal(1)
    parts.append(Decimal(100) - total)
    short_rules = st.one_of(
        st.builds(lambda n, r: f"net {n}{r}", st.integers(0, 400), _roll),
        st.builds(lambda n: f"eom {n}", st.integers(0, 90)),
        st.builds(lambda day, p: f"day {day} month +1 paydays {p}", st.integers(1, 31),
                  st.integers(1, 31)),
    )
    rules = draw(st.lists(short_rules, min_size=len(parts), max_size=len(parts)))
    return "; ".join(f"{percent}% {rule}" for percent, rule in zip(parts, rules, strict=True))


@given(expression=instalment_terms(), invoice=invoice_dates,
       amount=st.integers(min_value=1_000, max_value=1_000_000_000).map(
           lambda cents: Decimal(cents) / 100))
def test_instalment_amounts_sum_to_the_amount(expression, invoice, amount):
    terms = parse_terms(expression)
    plan = schedule(terms, invoice, ZA, amount=amount, currency=USD)
    shares = [part.amount for part in plan.instalments]
    assert sum(shares, Decimal(0)) == amount
    assert all(share is not None and share >= 0 for share in shares)
    assert plan.final.due == max(part.due.due for part in plan.instalments)
    assert parse_terms(terms.expression) == terms


change_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(fee=fees, change_date=change_dates, method=methods)
def test_a_change_to_the_same_fee_nets_zero(fee, change_date, method):
    result = prorate_change(fee, fee, change_date, currency=USD, method=method)
    assert result.net == 0
    assert result.credit_unused == result.charge_remaining


@given(fee=fees, month=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 1)),
       method=methods)
def test_a_cancellation_on_the_first_credits_the_whole_month(fee, month, method):
    result = prorate_change(fee, Decimal(0), month.replace(day=1), currency=USD, method=method)
    assert result.credit_unused == fee
    assert result.net == -fee
    assert result.days_remaining == result.days_in_month


@given(old=fees, new=fees, change_date=change_dates, method=methods)
def test_fee_change_figures_are_bounded(old, new, change_date, method):
    result = prorate_change(old, new, change_date, currency=USD, method=method)
    assert 0 <= result.credit_unused <= old and 0 <= result.charge_remaining <= new
    assert result.net == result.charge_remaining - result.credit_unused
    assert 1 <= result.days_remaining <= result.days_in_month
    if method is Method.ACTUAL:
        assert result.days_in_month == days_in_month(change_date.year, change_date.month)


@st.composite
def closures(draw: st.DrawFn) -> tuple[Closure, ...]:
    """Up to three non-overlapping closures of 1 to 42 days within 1990-2080."""
    found: list[Closure] = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 1, 1)))
        end = start + timedelta(days=draw(st.integers(0, 41)))
        closure = Closure(start=start, end=end, name="Closed")
        if all(closure.end < other.start or other.end < closure.start for other in found):
            found.append(closure)
    return tuple(found)


@given(shut=closures(), day=st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31)),
       roll=st.sampled_from([Roll.FOLLOWING, Roll.PRECEDING, Roll.MODIFIED_FOLLOWING]))
def test_closures_only_move_dates_onto_business_days(shut, day, roll):
    closed = ZA.with_closures(shut)
    moved = closed.roll(day, roll).date
    assert closed.is_business_day(moved)
    if roll is Roll.FOLLOWING:
        assert moved >= day and moved >= ZA.roll(day, roll).date
    if roll is Roll.PRECEDING:
        assert moved <= day and moved <= ZA.roll(day, roll).date
    if closed.is_business_day(day):
        assert moved == day
