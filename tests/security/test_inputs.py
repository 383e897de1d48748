"""Calculators and inputs (SECURITY.md "Calculators and inputs")."""

from __future__ import annotations

import pytest

from tests.security.helpers import assert_clean

PRORATE = "/api/v1/prorate/go-live"
DUE = "/api/v1/due-date"
GOOD_FEE = {"monthly_fee": "2000", "go_live": "2026-01-07"}


def _error(response, field: str | None, status: int = 400) -> dict:
    assert_clean(response)
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "field"}
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field, body
    return body["error"]


@pytest.mark.asvs("2.2.1")
def test_asvs_2_2_1_the_good_row_works(client):
    response = client.get(PRORATE, query_string=GOOD_FEE)
    assert response.status_code == 200
    assert response.get_json()["credit"] == "387.10"


@pytest.mark.asvs("2.2.1")
@pytest.mark.parametrize(
    "fee",
    ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "1e3", "2E3",
     "\u0662\u0660\u0660\u0660",  # Arabic-Indic digits
     "\uff12\uff10\uff10\uff10",  # full-width digits
     "\u0968\u0966\u0966\u0966",  # Devanagari digits
     "0x7D0", "0b11", "0o17", "1" * 1000, "2000.001", "2000.5.5", "-1", "-0.01", "- 5",
     "10000000.01", "2,00,000", "2,0000", ",2000", "2000,", "+2000", "2_000", "", " ",
     "2000\x00", "20 00", "$2000", "2000USD", "\u200b2000", "1e-2", ".", "0.",
     "\U0001d7d0\U0001d7ce\U0001d7ce\U0001d7ce"],  # mathematical bold digits
)
def test_asvs_2_2_1_bad_amounts_are_400_naming_the_field(client, fee):
    _error(client.get(PRORATE, query_string={**GOOD_FEE, "monthly_fee": fee}), "monthly_fee")


@pytest.mark.asvs("15.3.5")
@pytest.mark.parametrize("fee", ["0", "2000", "2000.5", "2000.00", "2,000.00", "10000000",
                                 "1,999.95"])
def test_asvs_15_3_5_documented_amount_spellings_work(client, fee):
    response = client.get(PRORATE, query_string={**GOOD_FEE, "monthly_fee": fee})
    assert response.status_code == 200, response.get_data()


@pytest.mark.asvs("2.2.3")
@pytest.mark.parametrize(
    ("field", "value"),
    [("go_live", "2026-02-30"), ("go_live", "2026-13-01"), ("go_live", "2026-00-10"),
     ("go_live", "0000-01-01"), ("go_live", "10000-01-01"), ("go_live", "-2026-01-01"),
     ("go_live", "2026-1-7"), ("go_live", "20260107"), ("go_live", "2026-01-07T00:00"),
     ("go_live", "\uff12\uff10\uff12\uff16-01-07"), ("go_live", "9999-12-31x"),
     ("go_live", ""), ("go_live", "2026-02-29"), ("method", "weekly"), ("method", "")],
)
def test_asvs_2_2_3_impossible_dates_and_choices_are_400(client, field, value):
    _error(client.get(PRORATE, query_string={**GOOD_FEE, field: value}), field)


@pytest.mark.asvs("2.2.3")
@pytest.mark.parametrize(
    "query",
    [{"invoice_date": "9999-12-20", "terms": "net 30"},
     {"invoice_date": "9999-12-31", "terms": "eom 0 roll following"},
     {"invoice_date": "9999-11-15", "terms": "day 1 month +12"},
     {"invoice_date": "9999-12-30", "terms": "net 3650"},
     {"account_type": "debit_order", "completed": "9999-12-25T10:00"},
     {"account_type": "eft", "completed": "9999-12-31T23:59"},
     {"account_type": "eft", "completed": "0001-01-01T00:00"},
     {"account_type": "eft", "completed": "2026-11-18T25:00"},
     {"account_type": "eft", "completed": "2026-11-18T10:00+25:00"},
     {"account_type": "eft", "completed": "2026-11-18T10:00:60"}],
)
def test_asvs_2_2_3_extreme_dates_are_400_never_a_5xx(client, query):
    _error(client.get(DUE, query_string=query), None)


@pytest.mark.asvs("2.2.1")
@pytest.mark.parametrize(
    "terms",
    ["net 99999999999", "net 3651", "net -1", "net", "net 14 14", "eom 3651", "eom",
     "day 32 month +1", "day 0 month +1", "day 1 month +13", "day 1 month +0", "day last",
     "net 14 cutoff 5", "eom 0 cutoff 32", "eom 0 cutoff 0", "net 14 roll sideways",
     "net 14 roll", "", "   ", "net 1e3", "net \u0661\u0664", "net 14.5", "bogus 14",
     "net 14 roll following roll following", "day 31 month +1 cutoff", "net 0x10"],
)
def test_asvs_2_2_1_bad_terms_are_400_saying_what_is_wrong(client, terms):
    error = _error(client.get(DUE, query_string={"invoice_date": "2026-01-15", "terms": terms}),
                   "terms")
    assert len(error["message"]) > 10


@pytest.mark.asvs("15.3.3")
@pytest.mark.parametrize(
    ("query", "status", "field"),
    [("monthly_fee=2000&go_live=2026-01-07&extra=1", 400, "extra"),
     ("monthly_fee=2000&go_live=2026-01-07&monthly_fee=3000", 400, "monthly_fee"),
     ("monthly_fee=2000&go_live=2026-01-07&go_live=2026-01-08", 400, "go_live"),
     ("monthly_fee=2000", 400, "go_live"),
     ("go_live=2026-01-07", 400, "monthly_fee"),
     ("monthly_fee=2000&go_live=2026-01-07&" + "x" * 5000 + "=1", 414, None),
     ("monthly_fee=" + "1" * 5000 + "&go_live=2026-01-07", 414, None),
     ("monthly_fee=%FF%FE&go_live=2026-01-07", 400, "monthly_fee")],
)
def test_asvs_15_3_3_unknown_repeated_and_oversized_parameters(client, query, status, field):
    _error(client.get(f"{PRORATE}?{query}"), field, status)


@pytest.mark.asvs("15.3.3")
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_asvs_15_3_3_only_get_is_accepted(client, method):
    response = client.open(PRORATE, method=method, query_string=GOOD_FEE)
    assert_clean(response)
    assert response.status_code in (405, 400)


@pytest.mark.asvs("15.3.5")
@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nope", "/api/v1/prorate",
                                  "/api/v1/../../etc/passwd", "/api/v2/prorate/go-live"])
def test_asvs_15_3_5_unknown_api_paths_are_json_404(client, path):
    response = client.get(path)
    assert_clean(response)
    assert response.status_code == 404


# --- malformed request bodies on the sign-in forms and the webhook (DESIGN.md "Sign-in details")

DEEP_JSON = "[" * 100_000 + "]" * 100_000
WEBHOOK_SECRET = "webhook-secret-for-the-input-tests"


@pytest.mark.asvs("2.2.1")
@pytest.mark.parametrize("path", ["/auth/login", "/auth/link", "/auth/reset", "/hooks/fluentcrm"])
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (DEEP_JSON, 400),
        ('{"email": ' + "[" * 50_000 + "]" * 50_000 + "}", 400),
        ("[1, 2]", 400),
        ('"just a string"', 400),
        ('{"email": {"nested": "object"}, "password": ["a"]}', 400),
        ('{"email": 12, "password": null}', 400),
        ("{not json", 400),
        ('{"email": "nobody@example.com", "password": "whatever it is 1",'
         ' "status": "unsubscribed"}', 200),  # well formed
    ],
)
def test_asvs_2_2_1_malformed_json_bodies_are_400(app_config, path, body, status, caplog):
    """Deep, wrong-typed or broken JSON answers 400 and logs no traceback (never a 500)."""
    import logging

    from gate import create_app
    from tests.security.helpers import csrf_token

    app = create_app({**app_config, "FLUENTCRM_WEBHOOK_SECRET": WEBHOOK_SECRET})
    client = app.test_client()
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": WEBHOOK_SECRET}
    if path.startswith("/auth/"):
        headers["X-CSRFToken"] = csrf_token(client, path)
    caplog.set_level(logging.INFO)
    response = client.post(path, data=body, headers=headers)
    assert_clean(response)
    assert response.status_code == status, response.get_data()[:300]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
