"""Enrolment over time with a controllable clock: puyang-2020 §六 hand-over at
60 by the timer, luan-2021 §三(六) annual review due and completed, care-mode
change, exit; re-decision emits eligibility.changed only on change."""

from __future__ import annotations

from datetime import date

import eventlet
import pytest
from doudi_common.clock import clock_of
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_eligibility.testing import (
    DIVISIONS,
    HOME_VISIT,
    TODAY,
    assessment_data,
    caregiver_for,
    make_person,
)
from test_eligibility_chains import act, assess, events, file, puyang_certificate, register


@pytest.fixture
def fast_calendar(start_service):
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("eligibility", CALENDAR_INTERVAL=0.2)
    clock_of(container).set(TODAY)
    with ServiceRpcProxy("eligibility", container.config, timeout=20) as proxy:
        yield container, proxy


def enrol_puyang(rpc, born, seq=1):
    pid = register(rpc, "puyang-2020", seq=seq, born=born, hardship=["tekun"],
                   household={"no_close_relatives": True})
    app = file(rpc, pid, "day_care")
    app = act(rpc, app, "village_review", "village_clerk")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    for dept in ("cdpf", "civil_affairs", "health", "poverty_office"):
        app = act(rpc, app, "department_signoff", "department_liaison", data={"department": dept})
    return pid, act(rpc, app, "sign_agreement", "township_officer")


def test_puyang_person_turning_60_is_handed_over_by_the_timer(fast_calendar, publish_as,
                                                              event_tap):
    """puyang-2020 §六 年龄达到60周岁时,由民政部门接管……不再享受居家邻里照护或集中照料."""
    container, rpc = fast_calendar
    cdpf_view = event_tap("eligibility", ["person.handed_over", "enrolment.ended"], user="cdpf")
    pid = register(rpc, "puyang-2020", born="19660320", hardship=["registered_poor"],
                   household={"no_supporter": True, "health_stable": True})
    puyang_certificate(publish_as, pid)
    wait_for(lambda: "neighbor" in rpc.evaluate(pid)["care_modes"], timeout=15)
    app = file(rpc, pid, "neighbor", caregiver=caregiver_for("puyang-2020"))
    app = act(rpc, app, "village_review", "village_clerk")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    for dept in ("cdpf", "civil_affairs", "health", "poverty_office"):
        app = act(rpc, app, "department_signoff", "department_liaison", data={"department": dept})
    app = act(rpc, app, "sign_agreement", "township_officer", data={"agreement_no": "PY-ZH-01"})
    # a day-care person of the same age is not handed over (§六 names neighbour and centralised)
    other, _ = enrol_puyang(rpc, "19660320", seq=2)

    clock_of(container).set(date(2026, 3, 19))  # the day before the 60th birthday
    eventlet.sleep(0.6)  # the timer ticks every 0.2 s
    assert events(container, "person.handed_over") == []
    clock_of(container).set(date(2026, 3, 21))
    wait_for(lambda: events(container, "person.handed_over"), timeout=10,
             message="the calendar timer to hand the person over")
    (handed,) = events(container, "person.handed_over")
    seen = cdpf_view.wait_for(lambda e: e["type"] == "person.handed_over", timeout=10)
    assert seen["data"] == handed  # published as stored, seen by the department
    assert handed == {"id_number": pid, "division_code": DIVISIONS["puyang-2020"],
                      "handed_over_on": "2026-03-20", "age": 60, "to_status": "tekun",
                      "ended_care_modes": ["neighbor"], "clause": "puyang-2020 §六"}
    (ended,) = events(container, "enrolment.ended")
    assert ended["reason"] == "handed_over" and ended["ended_on"] == "2026-03-19"
    assert ended["enrolment_id"] == app["enrolment_id"]
    (enrolment,) = rpc.person_enrolments(pid)
    assert enrolment["status"] == "ended" and enrolment["end_reason"] == "handed_over"
    assert [e["status"] for e in rpc.person_enrolments(other)] == ["active"]
    person = rpc.get_person(pid)
    assert {"handed_over", "hardship"} <= {f["kind"] for f in person["facts"]}
    assert "neighbor" not in rpc.evaluate(pid)["care_modes"]
    # the timer keeps running: no second hand-over
    clock_of(container).set(date(2026, 3, 25))
    eventlet.sleep(0.6)
    assert len(events(container, "person.handed_over")) == 1


def test_annual_review_due_and_completed_changes_copay_band(fast_calendar, publish_as):
    """luan-2021 §三(六) 每年至少对养护对象家庭收入情况进行一次评估,
    依据评估结论及时调整……费用比例."""
    container, rpc = fast_calendar
    pid = register(rpc, "luan-2021", hardship=["dibao"])
    assess(container, publish_as, pid)
    app = file(rpc, pid, "centralized")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    app = act(rpc, app, "sign_agreement", "county_officer")
    enrolment_id = app["enrolment_id"]
    # a new assessment moves the enrolment's incapacity level (enrolment.changed)
    publish_as("health", "assessment.completed", {
        **assessment_data(pid, incapacity="partial", level=2, assessed_on="2026-03-10",
                          valid_until="2027-03-01"), "assessment_id": "PG-2"})
    wait_for(lambda: events(container, "enrolment.changed"), timeout=15)
    (moved,) = events(container, "enrolment.changed")
    assert moved["incapacity_level"] == "partial" and moved["care_mode"] == "centralized"
    clock_of(container).set(date(2027, 3, 10))
    wait_for(lambda: len(events(container, "review.due")) == 2, timeout=10,
             message="review.due")
    due = {e["kind"]: e for e in events(container, "review.due")}
    assert due["annual_income"] == {"enrolment_id": enrolment_id, "id_number": pid,
                                    "division_code": DIVISIONS["luan-2021"],
                                    "kind": "annual_income", "due_on": "2027-03-10"}
    assert due["incapacity"]["due_on"] == "2027-03-01"  # the assessment expired
    eventlet.sleep(0.5)
    assert len(events(container, "review.due")) == 2  # once per due date
    enrolment = rpc.complete_review(enrolment_id, "2027-03-12", "800.00", "王五")
    assert enrolment["copay_band"] == "B" and enrolment["next_review_on"] == "2028-03-12"
    (done,) = events(container, "review.completed")
    assert done == {"enrolment_id": enrolment_id, "id_number": pid,
                    "division_code": DIVISIONS["luan-2021"], "kind": "annual_income",
                    "completed_on": "2027-03-12", "income_per_head": "800.00",
                    "copay_band": "B", "previous_copay_band": None, "copay_share": "0.10",
                    "next_review_on": "2028-03-12", "clause": "luan-2021 §三(四)"}
    with pytest.raises(Invalid):
        rpc.complete_review(enrolment_id, "2027-04-01", "eight hundred", "王五")
    enrolment = rpc.complete_review(enrolment_id, "2027-04-01", "2500", "王五")
    assert enrolment["copay_band"] == "D"
    assert events(container, "review.completed")[-1]["previous_copay_band"] == "B"
    assert len(events(container, "enrolment.changed")) == 1  # the band is not the care
    with pytest.raises(Invalid):
        rpc.end_enrolment(enrolment_id, "deceased", "2027-04-02", "王五")  # deaths come from health
    enrolment = rpc.end_enrolment(enrolment_id, "improved", "2027-04-02", "王五",
                                  "county_officer", "康复后自理能力明显提高")
    assert enrolment["status"] == "ended"
    assert events(container, "enrolment.ended")[-1]["reason"] == "improved"
    with pytest.raises(Conflict):
        rpc.end_enrolment(enrolment_id, "voluntary_exit", "2027-04-03", "王五")


def test_care_mode_change_must_be_eligible(eligibility):
    container, rpc = eligibility
    pid = register(rpc, "hangzhou-2024", hardship=["tekun"])
    app = file(rpc, pid, "centralized")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    app = act(rpc, app, "sign_agreement", "county_officer")
    eid = app["enrolment_id"]
    with pytest.raises(Invalid):
        rpc.change_care_mode(eid, "neighbor", "2026-03-11", "想回家", "王五")
    with pytest.raises(Conflict):
        rpc.change_care_mode(eid, "centralized", "2026-03-11", "无变化", "王五")
    enrolment = rpc.change_care_mode(eid, "dispersed", "2026-03-11", "本人自愿回家分散供养",
                                     "王五")
    assert enrolment["care_mode"] == "dispersed"
    changed = events(container, "enrolment.changed")[-1]
    assert changed["previous_care_mode"] == "centralized" and changed["care_mode"] == "dispersed"
    assert [h["kind"] for h in enrolment["history"]] == ["started", "care_mode_changed"]
    # the tekun status ends: care is not ended by the machine but put up for county
    # review (exit after county review, luan-2021 §三(六) style)
    rpc.end_hardship(pid, "tekun", "2026-03-10", reason="复核不再符合特困条件")
    (due,) = events(container, "review.due")
    assert due["kind"] == "eligibility" and due["enrolment_id"] == eid
    assert rpc.get_enrolment(eid)["status"] == "active"


def test_redecision_emits_only_on_change(eligibility, publish_as):
    container, rpc = eligibility
    pid = register(rpc, "hangzhou-2024", hardship=["tekun"])
    assert len(events(container, "eligibility.changed")) == 1  # became eligible
    # the same registration again and a fact that changes nothing: no event, no new fact
    facts_before = len(rpc.get_person(pid)["facts"])
    register(rpc, "hangzhou-2024", hardship=["tekun"])
    assert len(rpc.get_person(pid)["facts"]) == facts_before
    publish_as("health", "hospital.admitted", {"id_number": pid, "on": "2026-03-09",
                                               "hospital_uscc": "12341500485912345J"})
    wait_for(lambda: count_rows(container, "person_facts", id_number=pid,
                                kind="hospital_admitted") == 1, timeout=15)
    assert len(events(container, "eligibility.changed")) == 1
    # the hardship status ends: eligibility is lost, announced once
    rpc.end_hardship(pid, "tekun", "2026-03-10", "civil_affairs", "收入超标")
    changed = events(container, "eligibility.changed")
    assert len(changed) == 2
    assert changed[-1]["eligible"] is False and changed[-1]["trigger"] == "hardship.ended"
    assert changed[-1]["previous_care_modes"] == ["centralized", "dispersed"]
    history = [f["kind"] for f in rpc.get_person(pid)["facts"]]
    assert history.count("hardship") == 1 and "hardship_ended" in history  # nothing overwritten
    assert rpc.evaluate(pid, "2026-03-09")["eligible"] is True
    # what was known: nothing had been recorded by 2020
    assert rpc.evaluate(pid, "2026-03-09", "2020-01-01")["eligible"] is False
    assert rpc.evaluate(pid, "2026-03-09", "2099-01-01T00:00:00+08:00")["eligible"] is True
    with pytest.raises(Invalid):
        rpc.evaluate(pid, "2026-03-09", "2020-01-01T00:00:00")  # no offset


def test_revoked_certificate_is_a_new_fact_and_redecides(eligibility, publish_as):
    _container, rpc = eligibility
    pid = make_person("puyang-2020", 7, "19800501")
    rpc.register_person({"id_number": pid, "name": "李明", "registration": "rural",
                         "division_code": DIVISIONS["puyang-2020"],
                         "hardship": [{"status": "dibao", "valid_from": "2025-01-01"}]})
    publish_as("cdpf", "certificate.issued", {
        "id_number": pid, "name": "李明", "certificate_no": pid + "61", "category": "mental",
        "grade": 1, "issued_on": "2026-01-01", "valid_until": None,
        "division_code": DIVISIONS["puyang-2020"]})
    wait_for(lambda: rpc.evaluate(pid)["eligible"], timeout=15)
    publish_as("cdpf", "certificate.revoked", {"id_number": pid, "certificate_no": pid + "61",
                                               "revoked_on": "2026-03-08", "reason": "复查不符"})
    wait_for(lambda: not rpc.evaluate(pid)["eligible"], timeout=15)
    kinds = [f["kind"] for f in rpc.get_person(pid)["facts"]]
    assert kinds.count("disability_certificate") == 1 and "disability_certificate_revoked" in kinds
    assert rpc.evaluate(pid, "2026-03-07")["eligible"] is True


def test_facts_before_registration_are_kept_and_adopted(eligibility, publish_as, dead_letters):
    """Health may assess a person before anyone registers them: the fact is kept,
    in order, and joins the history at registration."""
    container, rpc = eligibility
    pid = make_person("hangzhou-2024", 8)
    publish_as("health", "assessment.completed", assessment_data(pid))
    wait_for(lambda: count_rows(container, "pending_facts", id_number=pid) == 1, timeout=15)
    register(rpc, "hangzhou-2024", seq=8, hardship=["dibao"])
    assert count_rows(container, "pending_facts", id_number=pid) == 0
    assert rpc.evaluate(pid)["care_modes"] == ["centralized"]  # dibao + full incapacity
    kinds = [f["kind"] for f in rpc.get_person(pid)["facts"]]
    assert kinds[0] == "incapacity_assessment"
    # a death reported before registration counts from registration on
    late = make_person("hangzhou-2024", 9)
    publish_as("health", "person.deceased", {"id_number": late, "date_of_death": "2026-03-01"})
    wait_for(lambda: count_rows(container, "pending_facts", id_number=late) == 1, timeout=15)
    register(rpc, "hangzhou-2024", seq=9, hardship=["tekun"])
    assert rpc.get_person(late)["deceased_on"] == "2026-03-01"
    assert rpc.evaluate(late)["eligible"] is False
    assert dead_letters("eligibility") == []


def test_public_notice_csv_has_bom_and_masked_ids(eligibility):
    _container, rpc = eligibility
    ids = []
    for seq in (1, 2):
        pid = register(rpc, "hangzhou-2024", seq=seq, hardship=["tekun"], name=f"刘{seq}")
        app = file(rpc, pid, "centralized")
        app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
        act(rpc, app, "approve", "county_officer")
        ids.append(pid)
    # the gateway renders the notice's export from the list (doudi_gateway.exports)
    from doudi_gateway.exports import to_csv
    from doudi_gateway.reports import notice_table

    listed = rpc.public_notice_list(DIVISIONS["hangzhou-2024"][:9], "2026-03-01", "2026-03-31",
                                    per_page=500)["items"]
    raw = to_csv(notice_table(listed, DIVISIONS["hangzhou-2024"][:9], "2026-03", "test"))
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("申请编号,姓名,身份证号（脱敏）")
    assert len(lines) == 3 and "刘1" in lines[1] and "集中供养" in lines[1]
    for pid in ids:
        assert pid not in text
    assert "3301**********" in lines[1]
    page = rpc.public_notice_list(DIVISIONS["hangzhou-2024"][:9], "2026-03-01", "2026-03-31",
                                  page=2, per_page=1)
    assert page["total"] == 2 and len(page["items"]) == 1
    assert rpc.public_notice_list("330106002", "2026-03-01", "2026-03-31")["total"] == 0
    with pytest.raises(Invalid):
        rpc.public_notice_list("33x", "2026-03-01", "2026-03-31")


def test_pack_change_redecides_everyone_and_announces_only_changes(eligibility):
    """A pack change (luan-2021 v2 without the rural-only rule) re-decides every
    person through the same code path as the benchmark."""
    import copy

    from doudi_common.db import DatabaseCore
    from doudi_eligibility import store
    from doudi_eligibility.domain.packs import PackRegistry, pack_from_data
    from doudi_eligibility.models import metadata
    from doudi_eligibility.policy import default_registry, load_pack

    container, rpc = eligibility
    rural = register(rpc, "luan-2021", seq=1, hardship=["tekun"])
    urban = register(rpc, "luan-2021", seq=2, hardship=["tekun"], registration="urban")
    elsewhere = register(rpc, "hangzhou-2024", seq=3, hardship=["tekun"])
    before = len(events(container, "eligibility.changed"))
    assert rpc.redecide_all() == {"persons": 3, "changed": 0}  # nothing changed: no event
    assert len(events(container, "eligibility.changed")) == before

    data = copy.deepcopy(load_pack("luan-2021").data)
    data["version"] = "2"
    data["general_rules"] = [r for r in data["general_rules"] if r["id"] != "luan-rural"]
    data["general_rules"] = [r for r in data["general_rules"] if r["id"] != "luan-incapacitated"]
    changed = PackRegistry([p for p in default_registry().packs if p.id != "luan-2021"]
                           + [pack_from_data(data)])
    database = DatabaseCore(container.config["DB_URL"], "doudi_eligibility", "eligibility",
                            metadata)
    try:
        with database.unit_of_work() as uow:
            result = store.redecide_persons(uow, changed, TODAY, batch_size=2)
    finally:
        database.dispose()
    assert result == {"persons": 3, "changed": 2}  # both luan persons now under v2
    new = events(container, "eligibility.changed")[before:]
    assert {e["id_number"] for e in new} == {rural, urban}
    by_id = {e["id_number"]: e for e in new}
    assert by_id[urban]["eligible"] is True and by_id[urban]["previous_care_modes"] == []
    assert by_id[rural]["pack_version"] == "2" and by_id[rural]["trigger"] == "pack.changed"
    assert elsewhere not in by_id


def test_department_name_does_not_overwrite_the_registered_one(eligibility, publish_as):
    container, rpc = eligibility
    pid = register(rpc, "luan-2021", hardship=["dibao"], name="王秀英")
    publish_as("cdpf", "certificate.issued", {
        "id_number": pid, "name": "王秀瑛", "certificate_no": pid + "41", "category": "physical",
        "grade": 1, "issued_on": "2026-01-01", "valid_until": None, "division_code": "341502"})
    wait_for(lambda: count_rows(container, "person_facts", id_number=pid,
                                kind="disability_certificate") == 1, timeout=15)
    person = rpc.get_person(pid)
    assert person["name"] == "王秀英" and person["division_code"] == DIVISIONS["luan-2021"]
    cert = next(f for f in person["facts"] if f["kind"] == "disability_certificate")
    assert cert["payload"]["name_reported"] == "王秀瑛"
    assert len(events(container, "person.registered")) == 1
    page = rpc.list_persons(division_prefix="341500", eligible=True)
    assert page["total"] == 0  # no assessment yet
    page = rpc.list_persons(division_prefix="341500", name="秀英")
    assert page["total"] == 1 and page["items"][0]["id_number_masked"].startswith("3415")
    # the full number goes to the gateway only, which masks it and seals a link
    # (person_ref); what staff see of a list is tested there (tests/test_api_tour.py)
    assert page["items"][0]["id_number"] == pid
    with pytest.raises(Invalid):
        rpc.list_applications(status="lost")


def test_persons_are_found_by_hardship_care_mode_and_enrolment(eligibility):
    """The person list filters a county officer uses: who is tekun now (an
    ended status no longer counts), who is in centralised care, who is in care."""
    _, rpc = eligibility
    in_care = register(rpc, "hangzhou-2024", seq=41, hardship=["tekun"], name="甲")
    app = file(rpc, in_care, "centralized")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    act(rpc, app, "sign_agreement", "county_officer")
    waiting = register(rpc, "hangzhou-2024", seq=42, hardship=["tekun"], name="乙")
    ended = register(rpc, "hangzhou-2024", seq=43, hardship=["tekun", "dibao"], name="丙")
    rpc.end_hardship(ended, "tekun", "2026-03-01", reason="复核不再符合特困条件")

    def found(**kw):
        return {r["id_number"] for r in rpc.list_persons(division_prefix="330106", **kw)["items"]}

    assert found(hardship="tekun") == {in_care, waiting}
    assert found(hardship="dibao") == {ended}
    assert found(care_mode="centralized") == {in_care}
    assert found(care_mode="dispersed") == set()
    assert found(enrolled=True) == {in_care}
    assert found(enrolled=False) == {waiting, ended}
    assert found(hardship="tekun", enrolled=False) == {waiting}
    with pytest.raises(Invalid):
        rpc.list_persons(hardship="rich")
