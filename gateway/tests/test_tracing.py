"""One trace from an HTTP request through eligibility's RPC to the event funding
consumes (issue 19): the gateway continues the caller's ``traceparent``, the
RPC carries it to eligibility's worker, the outbox envelope carries it
(CloudEvents distributed tracing) and funding's subscription continues it.
Spans are collected by an in-memory exporter; eligibility and funding run as
real containers on the real broker."""

from __future__ import annotations

import json

import pytest
from doudi_common.testing.fixtures import count_rows, db_engine, wait_for
from doudi_common.testing.idnumbers import make_id_number
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.tests.conftest import role_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def spans():
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_one_trace_from_the_request_to_the_event_funding_consumes(
        spans, rabbit, start_service, make_gateway):
    import sqlalchemy as sa

    eligibility = start_service("eligibility")
    funding = start_service("funding")
    app = make_gateway(rabbit["AMQP_URI"], RPC_TIMEOUT=10)
    client = app.test_client()
    headers = role_headers(app, {"clerk": ("village_clerk", "341502001")})["clerk"]
    pid = make_id_number(region="341502", seq=808)
    spans.clear()
    resp = client.post("/api/v1/persons", headers={**headers, "traceparent": CALLER}, json={
        "id_number": pid, "name": "赵六", "division_code": "341502001001",
        "registration": "rural"})
    assert resp.status_code == 200, resp.get_json()
    wait_for(lambda: count_rows(funding, "inbox") >= 1, message="funding consumed the event")

    def of_trace():
        return [s for s in spans.get_finished_spans()
                if f"{s.context.trace_id:032x}" == TRACE_ID]
    wait_for(lambda: any(s.kind == SpanKind.CONSUMER for s in of_trace()), timeout=10,
             message="funding's span")
    mine = {s.name: s for s in of_trace()}
    http = mine["POST /api/v1/persons"]
    rpc = mine["eligibility.register_person"]
    consumer = next(s for s in of_trace() if s.kind == SpanKind.CONSUMER
                    and s.name.startswith("funding."))
    # the caller's span is the request's parent; the RPC and the consumer follow
    assert http.parent.span_id == int("00f067aa0ba902b7", 16)
    assert rpc.parent.span_id == http.context.span_id and rpc.kind == SpanKind.SERVER
    with db_engine(eligibility).connect() as conn:
        envelope = json.loads(conn.execute(sa.text(
            "SELECT envelope FROM outbox WHERE event_type = 'person.registered'")).scalar_one())
    assert envelope["traceparent"].split("-")[1] == TRACE_ID
    assert consumer.parent.span_id == rpc.context.span_id  # the event was written under it
    assert http.attributes["doudi.request_id"] and http.attributes["http.route"]


def test_a_read_over_http_continues_the_request_s_trace(spans, rabbit, start_service,
                                                        make_gateway):
    from doudi_common.testing.fixtures import free_port

    port = free_port()
    start_service("eligibility", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    app = make_gateway(rabbit["AMQP_URI"], RPC_TIMEOUT=10,
                       SERVICE_HTTP={"eligibility": f"http://127.0.0.1:{port}"})
    client = app.test_client()
    headers = role_headers(app, {"clerk": ("village_clerk", "341502001")})["clerk"]
    pid = make_id_number(region="341502", seq=809)
    assert client.post("/api/v1/persons", headers=headers, json={
        "id_number": pid, "name": "赵七", "division_code": "341502001001",
        "registration": "rural"}).status_code == 200
    spans.clear()
    resp = client.get(f"/api/v1/persons/{pid}/eligibility",
                      headers={**headers, "traceparent": CALLER})
    assert resp.status_code == 200, resp.get_json()
    wait_for(lambda: any(s.name == "eligibility.evaluate" for s in spans.get_finished_spans()),
             timeout=10, message="the service's span")
    mine = {s.name: s for s in spans.get_finished_spans()
            if f"{s.context.trace_id:032x}" == TRACE_ID}
    http = mine["GET /api/v1/persons/<id_number>/eligibility"]
    read = mine["eligibility.evaluate"]
    assert read.parent.span_id == http.context.span_id and read.kind == SpanKind.SERVER
    # it went over HTTP (register_person, a write, is not offered there)
    assert app.extensions["doudi_rpc"].http.not_offered == {("eligibility", "register_person")}


def test_a_department_s_trace_is_continued_into_what_it_causes(spans, start_service,
                                                              publish_as):
    """CDPF sends a certificate with its own traceparent: eligibility's
    subscription continues it and the person.registered it writes carries it."""
    import sqlalchemy as sa
    from doudi_common.testing.fixtures import department_envelope
    from doudi_common.testing.samples import certificate_issued

    eligibility = start_service("eligibility")
    envelope = department_envelope("cdpf", "certificate.issued",
                                   certificate_issued(make_id_number(seq=809)))
    envelope["traceparent"] = CALLER.replace(TRACE_ID, TRACE_ID[::-1])
    publish_as("cdpf", "certificate.issued", envelope=envelope)
    wait_for(lambda: count_rows(eligibility, "outbox") >= 1, message="person.registered")
    with db_engine(eligibility).connect() as conn:
        written = json.loads(conn.execute(sa.text("SELECT envelope FROM outbox")).scalar())
    assert written["traceparent"].split("-")[1] == TRACE_ID[::-1]
