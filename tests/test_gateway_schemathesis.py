"""schemathesis against /api/v1/openapi.json: every operation, with a valid
admin token, a bounded number of generated examples each, against the real four
services over RabbitMQ. No 5xx, no response that violates the documented schema.

``DOUDI_SCHEMATHESIS_EXAMPLES`` (default 6) bounds the examples per operation."""

from __future__ import annotations

import os

import pytest
import schemathesis
from doudi_gateway.app import create_app
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from gateway.tests.conftest import gateway_test_config, token_for

EXAMPLES = int(os.environ.get("DOUDI_SCHEMATHESIS_EXAMPLES", "6"))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_openapi_document_holds_for_generated_requests(rabbit, start_service, tmp_path):
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

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=[
                not_a_server_error, response_schema_conformance, content_type_conformance])

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 40
    assert not failures, "\n\n".join(failures)
