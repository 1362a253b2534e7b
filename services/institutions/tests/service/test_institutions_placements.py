"""Placements against PostgreSQL: capacity, one open placement per person,
infection blocks admission (puyang-2020 §四(四)), transfer only with consent
(hangzhou-2024 §五(三)), hospital absence, discharge."""

from __future__ import annotations

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.testing import open_home

DIV = "341502001001"


def person(seq):
    return make_id_number(seq=seq)


def admit(rpc, id_number, uscc, **kw):
    args = {"id_number": id_number, "uscc": uscc, "admitted_on": "2026-03-02",
            "care_level": "full", "division_code": DIV, **kw}
    return rpc.admit(**args)


def test_admit_prices_bed_and_emits(institutions):
    container, rpc = institutions
    home = open_home(rpc, beds=2)
    placement = admit(rpc, person(1), home, health_record_ref="HR-1", rehab_plan_ref="RP-1")
    assert placement["status"] == "open"
    assert placement["bed_no"] == "1-101-1"
    assert placement["monthly_price"] == "2650.00"        # 800 bed + 1200 nursing + 650 meals
    assert placement["health_record_ref"] == "HR-1"
    updated = rpc.update_placement(placement_id=placement["placement_id"], rehab_plan_ref="RP-2")
    assert (updated["health_record_ref"], updated["rehab_plan_ref"]) == ("HR-1", "RP-2")
    assert "*" in placement["id_number_masked"]
    assert count_rows(container, "outbox", event_type="placement.admitted") == 1
    beds = rpc.list_beds(uscc=home, status="occupied")
    assert beds["total"] == 1 and beds["items"][0]["placement_id"] == placement["placement_id"]


def test_capacity_enforced(institutions):
    _, rpc = institutions
    home = open_home(rpc, beds=1)
    admit(rpc, person(1), home)
    with pytest.raises(Conflict) as exc:
        admit(rpc, person(2), home)
    assert exc.value.fields["reason"] == "no_free_bed"
    assert rpc.list_placements(uscc=home)["total"] == 1


def test_out_of_service_bed_not_used(institutions):
    _, rpc = institutions
    home = open_home(rpc, beds=1)
    rpc.set_bed_status(uscc=home, bed_no="1-101-1", status="out_of_service")
    with pytest.raises(Conflict) as exc:
        admit(rpc, person(1), home)
    assert exc.value.fields["reason"] == "no_free_bed"


def test_one_open_placement_per_person(institutions):
    _, rpc = institutions
    a, b = open_home(rpc, n=1), open_home(rpc, n=2)
    admit(rpc, person(1), a)
    with pytest.raises(Conflict) as exc:
        admit(rpc, person(1), b)
    assert exc.value.fields["reason"] == "already_placed"
    assert rpc.list_placements(id_number=person(1))["total"] == 1


def test_infection_blocks_admission_until_cleared(institutions, publish_as):
    container, rpc = institutions
    home = open_home(rpc)
    idn = person(3)
    publish_as("health", "infection.flagged", {"id_number": idn, "disease_code": "A15.0",
                                               "on": "2026-03-01"})
    wait_for(lambda: count_rows(container, "infections", id_number=idn) == 1)
    with pytest.raises(Conflict) as exc:
        admit(rpc, idn, home)
    assert exc.value.fields["reason"] == "infection_open"
    publish_as("health", "infection.cleared", {"id_number": idn, "disease_code": "A15.0",
                                               "on": "2026-03-02"})
    wait_for(lambda: count_rows(container, "infections", id_number=idn,
                                cleared_on="2026-03-02") == 1)
    assert admit(rpc, idn, home)["status"] == "open"


def test_transfer_needs_recorded_consent(institutions):
    container, rpc = institutions
    a, b = open_home(rpc, n=1), open_home(rpc, n=2)
    idn = person(4)
    placement = admit(rpc, idn, a)
    with pytest.raises(Conflict) as exc:
        rpc.transfer(placement_id=placement["placement_id"], to_uscc=b,
                     transferred_on="2026-03-10")
    assert exc.value.fields["reason"] == "no_consent"
    rpc.record_consent(id_number=idn, to_uscc=b, given=False, recorded_on="2026-03-05")
    with pytest.raises(Conflict):
        rpc.transfer(placement_id=placement["placement_id"], to_uscc=b,
                     transferred_on="2026-03-10")
    assert rpc.get_placement(placement_id=placement["placement_id"])["status"] == "open"
    rpc.record_consent(id_number=idn, to_uscc=b, given=True, recorded_on="2026-03-06",
                       recorded_by="李干事")
    moved = rpc.transfer(placement_id=placement["placement_id"], to_uscc=b,
                         transferred_on="2026-03-10")
    assert moved["uscc"] == b and moved["transferred_from"] == placement["placement_id"]
    old = rpc.get_placement(placement_id=placement["placement_id"])
    assert old["status"] == "closed" and old["discharge_reason"] == "transferred"
    # the last day at the old home is the day before the move: no day counted twice
    assert (old["discharged_on"], moved["admitted_on"]) == ("2026-03-09", "2026-03-10")
    assert count_rows(container, "outbox", event_type="placement.transferred") == 1


def test_discharge_frees_bed_and_checks_dates(institutions):
    container, rpc = institutions
    home = open_home(rpc, beds=1)
    placement = admit(rpc, person(5), home)
    with pytest.raises(Invalid):
        rpc.discharge(placement_id=placement["placement_id"], discharged_on="2026-03-01",
                      reason="voluntary")
    with pytest.raises(Invalid):
        rpc.discharge(placement_id=placement["placement_id"], discharged_on="2026-03-05",
                      reason="bored")
    done = rpc.discharge(placement_id=placement["placement_id"], discharged_on="2026-03-05",
                         reason="hospital_long_stay")
    assert done["status"] == "closed" and done["discharge_reason"] == "hospital_long_stay"
    with pytest.raises(Conflict):
        rpc.discharge(placement_id=placement["placement_id"], discharged_on="2026-03-06",
                      reason="voluntary")
    assert admit(rpc, person(6), home)["bed_no"] == "1-101-1"
    assert count_rows(container, "outbox", event_type="placement.discharged") == 1


def test_hospital_stay_is_a_temporary_absence(institutions, publish_as):
    _container, rpc = institutions
    home = open_home(rpc)
    idn = person(7)
    placement = admit(rpc, idn, home)
    hospital = "12341500485912345J"
    publish_as("health", "hospital.admitted", {"id_number": idn, "hospital_uscc": hospital,
                                               "on": "2026-03-03"})
    wait_for(lambda: rpc.get_placement(placement_id=placement["placement_id"])["away"])
    publish_as("health", "hospital.discharged", {"id_number": idn, "hospital_uscc": hospital,
                                                 "on": "2026-03-09"})
    wait_for(lambda: not rpc.get_placement(placement_id=placement["placement_id"])["away"])
    view = rpc.get_placement(placement_id=placement["placement_id"])
    assert view["status"] == "open"
    assert view["absences"] == [{"kind": "hospital", "hospital_uscc": hospital,
                                 "from": "2026-03-03", "until": "2026-03-09"}]


def test_suspended_institution_refuses(institutions):
    _, rpc = institutions
    home = open_home(rpc)
    rpc.set_status(uscc=home, status="suspended", on="2026-03-02", reason="消防检查不合格")
    with pytest.raises(Conflict) as exc:
        admit(rpc, person(8), home)
    assert exc.value.fields["reason"] == "institution_not_open"


def test_unknown_person_needs_division(institutions):
    _, rpc = institutions
    home = open_home(rpc)
    with pytest.raises(Invalid) as exc:
        rpc.admit(id_number=person(9), uscc=home, admitted_on="2026-03-02", care_level="full")
    assert exc.value.fields["reason"] == "unknown_person"


def test_list_placements_active_in_month_and_jurisdiction(institutions):
    _, rpc = institutions
    home = open_home(rpc, beds=3)
    gone = admit(rpc, person(11), home, admitted_on="2026-03-02")
    rpc.discharge(placement_id=gone["placement_id"], discharged_on="2026-03-20",
                  reason="voluntary")
    admit(rpc, person(12), home, admitted_on="2026-04-05")
    march = rpc.list_placements(uscc=home, active_in="2026-03")
    april = rpc.list_placements(uscc=home, active_in="2026-04")
    assert [p["placement_id"] for p in march["items"]] == [gone["placement_id"]]
    assert april["total"] == 1 and april["items"][0]["admitted_on"] == "2026-04-05"
    assert rpc.list_placements(division_code="341500")["total"] == 2
    assert rpc.list_placements(division_code="330100")["total"] == 0
    with pytest.raises(Invalid):
        rpc.list_placements(active_in="2026-13")


def _enrolment(seq, home, **kw):
    return {"enrolment_id": f"ENR-{seq}", "id_number": person(seq), "division_code": DIV,
            "care_mode": "centralized", "hardship": ["tekun"], "incapacity_level": "partial",
            "started_on": "2026-03-02", "institution_uscc": home, **kw}


def test_enrolment_lifecycle_admits_and_discharges(institutions, rabbit):
    from doudi_common.testing.fixtures import publish_event

    container, rpc = institutions
    home = open_home(rpc, beds=3)
    for seq in (21, 22):
        publish_event(rabbit, "eligibility", "enrolment.started", _enrolment(seq, home))
    # the same enrolment announced twice is placed once
    publish_event(rabbit, "eligibility", "enrolment.started", _enrolment(21, home))
    wait_for(lambda: count_rows(container, "placements", status="open") == 2, timeout=15)
    placed = rpc.list_placements(id_number=person(21))["items"][0]
    assert placed["care_level"] == "partial" and placed["enrolment_id"] == "ENR-21"

    publish_event(rabbit, "eligibility", "enrolment.ended", {
        "enrolment_id": "ENR-21", "id_number": person(21), "division_code": DIV,
        "care_mode": "centralized", "ended_on": "2026-03-15", "reason": "voluntary_exit",
        "note": None})
    publish_event(rabbit, "eligibility", "enrolment.changed", {
        "enrolment_id": "ENR-22", "id_number": person(22), "division_code": DIV,
        "care_mode": "neighbor", "previous_care_mode": "centralized",
        "incapacity_level": "partial", "changed_on": "2026-03-20", "reason": "本人申请回家"})
    wait_for(lambda: count_rows(container, "placements", status="open") == 0, timeout=15)
    reasons = {p["enrolment_id"]: (p["discharge_reason"], p["discharged_on"])
               for p in rpc.list_placements(uscc=home)["items"]}
    assert reasons == {"ENR-21": ("voluntary", "2026-03-15"),
                       "ENR-22": ("care_mode_changed", "2026-03-20")}
    assert count_rows(container, "admission_requests", status="admitted") == 2
    assert count_rows(container, "admission_requests", status="refused") == 0


def test_concurrent_admissions_never_overfill(institutions):
    """Six admissions at once for two beds: exactly two win, the rest are told
    there is no free bed (the institution row is locked while a bed is chosen)."""
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    container, rpc = institutions
    home = open_home(rpc, beds=2)

    def try_admit(seq):
        with ServiceRpcProxy("institutions", container.config, timeout=20) as own:
            try:
                return admit(own, person(40 + seq), home)["bed_no"]
            except Conflict as exc:
                return exc.fields["reason"]

    pool = eventlet.GreenPool(6)
    results = list(pool.imap(try_admit, range(6)))
    assert sorted(r for r in results if r.startswith("1-101")) == ["1-101-1", "1-101-2"]
    assert sorted(r for r in results if not r.startswith("1-101")) == ["no_free_bed"] * 4
    assert count_rows(container, "placements", status="open") == 2
