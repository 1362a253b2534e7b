"""Quorum queues (issue 20): in production every durable queue of the suite is a
quorum queue (``doudi-rabbit generate --queue-type quorum``, ``DOUDI_QUEUE_TYPE=
quorum`` for the services and the departments' client), with the dead-letter
path kept and dead-lettering at least once. Here: the generated production
definitions say so for every durable queue, and the suite runs on quorum queues
on the local broker — a department's stream is taken in once, a bad event
dead-lettered with its reason, a redelivered one applied once.

The whole suite also runs on quorum queues: ``make test-quorum``."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
import requests
from doudi_common.queue_types import AT_LEAST_ONCE, QUORUM
from doudi_common.rabbit import DLX, generate
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_departments.client import DepartmentClient
from doudi_departments.simulate import Simulator, World


@pytest.fixture(scope="session")
def rabbit_definitions() -> dict:
    return generate(queue_type="quorum")


def test_the_production_definitions_make_every_durable_queue_quorum():
    doc = generate(queue_type="quorum")
    assert doc["queues"], "no queues"
    for queue in doc["queues"]:
        args = queue["arguments"]
        assert queue["durable"] and not queue["auto_delete"], queue["name"]
        assert args["x-queue-type"] == "quorum", queue["name"]
        if queue["name"].startswith("doudi.dlq."):
            continue
        if "x-dead-letter-exchange" in args:  # the services' subscriptions
            assert args["x-dead-letter-exchange"] == DLX
            assert args["x-dead-letter-routing-key"] == queue["name"].split(".")[0]
            assert args.items() >= AT_LEAST_ONCE.items(), queue["name"]
    services = {q["name"] for q in doc["queues"] if "x-dead-letter-exchange" in q["arguments"]}
    assert services == {q["name"] for q in generate()["queues"]
                        if "x-dead-letter-exchange" in q["arguments"]}
    # the development definitions stay classic
    assert not any("x-queue-type" in q["arguments"] for q in generate()["queues"])


def _queues(rabbit) -> dict[str, dict]:
    """The vhost's queues as the management API reports them."""
    parts = urlsplit(rabbit["api"])
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    vhost = quote(rabbit["vhost"], safe="")
    resp = requests.get(f"{base}/api/queues/{vhost}", timeout=10,
                        auth=(parts.username or "guest", parts.password or "guest"))
    resp.raise_for_status()
    return {q["name"]: q for q in resp.json()}


def test_the_suite_runs_on_quorum_queues(rabbit, start_service, dead_letters):
    eligibility = start_service("eligibility", QUEUE_TYPE="quorum")
    start_service("institutions", QUEUE_TYPE="quorum")
    queues = _queues(rabbit)
    ours = {n: q for n, q in queues.items() if n.startswith(("eligibility.", "institutions.",
                                                             "doudi.dlq."))}
    assert ours and {q["type"] for q in ours.values()} == {"quorum"}, \
        {n: q["type"] for n, q in ours.items()}
    assert queues["eligibility.cdpf.on_cdpf"]["arguments"].items() >= {
        **QUORUM, **AT_LEAST_ONCE, "x-dead-letter-exchange": DLX}.items()

    world = World(7, ["341502"])
    sim = Simulator("cdpf", seed=7, world=world)
    people = [world.new_person() for _ in range(20)]
    good = [sim.certificate_for(p) for p in people]
    bad = sim.bad_message("missing_field")
    uri = amqp_uri_for(rabbit, "cdpf")
    with DepartmentClient("cdpf", uri, queue_type="quorum") as client:
        client.publish_many([*good[:10], bad, *good[10:], good[0]])  # good[0] twice
    wait_for(lambda: count_rows(eligibility, "persons") == len(people), timeout=30,
             message="every person registered")
    letters = []
    wait_for(lambda: letters.extend(dead_letters("eligibility")) or letters, timeout=20,
             message="the bad event dead-lettered")
    assert [reason for reason, _h, _b in letters] == ["bad_data"]
    wait_for(lambda: count_rows(eligibility, "inbox", handler="eligibility.on_cdpf")
             == len(people), timeout=20, message="each event applied once")
