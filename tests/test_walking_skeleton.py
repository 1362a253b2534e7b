"""End to end over the real broker: a CDPF certificate, published by a plain
kombu client as RabbitMQ user ``cdpf`` exactly as the department contract says,
reaches eligibility, which registers the person and emits ``person.registered``
through its outbox; institutions, funding and services-log each take it in
through their inbox — and a department's own consumer sees it too."""

from __future__ import annotations

from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.samples import certificate_issued

CONSUMERS = ("institutions", "funding", "services_log")


def test_certificate_reaches_every_service(start_service, publish_as, event_tap):
    eligibility = start_service("eligibility")
    others = {name: start_service(name) for name in CONSUMERS}
    cdpf_view = event_tap("eligibility", "person.*", user="cdpf")

    data = certificate_issued(name="王五")
    sent = publish_as("cdpf", "certificate.issued", data)

    registered = cdpf_view.wait_for(lambda e: e["type"] == "person.registered", timeout=15)
    assert registered["data"]["id_number"] == data["id_number"]
    assert registered["data"]["source_event"] == sent["id"]
    assert registered["source"] == "eligibility/341502001001"
    for name, container in others.items():
        wait_for(lambda c=container: count_rows(c, "person_directory",
                                                id_number=data["id_number"]) == 1,
                 timeout=15, message=f"{name} to record the person")
        assert count_rows(container, "inbox", event_id=registered["id"]) == 1
    assert count_rows(eligibility, "person_facts", id_number=data["id_number"]) == 1


def test_person_registered_redelivered_has_one_effect(start_service, publish_as, rabbit):
    """The relay may re-send after a crash; every consumer's inbox absorbs it."""
    import json

    from doudi_common.testing.fixtures import publish_raw

    institutions = start_service("institutions")
    data = certificate_issued()
    envelope = {"specversion": "1.0", "id": "5b0c7d2e-3f6a-4c1b-9a8e-0d1c2b3a4f5e",
                "source": "eligibility/341502001001", "type": "person.registered",
                "time": "2026-03-01T09:31:00+08:00", "datacontenttype": "application/json",
                "data": {"id_number": data["id_number"], "name": "王五",
                         "birth_date": "1952-03-14", "sex": "male",
                         "division_code": "341502001001"}}
    for _ in range(2):
        publish_raw(rabbit["AMQP_URI"], "eligibility.events", "person.registered",
                    json.dumps(envelope, ensure_ascii=False), message_id=envelope["id"])
    wait_for(lambda: count_rows(institutions, "inbox", event_id=envelope["id"]) == 1)
    wait_for(lambda: count_rows(institutions, "person_directory") == 1)
