"""A service slower than the RPC timeout (issue 22): the caller gets 504
problem+json with Retry-After in time, the gateway thread is freed for the
next request, and the late reply is discarded without error (it is never
taken for another call's answer). Meanwhile a load process of its own
(bench/load.py) reading through the same gateway over HTTP is answered in
time throughout."""

from __future__ import annotations

import time

import eventlet
import pytest
from doudi_common.entrypoints import rpc
from doudi_common.testing.idnumbers import make_id_number

from gateway.tests.conftest import role_headers

PERSON = make_id_number(region="341502", seq=91)
OTHER = make_id_number(region="341502", seq=92)


class SlowEligibility:
    name = "eligibility"

    @rpc
    def get_person(self, id_number):
        if id_number == PERSON:
            eventlet.sleep(3)  # past the gateway's 1 s timeout
        return {"id_number": id_number, "name": "慢", "division_code": "341502001001",
                "answer_for": id_number}


@pytest.fixture
def gw(rabbit_config, container_factory, make_gateway):
    container = container_factory(SlowEligibility, rabbit_config)
    container.start()
    app = make_gateway(rabbit_config["AMQP_URI"], RPC_TIMEOUT=1, PERSON_SCOPE_TTL=0,
                       CHECK_REPLIES=False)  # a stub service, not the real shapes
    return app, role_headers(app, {"clerk": ("village_clerk", "341502001")})


def test_a_slow_service_is_a_504_and_its_late_reply_is_discarded(gw, tmp_path):
    from bench.load import running_load
    from bench.processes import check_load
    from tests.portal.conftest import Server

    app, h = gw
    client = app.test_client()
    server = Server(app)  # the same gateway over HTTP, for the load process
    try:
        with running_load(server.url, h["clerk"], tmp_path / "load.jsonl", threads=2,
                          write_share=0.0) as load:
            time.sleep(1)
            _slow_then_fast(client, h)
            time.sleep(1)
    finally:
        server.close()
    # the slow calls held none of the load's: every read answered, in time
    assert check_load(load.records, load.records[0]["t"] - 2, slowest=1.0) == {
        200: len(load.records)}


def _slow_then_fast(client, h) -> None:
    started = time.monotonic()
    slow = client.get(f"/api/v1/persons/{PERSON}", headers=h["clerk"])
    assert time.monotonic() - started < 2.5
    assert slow.status_code == 504 and slow.headers["Retry-After"]
    assert slow.content_type.startswith("application/problem+json")
    # the same thread asks again before the late reply arrives: it gets its own answer
    fast = client.get(f"/api/v1/persons/{OTHER}", headers=h["clerk"])
    assert fast.status_code == 200, fast.get_json()
    assert fast.get_json()["name"] == "慢"
    time.sleep(2.5)  # the late reply to the first call lands now
    again = client.get(f"/api/v1/persons/{OTHER}", headers=h["clerk"])
    assert again.status_code == 200 and again.get_json()["name"] == "慢"
