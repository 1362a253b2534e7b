"""End to end over the real broker for institutions: eligibility's
``enrolment.started`` (centralised, with an institution) becomes a placement and
a ``placement.admitted`` that a department's plain AMQP consumer sees; health's
``infection.flagged`` makes the next admission refused (puyang-2020 §四(四)) until
``infection.cleared``;
``person.deceased`` discharges with reason ``deceased``; medical insurance's
``designation.signed`` updates the institution."""

from __future__ import annotations

import pytest
from doudi_common.clock import clock_of
from doudi_common.testing.fixtures import count_rows, publish_event, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.testing import TODAY, open_home


@pytest.fixture
def running(start_service):
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("institutions")
    clock_of(container).set(TODAY)
    with ServiceRpcProxy("institutions", container.config, timeout=20) as rpc:
        yield container, rpc


def enrolment(seq: int, home: str | None, care_mode: str = "centralized") -> dict:
    return {"enrolment_id": f"ENR-2026-{seq:06d}", "id_number": make_id_number(seq=seq),
            "division_code": "341502001001", "care_mode": care_mode, "hardship": ["tekun"],
            "incapacity_level": "full", "started_on": "2026-03-02",
            "application_id": None, "institution_uscc": home}


def test_enrolment_admits_and_departments_see_it(running, rabbit, publish_as, event_tap):
    _container, rpc = running
    home = open_home(rpc, beds=2)
    health_view = event_tap("institutions", "placement.*", user="health")

    publish_event(rabbit, "eligibility", "enrolment.started", enrolment(1, home))
    admitted = health_view.wait_for(lambda e: e["type"] == "placement.admitted", timeout=15)
    data = admitted["data"]
    assert data["id_number"] == make_id_number(seq=1)
    assert data["institution_uscc"] == home and data["care_mode"] == "centralized"
    assert data["care_level"] == "full" and data["monthly_price"] == "2650.00"
    assert data["enrolment_id"] == "ENR-2026-000001"
    assert admitted["source"] == "institutions/341502001001"

    # death reported by health ends the placement
    publish_as("health", "person.deceased", {"id_number": make_id_number(seq=1),
                                             "date_of_death": "2026-03-20"})
    gone = health_view.wait_for(lambda e: e["type"] == "placement.discharged", timeout=15)
    assert gone["data"]["reason"] == "deceased"
    assert gone["data"]["discharged_on"] == "2026-03-20"
    assert gone["data"]["placement_id"] == data["placement_id"]


def test_infection_flag_refuses_admission(running, rabbit, publish_as, event_tap):
    container, rpc = running
    home = open_home(rpc, beds=2)
    tap = event_tap("institutions", "placement.*", user="health")
    idn = make_id_number(seq=2)
    publish_as("health", "infection.flagged", {"id_number": idn, "disease_code": "A15.0",
                                               "on": "2026-03-01"})
    wait_for(lambda: count_rows(container, "infections", id_number=idn) == 1, timeout=15)

    publish_event(rabbit, "eligibility", "enrolment.started", enrolment(2, home))
    wait_for(lambda: rpc.list_admission_requests(uscc=home)["total"] == 1, timeout=15)
    request = rpc.list_admission_requests(uscc=home)["items"][0]
    assert (request["status"], request["reason"]) == ("refused", "infection_open")
    assert count_rows(container, "placements") == 0
    assert tap.poll() == []

    # cleared: the refused admission goes ahead from the day of clearance
    publish_as("health", "infection.cleared", {"id_number": idn, "disease_code": "A15.0",
                                               "on": "2026-03-10"})
    admitted = tap.wait_for(lambda e: e["type"] == "placement.admitted", timeout=15)
    assert admitted["data"]["admitted_on"] == "2026-03-10"
    assert admitted["data"]["enrolment_id"] == "ENR-2026-000002"
    statuses = [r["status"] for r in rpc.list_admission_requests(uscc=home)["items"]]
    assert statuses == ["refused", "admitted"]


def test_designation_signed_updates_institution(running, publish_as, dead_letters):
    _container, rpc = running
    home = open_home(rpc, beds=0, prices=False)
    publish_as("medical_insurance", "designation.signed", {
        "institution_uscc": home, "agreement_no": "YB-341500-2026-017",
        "valid_from": "2026-03-01", "valid_until": "2028-02-29"})
    designation = wait_for(lambda: rpc.get_institution(uscc=home)["designation"], timeout=15)
    assert designation == {"agreement_no": "YB-341500-2026-017", "valid_from": "2026-03-01",
                           "valid_until": "2028-02-29", "status": "active"}
    # the same type from someone who is not medical insurance is dead-lettered
    publish_as("medical_insurance", "designation.terminated", {
        "institution_uscc": home, "agreement_no": "YB-341500-2026-017",
        "valid_from": "2026-03-01", "valid_until": "2026-03-05"}, user="health",
        exchange="health.events")
    parked = []
    wait_for(lambda: parked.extend(dead_letters("institutions")) or parked, timeout=15)
    assert parked[0][1]["x-doudi-queue"] == "institutions.health.on_health"
    assert parked[0][0] in ("source_mismatch", "unknown_type")
    assert rpc.get_institution(uscc=home)["designation"]["status"] == "active"
