"""Schemathesis, in process, against the API's own OpenAPI document.

Positive cases (schema-valid requests) and negative ones (schema-invalid requests) go through
every check Schemathesis has except ``positive_data_acceptance``: the document cannot express
every rule (exactly one of ``account_type`` and ``terms``, amounts up to 10,000,000, dates in
the holiday calendar's years), so some schema-valid requests are rightly refused with 400.
A schema-invalid request must get 400, or 414 when it is longer than the gate accepts.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_openapi_document(calc_app, mode):
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [400, 414]}}}
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", calc_app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the operation that serves the document itself.
    assert {operation.label for operation in operations} == {
        "GET /prorate/go-live", "GET /prorate/change", "GET /due-date", "GET /account-types"}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not operation.query:
            continue  # nothing in a parameterless operation can be made invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case):
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
