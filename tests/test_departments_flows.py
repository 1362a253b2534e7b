"""Every incoming department event type, published by a plain kombu client as
that department's own RabbitMQ user (the SDK), reaches the suite: each service
that subscribes to the department's exchange takes every event in through its
inbox, none is dead-lettered, and the flows DESIGN describes change the
suite's state.

Which services subscribe to what is read from the code (the same list that
generates the RabbitMQ definitions), so new handlers are covered as they come.
The stream is a simulator's, in order (a certificate is issued before it is
changed or revoked, an admission precedes its discharge)."""

from __future__ import annotations

import pytest
from doudi_common.rabbit import subscriptions
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_contracts.registry import event_types
from doudi_departments.client import DepartmentClient
from doudi_departments.simulate import Simulator, World


def stream_covering_every_type(department: str, world: World, seed: int = 31):
    """The shortest simulator prefix in which every type of the department occurs."""
    sim = Simulator(department, seed=seed, world=world)
    wanted = set(event_types(department))
    messages = []
    while wanted:
        message = sim.good_message()
        messages.append(message)
        wanted.discard(message.event_type)
        assert len(messages) < 3000, "simulator never produced every type"
    return messages


def register_people(world: World, messages, rabbit, eligibility) -> None:
    mentioned = {m.envelope["data"].get("id_number") for m in messages} - {None}
    cdpf = Simulator("cdpf", seed=1, world=world)
    certificates = [cdpf.certificate_for(world.by_id[i]) for i in sorted(mentioned)]
    with DepartmentClient("cdpf", amqp_uri_for(rabbit, "cdpf")) as client:
        client.publish_many(certificates)
    wait_for(lambda: count_rows(eligibility, "persons") >= len(mentioned), timeout=30,
             message="eligibility to register the people")


def subscribers(department: str) -> dict[str, list[str]]:
    """service -> handler names (``<service>.<method>``) on ``<department>.events``."""
    found: dict[str, list[str]] = {}
    for sub in subscriptions():
        if sub["source"] == department:
            found.setdefault(sub["service"], []).append(f"{sub['service']}.{sub['method']}")
    return found


@pytest.mark.parametrize("department", ["cdpf", "health", "medical_insurance"])
def test_every_incoming_type_reaches_every_subscriber(department, rabbit, start_service,
                                                      dead_letters):
    services = subscribers(department)
    if not services:
        pytest.skip(f"no service subscribes to {department}.events yet")
    containers = {name: start_service(name) for name in services}
    world = World(31, ["341502"])
    messages = stream_covering_every_type(department, world)
    if department != "cdpf":
        # the suite knows the people a department reports on: CDPF certified them
        register_people(world, messages, rabbit, containers.get("eligibility")
                        or start_service("eligibility"))
    with DepartmentClient(department, amqp_uri_for(rabbit, department)) as client:
        client.publish_many(messages)
    ids = [m.message_id for m in messages]

    parked: dict[str, list] = {name: [] for name in services}

    def settled():
        # every event either taken in by every handler or parked (reported below)
        for name in services:
            parked[name].extend(dead_letters(name))
        return all(count_rows(containers[name], "inbox", handler=h) + len(parked[name])
                   >= len(ids) for name, hs in services.items() for h in hs)
    wait_for(settled, timeout=45, interval=0.2, message="every handler to take the stream")
    assert parked == {name: [] for name in services}, {
        name: [(r, h.get("x-doudi-routing-key"), h.get("x-doudi-detail")) for r, h, _b in rows]
        for name, rows in parked.items()}
    for name, handlers in services.items():
        for handler in handlers:
            assert count_rows(containers[name], "inbox", handler=handler) == len(ids)
    flow_effects(department, containers, messages)


def flow_effects(department, containers, messages) -> None:
    """What DESIGN's flows say the events change."""
    def first(event_type):
        return next(m.envelope["data"] for m in messages if m.event_type == event_type)

    if department == "cdpf" and "eligibility" in containers:
        # flow 1: a certificate updates the person's facts
        data = first("certificate.issued")
        assert count_rows(containers["eligibility"], "persons", id_number=data["id_number"]) == 1
        assert count_rows(containers["eligibility"], "person_facts",
                          id_number=data["id_number"]) >= 1
    if department == "health" and "institutions" in containers:
        # flow 4: an infection is recorded (centralised admission refused until cleared)
        data = first("infection.flagged")
        assert count_rows(containers["institutions"], "infections",
                          id_number=data["id_number"]) >= 1
    if department == "medical_insurance" and "institutions" in containers:
        data = first("designation.signed")
        assert count_rows(containers["institutions"], "designations",
                          uscc=data["institution_uscc"]) >= 1
