"""Eligibility's reads over HTTP (``doudi_common.entrypoints.http_rpc``) against
the real service on RabbitMQ and PostgreSQL: the same answers and the same
typed errors as through the broker; a method not offered, or a port nobody
listens on, goes through the broker; a malformed request is a 400; and the
gateway's endpoints give the same bodies either way."""

from __future__ import annotations

import json

import pytest
import requests
from doudi_common.errors import Invalid, NotFound
from doudi_common.testing.fixtures import free_port
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app
from doudi_gateway.rpc import RpcClient

from gateway.tests.conftest import gateway_test_config, ok, role_headers

VILLAGE = "341502001201"


@pytest.fixture
def service(rabbit, start_service):
    port = free_port()
    start_service("eligibility", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}"
    bus = RpcClient({"AMQP_URI": rabbit["AMQP_URI"]}, timeout=10)
    pid = make_id_number(region="341502", seq=77)
    bus.call("eligibility", "register_person", {
        "id_number": pid, "name": "张桂兰", "division_code": VILLAGE,
        "registration": "rural", "actor": "test",
        "hardship": [{"status": "dibao", "valid_from": "2025-01-01"}]})
    return base, bus, pid


def test_the_same_answers_and_errors_as_through_the_broker(rabbit, service):
    base, bus, pid = service
    http = RpcClient({"AMQP_URI": rabbit["AMQP_URI"],
                      "SERVICE_HTTP": {"eligibility": base}}, timeout=10)
    for method, args in (("evaluate", (pid, "2026-03-10")), ("get_person", (pid,))):
        assert http.call("eligibility", method, *args) == bus.call("eligibility", method, *args)
    assert http.http.not_offered == set()
    with pytest.raises(NotFound):
        http.call("eligibility", "get_person", make_id_number(region="341502", seq=78))
    with pytest.raises(Invalid) as refused:
        http.call("eligibility", "evaluate", pid, "2026-02-30")
    assert "on" in str(refused.value.fields) or "日期" in str(refused.value)
    # the raw answer is nameko's RPC reply
    raw = requests.post(f"{base}/rpc/get_person", json={"args": [pid], "kwargs": {}},
                        timeout=10)
    assert raw.status_code == 200 and raw.json()["error"] is None
    assert raw.json()["result"]["id_number"] == pid


def test_what_is_not_offered_goes_through_the_broker(rabbit, service):
    base, _bus, pid = service
    http = RpcClient({"AMQP_URI": rabbit["AMQP_URI"],
                      "SERVICE_HTTP": {"eligibility": base}}, timeout=10)
    packs = http.call("eligibility", "list_packs")  # an @rpc without @read_over_http
    assert packs and ("eligibility", "list_packs") in http.http.not_offered
    assert requests.post(f"{base}/rpc/list_packs", json={"args": [], "kwargs": {}},
                         timeout=10).status_code == 404
    # nobody listens on the configured port: through the broker as well
    nowhere = RpcClient({"AMQP_URI": rabbit["AMQP_URI"],
                         "SERVICE_HTTP": {"eligibility": f"http://127.0.0.1:{free_port()}"}},
                        timeout=10)
    assert nowhere.call("eligibility", "get_person", pid)["id_number"] == pid


@pytest.mark.parametrize("body", [b"not json", b'{"args": {}, "kwargs": {}}',
                                  b'{"args": [], "kwargs": []}', b"[1, 2]"])
def test_a_malformed_request_is_a_400_with_a_reason(service, body):
    base, _bus, _pid = service
    resp = requests.post(f"{base}/rpc/evaluate", data=body, timeout=10)
    assert resp.status_code == 400
    assert resp.text.startswith("malformed request")


def test_wrong_arguments_are_the_callers_error(service):
    base, _bus, _pid = service
    resp = requests.post(f"{base}/rpc/evaluate", json={"args": [], "kwargs": {"x": 1}},
                         timeout=10)
    assert resp.status_code == 200
    assert resp.json()["error"]["exc_type"] == "IncorrectSignature"


def test_the_gateway_answers_the_same_over_either_path(rabbit, service, tmp_path):
    base, _bus, pid = service
    bodies = []
    for index, http in enumerate(({}, {"eligibility": base})):
        (tmp_path / str(index)).mkdir()
        app = create_app(gateway_test_config(tmp_path / str(index), rabbit["AMQP_URI"],
                                             RPC_TIMEOUT=10,
                                             SERVICE_HTTP=http))
        h = role_headers(app, {"clerk": ("village_clerk", VILLAGE)})
        client = app.test_client()
        bodies.append([ok(client.get(f"/api/v1/persons/{pid}/eligibility?on=2026-03-10",
                                     headers=h["clerk"])),
                       ok(client.get(f"/api/v1/persons/{pid}", headers=h["clerk"]))])
        bad = client.get(f"/api/v1/persons/{pid}/eligibility?on=2026-13-01", headers=h["clerk"])
        assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
        # the reads went over HTTP when configured (this thread's connection)
        reads = app.extensions["doudi_rpc"].http
        assert ("eligibility" in getattr(reads._local, "conns", {})) == bool(http)
    assert json.dumps(bodies[0], sort_keys=True) == json.dumps(bodies[1], sort_keys=True)
