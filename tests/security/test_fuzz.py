"""Fuzzing: the API against its own OpenAPI document (schemathesis, in-process through WSGI),
and Hypothesis on the parsers of untrusted text: URL paths, tokens, terms expressions, CSV
exports, ``next`` targets and search queries. No input may produce a 5xx or a traceback."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.security.helpers import assert_clean

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


# --- the API, from its OpenAPI document -------------------------------------------------------


@pytest.mark.asvs("15.3.5")
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_asvs_15_3_5_no_input_matching_or_breaking_the_openapi_document_is_a_5xx(app, mode):
    """Every operation of /api/v1/openapi.json, with inputs that match it and that break it.

    (schemathesis's pytest plugin does not run under pytest 9, so its strategies are driven
    by Hypothesis directly; the calls go through WSGI, in-process.)
    """
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    checked = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:
            response = case.call_and_validate(checks=[not_a_server_error])
            assert response.status_code < 500
            assert "Traceback" not in response.text

        try:
            call()
            checked += 1
        except Unsatisfiable:
            # nothing can break an operation without parameters
            assert mode == "negative" and not operation.query
    assert checked >= 2


@pytest.mark.asvs("15.3.5")
def test_asvs_15_3_5_the_openapi_document_describes_every_calculator(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {"/prorate/go-live", "/due-date", "/account-types"} <= {
        p.removeprefix("/api/v1") for p in paths}


# --- URL paths --------------------------------------------------------------------------------

SEGMENTS = st.one_of(
    st.sampled_from(["..", ".", "", "%2e%2e", "%2f", "%252f", "%00", "\\", "%5c", "CON", "nul",
                     "clients", "files", "forms", "index", "onboarding-checklist", ";x", "%23",
                     "~", ".md", "plugin-setup-form.docx", ".meta.yml", "\u202e", "%c0%ae"]),
    st.text(min_size=1, max_size=10),
)
PATHS = st.lists(SEGMENTS, min_size=1, max_size=6).map(
    lambda parts: quote("/".join(parts), safe="/%\\;~.")
)


@pytest.fixture
def staff_client(app, make_user, login_as):
    client = app.test_client()
    login_as(client, make_user("boss@example.org", role="staff", password="x" * 16))
    return client


@pytest.mark.asvs("5.3.2")
@given(path=PATHS)
@FUZZ
def test_asvs_5_3_2_no_path_under_members_or_the_site_is_a_5xx(staff_client, path):
    for prefix in ("/members/", "/members/files/", "/"):
        response = staff_client.get(prefix + path)
        assert_clean(response)
        assert response.status_code in (200, 301, 302, 304, 308, 400, 403, 404, 405), (
            prefix + path, response.status_code)


# --- tokens -----------------------------------------------------------------------------------

TOKENISH = st.one_of(
    st.text(max_size=600),
    st.from_regex(r"[A-Za-z0-9_\-]{1,200}\.[A-Za-z0-9_\-]{1,10}\.[A-Za-z0-9_\-]{1,40}",
                  fullmatch=True),
)


@pytest.mark.asvs("9.2.2")
@given(token=TOKENISH, purpose=st.sampled_from(["link", "reset", "invite"]))
@FUZZ
def test_asvs_9_2_2_any_token_text_reads_as_invalid_never_an_exception(token, purpose):
    from gate.accounts import tokens

    config = {"SECRET_KEY": "k" * 40, "SECRET_KEY_FALLBACKS": ["o" * 40]}
    assert tokens.read(token, purpose, config).status is not tokens.TokenStatus.OK


@pytest.mark.asvs("9.2.2")
@given(token=TOKENISH.filter(lambda t: "/" not in t and "\x00" not in t))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_asvs_9_2_2_any_token_in_a_link_url_is_a_clean_refusal(client, token):
    for kind in ("link", "reset", "invite"):
        response = client.get(f"/auth/{kind}/" + quote(token, safe=""))
        assert_clean(response)
        assert response.status_code in (400, 404)


# --- terms expressions ------------------------------------------------------------------------

WORDS = st.lists(
    st.sampled_from(["net", "eom", "day", "month", "+1", "1", "cutoff", "roll", "following",
                     "preceding", "modified_following", "none", "last", "14", "0", "-1", "31",
                     "32", "3650", "3651", "99999999999", "1e3", "+", "++1", "NET", "\u0661\u0664",
                     "\uff11\uff14", "12.5", "", " ", "\t"]),
    max_size=8,
).map(" ".join)


@pytest.mark.asvs("2.2.1")
@given(text=st.one_of(WORDS, st.text(max_size=80)))
@FUZZ
def test_asvs_2_2_1_terms_parse_or_say_what_is_wrong(text):
    from calculators import CalculatorError
    from calculators.terms_parser import parse_terms

    try:
        parse_terms(text)
    except CalculatorError as exc:
        assert exc.message and exc.field


@pytest.mark.asvs("2.2.1")
@given(text=WORDS)
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_asvs_2_2_1_terms_through_the_api_are_200_or_400(client, text):
    response = client.get("/api/v1/due-date", query_string={
        "invoice_date": "2026-01-15", "terms": text})
    assert_clean(response)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.get_json()["error"]["field"] == "terms"


# --- CSV exports ------------------------------------------------------------------------------

CELLS = st.one_of(st.text(max_size=30), st.sampled_from([
    "a@example.org", "A@Example.org ", "two@@example.org", "=cmd()", "+1", "-1", "@x",
    "subscribed", "unsubscribed", "Online Sales FAQ: Payments", '"', "\r\n", "\ufeff"]))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Email", "First Name", "Last Name", "Status", "Lists", "Tags"])
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.asvs("1.2.10")
@given(text=st.one_of(
    st.lists(st.lists(CELLS, min_size=0, max_size=8), max_size=6).map(_csv),
    st.text(max_size=400),
))
@FUZZ
def test_asvs_1_2_10_any_export_text_is_a_plan_or_an_export_error(text):
    from gate.newsletter.csv_import import parse_export
    from gate.newsletter.fields import CrmError
    from gate.newsletter.sections import load_map

    newsletter_map = load_map({"NEWSLETTER_MAP_FILE": ""})
    try:
        plan = parse_export(text, newsletter_map)
    except CrmError as exc:
        assert str(exc)
        return
    for update in plan.contacts if hasattr(plan, "contacts") else []:
        name = getattr(update, "name", "") or ""
        assert not name.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.asvs("1.2.10")
@given(data=st.binary(max_size=300))
@FUZZ
def test_asvs_1_2_10_any_export_bytes_decode_or_are_refused(data):
    from gate.newsletter.csv_import import decode_export
    from gate.newsletter.fields import CrmError

    try:
        decode_export(data)
    except CrmError as exc:
        assert str(exc)


# --- next targets and search queries ----------------------------------------------------------


@pytest.mark.asvs("3.7.2")
@given(value=st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(["/", "\\", "//", "%2f", "%5c", "%252f", "evil.example", ":",
                              "@", "\t", "\n", "http", "javascript", "%09", ".", "members"]),
             max_size=8).map("".join),
))
@FUZZ
def test_asvs_3_7_2_safe_next_only_ever_returns_a_local_path(value):
    from gate.accounts.redirects import safe_next

    result = safe_next(value, default="/members/")
    browser = result.replace("\\", "/")
    assert browser.startswith("/") and not browser.startswith("//")
    parts = urlsplit(browser)
    assert not parts.scheme and not parts.netloc
    assert not any(ch in result for ch in "\t\r\n\x00")


@pytest.mark.asvs("2.2.1")
@given(query=st.text(max_size=300))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_asvs_2_2_1_member_search_queries_never_break(staff_client, query):
    for accept in ("text/html", "application/json"):
        response = staff_client.get("/members/search", query_string={"q": query},
                                    headers={"Accept": accept})
        assert_clean(response)
        assert response.status_code in (302, 400)
