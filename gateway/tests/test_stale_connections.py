"""A request thread's AMQP connection that died while idle (a broker restart,
a load balancer's idle timeout) fails no request a retry would have saved
(issue 22): reads and writes with an Idempotency-Key go again on a new
connection; any other write answers 503 with Retry-After at once."""

from __future__ import annotations

import socket

import pytest
from doudi_common.testing.idnumbers import make_id_number

from gateway.tests.conftest import role_headers


@pytest.fixture
def gw(rabbit, start_service, make_gateway):
    start_service("eligibility")
    app = make_gateway(rabbit["AMQP_URI"], RPC_TIMEOUT=10)
    return app, app.test_client(), role_headers(app, {"clerk": ("village_clerk", "341502001")})


def kill_this_threads_connection(app) -> None:
    line = app.extensions["doudi_rpc"]._local.line
    assert line is not None, "the thread has made a call before"
    line.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the peer is gone


def test_a_read_on_a_dead_connection_is_repeated_on_a_new_one(gw):
    app, client, h = gw
    pid = make_id_number(region="341502", seq=71)
    url = f"/api/v1/persons/{pid}"
    assert client.get(url, headers=h["clerk"]).status_code == 404  # the thread's line exists
    kill_this_threads_connection(app)
    again = client.get(url, headers=h["clerk"])
    assert again.status_code == 404, again.get_json()  # answered by the service, not 503


def test_a_write_without_idempotency_key_is_not_repeated(gw):
    app, client, h = gw
    pid = make_id_number(region="341502", seq=72)
    assert client.get(f"/api/v1/persons/{pid}", headers=h["clerk"]).status_code == 404
    kill_this_threads_connection(app)
    body = {"id_number": pid, "name": "张三", "division_code": "341502001001",
            "registration": "rural"}
    refused = client.post("/api/v1/persons", headers=h["clerk"], json=body)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert refused.content_type.startswith("application/problem+json")
    # the next call has a new connection
    assert client.post("/api/v1/persons", headers=h["clerk"], json=body).status_code == 200


API, AUTH = "http://localhost:15672/api", ("guest", "guest")  # the test broker's


def _broker_side(line) -> str | None:
    """The broker's name for the line's connection, if the broker still has it."""
    import requests

    local = line.connection.transport.sock.getsockname()[1]
    names = [c["name"] for c in requests.get(f"{API}/connections", auth=AUTH, timeout=10).json()
             if c.get("peer_port") == local]
    return names[0] if names else None


def test_heartbeats_keep_an_idle_line_and_replace_a_dead_one_before_a_write(
        rabbit, start_service, make_gateway):
    """RPC_HEARTBEAT 1 s: a line idle for 5 heartbeat intervals is still open
    (without heartbeats from the gateway the broker closes it after two);
    one the broker closed between requests is found by the heartbeat thread,
    so a write with no Idempotency-Key — which may not be repeated — succeeds
    on a new line instead of answering 503."""
    import time
    from urllib.parse import quote

    import requests
    from doudi_common.testing.fixtures import wait_for

    start_service("eligibility")
    app = make_gateway(rabbit["AMQP_URI"], RPC_TIMEOUT=10, RPC_HEARTBEAT=1)
    client = app.test_client()
    h = role_headers(app, {"clerk": ("village_clerk", "341502001")})["clerk"]
    pid = make_id_number(region="341502", seq=73)
    assert client.get(f"/api/v1/persons/{pid}", headers=h).status_code == 404
    line = app.extensions["doudi_rpc"]._local.line
    assert line.connection.heartbeat == 1
    time.sleep(5)
    name = _broker_side(line)
    assert name and not line.dead and line.connection.connected
    # what a broker restart or a proxy's idle timeout does, while nobody uses it
    requests.delete(f"{API}/connections/{quote(name, safe='')}", auth=AUTH, timeout=10)
    wait_for(lambda: line.dead, timeout=10, message="the heartbeat thread finds it dead")
    body = {"id_number": pid, "name": "张三", "division_code": "341502001001",
            "registration": "rural"}
    assert client.post("/api/v1/persons", headers=h, json=body).status_code == 200
