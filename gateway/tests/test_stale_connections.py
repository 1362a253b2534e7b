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
