"""Gateway skeleton: probes, OpenAPI, problem+json (Flask test client; the
readiness path crosses a real broker)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(rabbit, make_gateway):
    return make_gateway(rabbit["AMQP_URI"], RPC_TIMEOUT=2)


def test_healthz(app):
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_openapi_document_is_served(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


def test_unknown_route_is_problem_json(app):
    resp = app.test_client().get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.content_type.startswith("application/problem+json")
    body = resp.get_json()
    assert body["status"] == 404 and body["title"]


def test_readyz_names_services_that_do_not_answer(app, start_service):
    start_service("eligibility")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["eligibility"] == "ok"
    assert body["failed"] == ["institutions", "funding", "services_log"]
    assert resp.headers["Retry-After"]


def test_readyz_ok_when_all_answer(app, start_service):
    for svc in ("eligibility", "institutions", "funding", "services_log"):
        start_service(svc)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()["checks"].values()) == {"ok"}


def test_readyz_503_when_broker_unreachable(make_gateway):
    app = make_gateway(SERVICES=["eligibility"])
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["failed"] == ["broker", "eligibility"]
    assert resp.get_json()["checks"]["broker"] == "unavailable"


def test_readyz_does_not_hang_on_a_stopped_service(app, start_service):
    """The service's queue outlives it: the probe must time out, not wait."""
    import time

    for svc in ("eligibility", "institutions", "funding", "services_log"):
        container = start_service(svc)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    container.stop()  # services_log
    started = time.monotonic()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["failed"] == ["services_log"]
    assert time.monotonic() - started < 5


def test_readyz_names_the_gateway_database_when_it_is_gone(make_gateway):
    import sqlalchemy as sa

    app = make_gateway(SERVICES=[])
    assert app.test_client().get("/readyz").get_json()["checks"] == {"gateway_db": "ok"}
    store = app.extensions["doudi_store"]
    store.engine.dispose()
    store.engine = sa.create_engine("sqlite:////nonexistent-dir/gateway.db")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["failed"] == ["gateway_db"]
