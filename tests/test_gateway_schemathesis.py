"""schemathesis against /api/v1/openapi.json with every check it has (``--checks
all``): every operation, positive and negative generation, with a valid admin
token, against the real four services over RabbitMQ. No 5xx, no reply outside
its schema, no schema-valid request refused (the document states the
constraints the API enforces — lengths, patterns, enums and the named formats
below), no schema-violating request accepted, Allow on 405.

The named formats of the document (GB 11643 ID numbers, GB 32100 credit codes,
GB/T 2260 division codes by length) get strategies that make valid values: a
pattern alone cannot say "the check character is right".

One check is refined: schemathesis counts any 422 to a schema-valid request as
"rejected" (ST202). Here a 422 counts as a failure when the gateway's own
argument parsing refused it (``invalid_params``: the document did not state a
constraint it enforces) — and is accepted when it is a business rule refusing
the request (a service's, or a rule across fields: a problem naming
``fields.reason``), such as "this jurisdiction's policy has no such care mode"
or "the same Idempotency-Key for another body": no schema can state those.

``DOUDI_SCHEMATHESIS_EXAMPLES`` (default 6) bounds the examples per operation
and mode."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone

import pytest
import schemathesis
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app
from doudi_gateway.schemas.fields import DIVISION_FORMATS, ID_NUMBER_FORMAT, USCC_FORMAT
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation
from stdnum.cn import uscc as uscc_codec

from gateway.tests.conftest import gateway_test_config, token_for

EXAMPLES = int(os.environ.get("DOUDI_SCHEMATHESIS_EXAMPLES", "6"))

#: real counties of the five jurisdictions, their townships and villages
COUNTIES = ["341502", "330106", "620102", "410928", "360104"]


def _division(lengths: tuple[int, ...]):
    def extend(county: str, length: int, n: int) -> str:
        return county if length == 6 else county + f"{n % 999 + 1:03d}" + (
            f"{n % 997 + 1:03d}" if length == 12 else "")
    return st.builds(extend, st.sampled_from(COUNTIES), st.sampled_from(lengths),
                     st.integers(0, 10**6))


def _uscc(body: str) -> str:
    return body + uscc_codec.calc_check_digit(body)


@schemathesis.check
def schema_valid_requests_pass_the_gateway(ctx, response, case):
    """ST202 refined (module docstring): a schema-valid request is refused only
    by a business rule, never by the gateway's own argument checks."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return None
    if response.status_code in (400, 415) or (response.status_code == 422 and (
            "invalid_params" in response.json() or "errors" in response.json())):
        raise AssertionError(f"schema-valid request refused by the gateway's argument checks "
                             f"({response.status_code}): {response.text[:800]}")
    return None


def register_formats() -> None:
    schemathesis.openapi.format(ID_NUMBER_FORMAT, st.builds(
        lambda region, day, seq, female: make_id_number(region, day.strftime("%Y%m%d"), seq,
                                                        female),
        st.sampled_from(COUNTIES),
        st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31)),
        st.integers(0, 499), st.booleans()))
    schemathesis.openapi.format(USCC_FORMAT, st.builds(
        lambda county, n: _uscc(f"12{county}MB{n:07d}"), st.sampled_from(COUNTIES),
        st.integers(0, 9_999_999)))
    for lengths, name in DIVISION_FORMATS.items():
        schemathesis.openapi.format(name, _division(lengths))
    # dates and moments in the calendar the document states (years 1900–2199)
    days = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
    schemathesis.openapi.format("date", days.map(date.isoformat))
    schemathesis.openapi.format("date-time", st.builds(
        lambda day, seconds, offset: (datetime.combine(day, time(0), timezone(offset))
                                      + timedelta(seconds=seconds)).isoformat(),
        days, st.integers(0, 86399), st.sampled_from([timedelta(0), timedelta(hours=8)])))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_openapi_document_holds_for_generated_requests(rabbit, start_service, tmp_path):
    register_formats()
    for service in ("eligibility", "institutions", "funding", "services_log"):
        start_service(service)
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    admin = app.extensions["doudi_store"].add_user("st_admin", "password-123", "admin", "")
    headers = {"Authorization": f"Bearer {token_for(app, admin)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case):
                # a case made negative in its headers keeps them: our token would
                # turn a missing or broken Authorization into a valid request
                header = (case.meta.components.get(ParameterLocation.HEADER)
                          if case.meta else None)
                negative_headers = header is not None and header.mode is GenerationMode.NEGATIVE
                case.call_and_validate(  # every check, ST202 refined
                    headers={} if negative_headers else headers,
                    excluded_checks=[positive_data_acceptance],
                    additional_checks=[schema_valid_requests_pass_the_gateway])

            try:
                run()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - collect every operation's failure
                if "Unable to satisfy assumptions" in str(exc):
                    continue  # nothing to break: an operation without parameters or body
                failures.append(f"{mode.value} {operation.label}: {str(exc)[:1500]}")
    assert operations > 100
    assert not failures, "\n\n".join(failures)
