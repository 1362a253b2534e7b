"""Service items and service cards (qingyunpu-2021 §四(三) §五): catalogue,
issue after assessment, one file per person in service-number order, and the
card following eligibility and health events."""

from __future__ import annotations

from collections import Counter

import pytest
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.testing.fixtures import publish_event, wait_for
from doudi_common.testing.idnumbers import make_id_number
from sl_testing import (
    LZ_VILLAGE,
    PERSON,
    PERSON2,
    QY_VILLAGE,
    at,
    neighbor,
    reason_of,
    record,
    volunteer,
)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises((Invalid, Conflict, NotFound)) as excinfo:
        call(*args, **kwargs)
    return reason_of(excinfo)


def test_catalogues(rpc):
    qy = rpc.list_items(jurisdiction="360104")
    assert len(qy) == 18
    assert Counter(i["category"] for i in qy) == {"daily_care": 7, "health_care": 6,
                                                  "capability": 5}
    assert {i["pack"] for i in qy} == {"qingyunpu-2021"}
    assert not any(i["paid_per_record"] for i in qy if i["category"] == "capability")
    lz = rpc.list_items(division_code=LZ_VILLAGE)
    assert [i["name"] for i in lz] == ["助餐", "助洁", "助行", "助浴", "助医", "康复", "护理"]
    assert {i["unit"] for i in lz} <= {"visit", "hour", "meal"}
    assert all(i["unit_price"] is None for i in lz)
    assert rpc.list_items(division_code="341502001001") == []
    assert len(rpc.list_items()) == 25
    assert len(rpc.list_items(division_code="100000")) == 25     # national user
    assert len(rpc.list_items(division_code="360000")) == 18     # 江西省
    assert len(rpc.list_items(division_code="620100")) == 7      # 兰州市
    priced = rpc.set_item_price(jurisdiction="620100", code="meals", unit_price="12.50",
                                by="county")
    assert priced["unit_price"] == "12.50"
    assert refused(rpc.set_item_price, jurisdiction="620100", code="meals", unit_price=12.5,
                   by="county") == "bad_amount"
    assert refused(rpc.set_item_price, jurisdiction="620100", code="skills",
                   unit_price="1.00", by="county") == "unknown_item"
    assert refused(rpc.set_item_price, jurisdiction="341500", code="meals",
                   unit_price="1.00", by="county") == "unknown_jurisdiction"


def test_issue_one_file_per_person_in_service_number_order(rpc):
    people = [make_id_number(region="620102", birth="19400101", seq=n) for n in (3, 1, 2)]
    issued = [rpc.issue_card(id_number=p, division_code=LZ_VILLAGE, assessed_on="2026-03-01",
                             by="township:lin", items=[{"code": "meals"}],
                             providers=[neighbor()])
              for p in people]
    assert [c["service_no"] for c in issued] == [
        "FWK-620102001-00001", "FWK-620102001-00002", "FWK-620102001-00003"]
    files = rpc.list_cards(division_code="620102", per_page=2)
    assert files["total"] == 3 and [c["id_number"] for c in files["items"]] == people[:2]
    assert rpc.list_cards(division_code="620102", page=2, per_page=2)["items"][0][
        "id_number"] == people[2]
    assert refused(rpc.issue_card, id_number=people[0], assessed_on="2026-03-01", by="lin",
                   items=[{"code": "meals"}], providers=[neighbor()]) == "already_issued"
    assert refused(rpc.issue_card, id_number=PERSON, division_code=LZ_VILLAGE,
                   assessed_on="2026-03-01", by="lin", items=[{"code": "skills"}],
                   providers=[neighbor()]) == "unknown_item"
    assert refused(rpc.issue_card, id_number=PERSON, division_code=LZ_VILLAGE,
                   assessed_on="2026-03-01", by="lin", items=[],
                   providers=[neighbor()]) == "no_items"
    assert refused(rpc.issue_card, id_number=PERSON, division_code=LZ_VILLAGE,
                   assessed_on="2026-03-01", by="lin", items=[{"code": "meals"}],
                   providers=[]) == "no_providers"
    assert refused(rpc.issue_card, id_number=PERSON, division_code=LZ_VILLAGE,
                   assessed_on="2026-04-01", by="lin", items=[{"code": "meals"}],
                   providers=[neighbor()]) == "in_future"
    assert refused(rpc.issue_card, id_number=PERSON, division_code="341502001001",
                   assessed_on="2026-03-01", by="lin", items=[{"code": "meals"}],
                   providers=[neighbor()]) == "unknown_jurisdiction"
    assert refused(rpc.issue_card, id_number=PERSON2, assessed_on="2026-03-01", by="lin",
                   items=[{"code": "meals"}], providers=[neighbor()]) == "unknown_person"
    # a Qingyunpu card uses the Qingyunpu catalogue and numbering
    qy = rpc.issue_card(id_number=PERSON2, division_code=QY_VILLAGE, assessed_on="2026-03-01",
                        by="lin", items=[{"code": "family_sickbed", "times_per_month": 4}],
                        providers=[volunteer()])
    assert qy["service_no"] == "FWK-360104001-00001" and qy["jurisdiction"] == "360104"
    assert qy["items"] == [{"code": "family_sickbed", "name": "家庭病床服务", "unit": "visit",
                            "times_per_month": 4}]
    changed = rpc.change_card(id_number=PERSON2, reason="复评", by="lin",
                              items=[{"code": "counselling"}])
    assert [i["code"] for i in changed["items"]] == ["counselling"]
    history = rpc.get_card(id_number=PERSON2)["history"]
    assert [h["action"] for h in history] == ["opened", "issued", "changed"]
    # the one-person file holds the copies and forms
    filed = rpc.add_card_document(id_number=PERSON2, kind="needs_form", ref="DOC-77",
                                  by="village:clerk")
    assert filed["documents"][0]["kind"] == "needs_form" and filed["documents"][0]["ref"] == \
        "DOC-77"
    assert refused(rpc.add_card_document, id_number=PERSON2, kind="selfie", ref="x",
                   by="clerk") == "bad_kind"


def test_eligibility_events_drive_the_card(svc, rpc, rabbit):
    from datetime import datetime

    from doudi_common.clock import SHANGHAI, clock_of

    clock_of(svc).set(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    publish_event(rabbit, "eligibility", "person.registered", {
        "id_number": PERSON, "name": "张大爷", "birth_date": "1945-03-01", "sex": "male",
        "division_code": LZ_VILLAGE, "source_event": None})
    publish_event(rabbit, "eligibility", "enrolment.started", {
        "enrolment_id": "ENR-1", "id_number": PERSON, "division_code": LZ_VILLAGE,
        "care_mode": "home_visit", "hardship": ["tekun"], "incapacity_level": "partial",
        "started_on": "2026-03-01", "application_id": None, "institution_uscc": None})
    card = wait_for(lambda: _card(rpc, PERSON), message="a pending card")
    assert card["status"] == "pending_assessment" and card["service_no"] is None
    assert card["enrolment_id"] == "ENR-1" and card["care_mode"] == "home_visit"
    card = rpc.issue_card(id_number=PERSON, assessed_on="2026-03-02", by="township:lin",
                          items=[{"code": "cleaning"}], providers=[neighbor()])
    assert card["status"] == "active" and card["name"] == "张大爷"
    clock_of(svc).set(datetime(2026, 3, 20, 10, tzinfo=SHANGHAI))
    record(rpc, at(5, 9), at(5, 10))

    publish_event(rabbit, "eligibility", "enrolment.changed", {
        "enrolment_id": "ENR-1", "id_number": PERSON, "division_code": LZ_VILLAGE,
        "care_mode": "centralized", "previous_care_mode": "home_visit",
        "incapacity_level": "full", "changed_on": "2026-03-15", "reason": "失能加重"})
    wait_for(lambda: _card(rpc, PERSON)["status"] == "suspended", message="suspension")
    assert refused(record, rpc, at(16, 9), at(16, 10)) == "card_suspended"
    rpc.change_card(id_number=PERSON, reason="重新评估", by="township:lin")

    publish_event(rabbit, "eligibility", "enrolment.ended", {
        "enrolment_id": "ENR-1", "id_number": PERSON, "division_code": LZ_VILLAGE,
        "care_mode": "centralized", "ended_on": "2026-03-17", "reason": "voluntary_exit",
        "note": None})
    card = wait_for(lambda: (c := _card(rpc, PERSON))["status"] == "ended" and c,
                    message="the end")
    assert card["ended_on"] == "2026-03-17" and card["end_reason"] == "voluntary_exit"
    assert refused(record, rpc, at(18, 9), at(18, 10)) == "card_ended"
    record(rpc, at(17, 9), at(17, 10))   # a late entry for a day still covered
    history = [h["action"] for h in rpc.get_card(id_number=PERSON)["history"]]
    assert history == ["opened", "issued", "suspended", "changed", "ended"]
    # a new enrolment reopens the same file with the same service number
    publish_event(rabbit, "eligibility", "enrolment.started", {
        "enrolment_id": "ENR-2", "id_number": PERSON, "division_code": LZ_VILLAGE,
        "care_mode": "neighbor", "hardship": ["tekun"], "incapacity_level": "full",
        "started_on": "2026-03-19", "application_id": None, "institution_uscc": None})
    card = wait_for(lambda: (c := _card(rpc, PERSON))["status"] == "pending_assessment" and c,
                    message="reopened")
    assert card["service_no"] == "FWK-620102001-00001"
    # a hand-over that ends this care mode ends the card the day before
    publish_event(rabbit, "eligibility", "person.handed_over", {
        "id_number": PERSON, "division_code": LZ_VILLAGE, "handed_over_on": "2026-03-20",
        "age": 81, "to_status": "tekun", "ended_care_modes": ["neighbor"],
        "clause": "puyang-2020 §六"})
    card = wait_for(lambda: (c := _card(rpc, PERSON))["status"] == "ended" and c,
                    message="hand-over")
    assert (card["end_reason"], card["ended_on"]) == ("handed_over", "2026-03-19")


def test_death_from_health_ends_card(svc, rpc, card, publish_as, dead_letters):
    record(rpc, at(5, 9), at(5, 10))
    rpc.set_visit_schedule(id_number=PERSON, every_days=7, kind="regular", by="lin",
                           start_on="2026-03-01")
    assert rpc.list_overdue_visits(division_code="620102")["total"] == 1
    publish_as("health", "person.deceased", {"id_number": PERSON, "date_of_death": "2026-03-12"})
    ended = wait_for(lambda: (c := _card(rpc, PERSON))["status"] == "ended" and c,
                     message="the card to end")
    assert ended["end_reason"] == "deceased" and ended["date_of_death"] == "2026-03-12"
    assert refused(record, rpc, at(13, 9), at(13, 10)) == "after_death"
    record(rpc, at(12, 9), at(12, 10))     # the day of death itself is still covered
    assert rpc.list_overdue_visits(division_code="620102")["total"] == 0   # no more visits
    assert refused(rpc.record_visit, id_number=PERSON, visited_on="2026-03-13",
                   visitor=neighbor(), content="x", by="community") == "after_death"
    assert refused(rpc.issue_card, id_number=PERSON, assessed_on="2026-03-15", by="lin",
                   items=[{"code": "meals"}], providers=[neighbor()]) == "after_death"
    # other health events are taken and ignored; unknown types are dead-lettered
    publish_as("health", "hospital.admitted", {"id_number": PERSON,
                                               "hospital_uscc": "12341500485912345J",
                                               "on": "2026-03-10"})
    publish_as("health", "person.teleported", {"id_number": PERSON})
    letters = wait_for(lambda: dead_letters("services_log"), message="a dead letter")
    assert [reason for reason, _, _ in letters] == ["unknown_type"]
    history = wait_for(lambda: [h for h in rpc.get_card(id_number=PERSON)["history"]
                                if h["action"] == "hospital_admitted"], message="the stay")
    assert history[0]["detail"]["on"] == "2026-03-10"


def _card(rpc, id_number):
    try:
        return rpc.get_card(id_number=id_number)
    except NotFound:
        return None
