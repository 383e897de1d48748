"""The calculators API: answers, the error shape, query checks, and no 5xx for any input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_prorate_design_example(api):
    response = api.get("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["credit"] == "387.10"
    assert body["first_invoice_total"] == "1612.90"
    assert body["first_full_month"] == "2026-03"
    assert body["currency"] == "USD"
    assert body["explanation"]


@pytest.mark.parametrize(
    ("query", "credit"),
    [
        ("monthly_fee=2,000.00&go_live=2026-01-22", "1354.84"),
        ("monthly_fee=2000&go_live=2026-01-15", "903.23"),
        ("monthly_fee=1999.95&go_live=2027-02-15", "999.98"),
        ("monthly_fee=2000&go_live=2026-01-07&method=thirty", "400.00"),
        ("monthly_fee=2000.5&go_live=2026-01-01", "0.00"),
    ],
)
def test_prorate(api, query, credit):
    response = api.get(f"/api/v1/prorate/go-live?{query}")
    assert response.status_code == 200
    assert response.get_json()["credit"] == credit


def test_due_date_design_examples(api):
    body = api.get("/api/v1/due-date?invoice_date=2019-01-15&terms=eom+45").get_json()
    assert body["due_date"] == "2019-03-17"
    assert body["account_type"] is None and body["completed"] is None
    body = api.get("/api/v1/due-date?account_type=eft&completed=2026-11-18T10:00").get_json()
    assert body["period_end"] == "2026-11-20T14:00:00+02:00"
    assert body["due_date"] == "2026-12-04"
    body = api.get("/api/v1/due-date?account_type=eft&completed=2026-04-01T10:00").get_json()
    assert body["holidays"] == [{"date": "2026-04-03", "name": "Good Friday"}]
    encoded = api.get("/api/v1/due-date?invoice_date=2024-05-23&terms=day+31+month+%2B1")
    assert encoded.get_json()["due_date"] == "2024-06-30"


def test_account_types(api):
    body = api.get("/api/v1/account-types").get_json()
    names = [kind["name"] for kind in body["account_types"]]
    assert names == ["eft", "weekly_retainer", "debit_order"]
    assert body["account_types"][2]["terms"] == "day 1 month +1 roll following"


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/api/v1/prorate/go-live?go_live=2026-01-07", 400, "missing_input", "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=2000", 400, "missing_input", "go_live"),
        ("/api/v1/prorate/go-live?monthly_fee=&go_live=2026-01-07", 400, "invalid_amount",
         "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=NaN&go_live=2026-01-07", 400, "invalid_amount",
         "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=Infinity&go_live=2026-01-07", 400,
         "invalid_amount", "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=1e309&go_live=2026-01-07", 400, "invalid_amount",
         "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=-5&go_live=2026-01-07", 400, "invalid_amount",
         "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=0x10&go_live=2026-01-07", 400, "invalid_amount",
         "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=%EF%BC%92%EF%BC%90&go_live=2026-01-07", 400,
         "invalid_amount", "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=" + "9" * 1500 + "&go_live=2026-01-07", 400,
         "invalid_amount", "monthly_fee"),
        ("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-02-30", 400, "invalid_date",
         "go_live"),
        ("/api/v1/prorate/go-live?monthly_fee=2000&go_live=9999-12-31", 400, "invalid_date",
         "go_live"),
        ("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07&method=360", 400,
         "invalid_choice", "method"),
        ("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07&fee=1", 400,
         "unknown_parameter", "fee"),
        ("/api/v1/prorate/go-live?monthly_fee=2000&monthly_fee=3000&go_live=2026-01-07", 400,
         "repeated_parameter", "monthly_fee"),
        ("/api/v1/due-date?completed=2026-11-18T10:00", 400, "missing_input", "account_type"),
        ("/api/v1/due-date?account_type=eft", 400, "missing_input", "completed"),
        ("/api/v1/due-date?account_type=cash&completed=2026-11-18T10:00", 400,
         "unknown_account_type", "account_type"),
        ("/api/v1/due-date?account_type=eft&terms=net+1&completed=2026-11-18T10:00", 400,
         "conflicting_inputs", "terms"),
        ("/api/v1/due-date?account_type=eft&completed=2026-11-18T10:00&invoice_date=2026-11-18",
         400, "conflicting_inputs", "invoice_date"),
        ("/api/v1/due-date?terms=net+fourteen&invoice_date=2026-11-18", 400, "invalid_terms",
         "terms"),
        ("/api/v1/due-date?account_type=eft&completed=2026-11-18", 400, "invalid_date",
         "completed"),
        ("/api/v1/due-date?account_type=eft&completed=2099-11-18T10:00", 400, "invalid_date",
         "completed"),
        ("/api/v1/due-date?account_type=eft&invoice_date=1900-01-01", 400, "invalid_date",
         "invoice_date"),
        ("/api/v1/account-types?x=1", 400, "unknown_parameter", "x"),
        ("/api/v1/openapi.json?x=1", 400, "unknown_parameter", "x"),
        ("/api/v1/no-such-thing", 404, "not_found", None),
        ("/api/v1/", 404, "not_found", None),
    ],
)
def test_bad_input_gets_the_error_shape(api, path, status, code, field):
    response = api.get(path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_prorate_change_design_example(api):
    response = api.get("/api/v1/prorate/change?old_fee=2000&new_fee=3000&change_date=2026-03-15")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["credit_unused"], body["charge_remaining"], body["net"]) == (
        "1096.77", "1645.16", "548.39")
    assert (body["days_remaining"], body["next_full_month"], body["change"]) == (
        17, "2026-04", "increase")


@pytest.mark.parametrize(
    ("query", "net", "days"),
    [
        ("old_fee=2000&new_fee=0&change_date=2026-03-01", "-2000.00", 31),
        ("old_fee=2,000.00&new_fee=0&change_date=2026-03-31&method=thirty", "-66.67", 30),
        ("old_fee=10&new_fee=20&change_date=2026-04-16", "5.00", 30),
    ],
)
def test_prorate_change(api, query, net, days):
    body = api.get(f"/api/v1/prorate/change?{query}").get_json()
    assert (body["net"], body["days_in_month"]) == (net, days)


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("new_fee=0&change_date=2026-03-15", "old_fee", "missing_input"),
        ("old_fee=2000&change_date=2026-03-15", "new_fee", "missing_input"),
        ("old_fee=2000&new_fee=0", "change_date", "missing_input"),
        ("old_fee=2000&new_fee=-1&change_date=2026-03-15", "new_fee", "invalid_amount"),
        ("old_fee=NaN&new_fee=0&change_date=2026-03-15", "old_fee", "invalid_amount"),
        ("old_fee=2000&new_fee=0&change_date=2026-02-30", "change_date", "invalid_date"),
        ("old_fee=2000&new_fee=0&change_date=2026-03-15&method=360", "method",
         "invalid_choice"),
        ("old_fee=2000&new_fee=0&change_date=2026-03-15&fee=1", "fee", "unknown_parameter"),
    ],
)
def test_prorate_change_bad_input(api, query, field, code):
    response = api.get(f"/api/v1/prorate/change?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)


def test_due_date_instalments_and_discount(api):
    body = api.get("/api/v1/due-date?invoice_date=2026-03-02&amount=1,000.00&terms="
                   "50%25+net+0%3B+50%25+net+30").get_json()
    assert body["instalments"] == [
        {"percent": "50", "amount": "500.00", "due_date": "2026-03-02",
         "unadjusted_due_date": "2026-03-02"},
        {"percent": "50", "amount": "500.00", "due_date": "2026-04-01",
         "unadjusted_due_date": "2026-04-01"},
    ]
    assert (body["due_date"], body["amount"], body["discount"]) == ("2026-04-01", "1000.00",
                                                                    None)
    body = api.get("/api/v1/due-date?invoice_date=2026-03-02&amount=1000&terms=2/10+NET30"
                   ).get_json()
    assert body["terms"] == "2/10 net 30"
    assert body["discount"] == {"percent": "2", "until": "2026-03-12", "amount": "20.00"}
    body = api.get("/api/v1/due-date?invoice_date=2026-03-02&terms=2/10+net+30").get_json()
    assert body["discount"]["amount"] is None and body["amount"] is None
    assert body["instalments"] is None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("terms=50%25+net+0%3B+40%25+net+30", "terms",
         "the instalment percentages add up to 90, not 100"),
        ("terms=net+30+paydays+0", "terms", "not 0"),
        ("terms=net+30&amount=1e3", "amount", "amount must be an amount"),
        ("terms=net+30&amount=-1", "amount", "amount must not be negative"),
    ],
)
def test_due_date_new_input_errors(api, query, field, message):
    response = api.get(f"/api/v1/due-date?invoice_date=2026-03-02&{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and message in error["message"]


def test_terms_errors_say_what_is_wrong(api):
    error = api.get("/api/v1/due-date?terms=day+1+mont+1&invoice_date=2026-01-01").get_json()
    assert error["error"]["message"] == "expected 'month +M' after 'day 1', not 'mont'"


def test_an_oversized_query_string_is_414(api, calc_app):
    limit = calc_app.config["MAX_QUERY_STRING"]
    response = api.get("/api/v1/prorate/go-live?monthly_fee=" + "1" * limit)
    assert response.status_code == 414
    assert response.get_json()["error"]["code"] == "query_too_long"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get(api, method):
    response = getattr(api, method)("/api/v1/prorate/go-live?monthly_fee=1&go_live=2026-01-01")
    assert response.status_code in {400, 405}
    assert response.mimetype == "application/json"


def test_head_works(api):
    response = api.head("/api/v1/account-types")
    assert response.status_code == 200


def test_openapi_document(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/prorate/go-live", "/prorate/change", "/due-date",
                                      "/account-types", "/openapi.json"}
    enum = document["paths"]["/due-date"]["get"]["parameters"][0]["schema"]["enum"]
    assert enum == ["eft", "weekly_retainer", "debit_order"]


PATHS = ["/api/v1/prorate/go-live", "/api/v1/prorate/change", "/api/v1/due-date",
         "/api/v1/account-types", "/api/v1/openapi.json"]
NAMES = ["monthly_fee", "go_live", "method", "account_type", "terms", "completed",
         "invoice_date", "amount", "old_fee", "new_fee", "change_date", "", "x"]
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["2000", "2,000.00", "NaN", "1e309", "-0", "2026-01-07", "2026-02-29",
                     "0000-01-01", "9999-12-31T23:59+23:59", "eft", "debit_order",
                     "net 14", "day last month +12 cutoff 31 roll modified_following",
                     "50% net 0; 50% net 30", "2/10 NET30", "net 30 paydays 5,31",
                     "99.99% net 0; 0.01% net 3650", "0", "0.01", "10,000,000.00",
                     "2088-12-31T23:59", "1911-01-01", "2026-11-18T10:00-23:59"]),
)
pairs = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=5)
# A WSGI server hands the raw bytes of the query string over as latin-1 code points.
raw_queries = st.one_of(
    st.text(max_size=200).map(lambda text: text.encode("utf-8").decode("latin-1")),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    st.lists(st.sampled_from(["%", "%%", "%ff", "%C0%AF", "&", "=", "+", ";", "%00", "a=b",
                              "monthly_fee=2000", "go_live=2026-01-07", "%E2%80%AE"]),
             max_size=12).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), params=pairs)
def test_never_a_server_error_for_any_parameters(api, path, params):
    response = api.get(path, query_string=params)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    if response.status_code != 200:
        assert set(response.get_json()["error"]) == {"code", "message", "field"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), query=raw_queries)
def test_never_a_server_error_for_any_raw_query_string(api, path, query):
    response = api.get(path, environ_overrides={"QUERY_STRING": query})
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.status_code in {200, 400, 414}
