"""services_log end to end over the real broker: eligibility's enrolment.started
opens a service card, the township issues it after the needs assessment, a
neighbour helper records services, the person and the township verify them, the
township closes the month, a department's plain AMQP consumer sees
month.closed with what is to be paid per provider and person, and funding pays
the helper. Health's
person.deceased then ends the card and later records are refused."""

from __future__ import annotations

from datetime import datetime

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.errors import Conflict, NotFound
from doudi_common.testing.fixtures import publish_event, wait_for
from doudi_common.testing.idnumbers import make_id_number
from nameko.standalone.rpc import ServiceRpcProxy

VILLAGE = "620102001001"        # 兰州市城关区 (lanzhou-2021)
TOWNSHIP = VILLAGE[:9]
PERSON = make_id_number(region="620102", birth="19440808", seq=7)
HELPER = make_id_number(region="620102", birth="19680303", seq=8, female=True)


def shanghai(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def card_status(rpc):
    try:
        return rpc.get_card(id_number=PERSON)["status"]
    except NotFound:
        return None


def test_enrolment_to_month_closed_and_death(start_service, rabbit, publish_as, event_tap):
    container = start_service("services_log")
    start_service("funding")
    funding_view = event_tap("funding", "payout.*", user="cdpf")
    clock = clock_of(container)
    clock.set(shanghai(3, 2, 9))
    cdpf_view = event_tap("services_log", ["month.closed", "service.*"], user="cdpf")

    with ServiceRpcProxy("services_log", rabbit) as rpc:
        publish_event(rabbit, "eligibility", "enrolment.started", {
            "enrolment_id": "ENR-620102-0001", "id_number": PERSON, "division_code": VILLAGE,
            "care_mode": "home_visit", "hardship": ["tekun"], "incapacity_level": "partial",
            "started_on": "2026-03-01", "application_id": "APP-620102-0001",
            "institution_uscc": None})
        wait_for(lambda: card_status(rpc) == "pending_assessment", timeout=15,
                 message="the card to open")

        rpc.set_item_price(jurisdiction="620100", code="cleaning", unit_price="30.00",
                           by="county")
        rpc.set_item_price(jurisdiction="620100", code="meals", unit_price="12.50", by="county")
        helper = {"kind": "neighbor", "uscc": None, "id_number": HELPER, "name": "邻居李"}
        card = rpc.issue_card(id_number=PERSON, assessed_on="2026-03-02", by="township:lin",
                              items=[{"code": "cleaning", "times_per_month": 8},
                                     {"code": "meals"}], providers=[helper])
        assert card["status"] == "active" and card["service_no"] == f"FWK-{TOWNSHIP}-00001"

        clock.set(shanghai(3, 20, 18))
        clean = rpc.record_service(id_number=PERSON, service_item="cleaning", provider=helper,
                                   started_at=shanghai(3, 18, 9).isoformat(),
                                   ended_at=shanghai(3, 18, 11).isoformat(),
                                   recorded_by="helper-app", evidence_ref="SIGN-001")
        meals = rpc.record_service(id_number=PERSON, service_item="meals", provider=helper,
                                   started_at=shanghai(3, 19, 11, 30).isoformat(),
                                   ended_at=shanghai(3, 19, 12).isoformat(), quantity=2,
                                   recorded_by="helper-app")
        rpc.verify_record(record_id=clean["record_id"], verified_by="本人",
                          verifier_role="person")
        rpc.verify_record(record_id=meals["record_id"], verified_by="township:lin",
                          verifier_role="township_staff")
        verified = cdpf_view.wait_for(lambda e: e["type"] == "service.verified"
                                      and e["data"]["record_id"] == meals["record_id"],
                                      timeout=15)
        assert verified["data"]["amount"] == "25.00"

        clock.set(shanghai(4, 1, 2))
        closed = rpc.close_month(month="2026-03", division_code=TOWNSHIP,
                                 closed_by="township:lin")
        event = cdpf_view.wait_for(lambda e: e["type"] == "month.closed", timeout=15)
        assert event["id"] == closed["event_id"]
        assert event["source"] == f"services_log/{TOWNSHIP}"
        data = event["data"]
        assert (data["month"], data["records"], data["persons"]) == ("2026-03", 2, 1)
        assert data["total_amount"] == "85.00" and data["unverified"] == 0
        assert data["providers"] == [{
            "provider_kind": "neighbor", "provider_uscc": None, "provider_id_number": HELPER,
            "provider_name": "邻居李", "records": 2, "minutes": 150, "amount": "85.00"}]
        assert {(ln["service_item"], ln["quantity"], ln["amount"]) for ln in data["lines"]} == {
            ("cleaning", "2.00", "60.00"), ("meals", "2.00", "25.00")}
        assert {ln["id_number"] for ln in data["lines"]} == {PERSON}
        # funding pays the helper from month.closed (serve-then-subsidise)
        payout = funding_view.wait_for(lambda e: e["type"] == "payout.issued"
                                       and e["data"]["payee_id_number"] == HELPER, timeout=20)
        assert payout["data"]["amount"] == "85.00" and payout["data"]["month"] == "2026-03"
        recorded = [e for e in cdpf_view.poll() if e["type"] == "service.recorded"]
        assert {e["data"]["record_id"] for e in recorded} == {clean["record_id"],
                                                             meals["record_id"]}

        # death, from the health department's own system
        clock.set(shanghai(4, 10, 9))
        rpc.record_service(id_number=PERSON, service_item="cleaning", provider=helper,
                           started_at=shanghai(4, 3, 9).isoformat(),
                           ended_at=shanghai(4, 3, 10).isoformat(), recorded_by="helper-app")
        publish_as("health", "person.deceased", {"id_number": PERSON,
                                                 "date_of_death": "2026-04-05"})
        wait_for(lambda: card_status(rpc) == "ended", timeout=15, message="the card to end")
        card = rpc.get_card(id_number=PERSON)
        assert card["end_reason"] == "deceased" and card["ended_on"] == "2026-04-05"
        with pytest.raises(Conflict) as excinfo:
            rpc.record_service(id_number=PERSON, service_item="cleaning", provider=helper,
                               started_at=shanghai(4, 8, 9).isoformat(),
                               ended_at=shanghai(4, 8, 10).isoformat(), recorded_by="helper-app")
        assert excinfo.value.fields["reason"] == "after_death"
        assert "2026-04-05" in excinfo.value.detail
