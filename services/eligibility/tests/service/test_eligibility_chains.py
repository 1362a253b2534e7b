"""Each jurisdiction's application chain through the real service (PostgreSQL,
RabbitMQ): happy path to enrolment, rejection,
illegal transitions, consent; the standing public list."""

from __future__ import annotations

import pytest
from doudi_common.errors import Conflict, Forbidden, Invalid
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_eligibility.testing import (
    CONSENT,
    DIVISIONS,
    HOME_VISIT,
    TODAY,
    assessment_data,
    caregiver_for,
    make_person,
)


def register(rpc, pack, seq=1, born="19520314", hardship=(), household=None,
             registration="rural", name="张桂兰"):
    id_number = make_person(pack, seq, born)
    rpc.register_person({
        "id_number": id_number, "name": name, "division_code": DIVISIONS[pack],
        "registration": registration, "actor": "clerk01",
        "household": household or {},
        "hardship": [{"status": s, "source": "civil_affairs", "valid_from": "2025-01-01"}
                     for s in hardship]})
    return id_number


def assess(container, publish_as, id_number, **kw):
    publish_as("health", "assessment.completed", assessment_data(id_number, **kw))
    wait_for(lambda: count_rows(container, "person_facts", id_number=id_number,
                                kind="incapacity_assessment") == 1, timeout=15,
             message="the assessment to be recorded")


def file(rpc, id_number, care_mode, **kw):
    return rpc.file_application({"id_number": id_number, "care_mode": care_mode,
                                 "submitted_by": "clerk01", "submitted_role": "village_clerk",
                                 "channel": "clerk", "consent": CONSENT,
                                 "documents": ["household_register", "id_card",
                                               "disability_certificate", "poverty_proof"],
                                 **kw})


def act(rpc, app, action, role, comment=None, data=None, actor="officer"):
    return rpc.act_on_application(app["application_id"], action, actor, role, comment, data)


def events(container, type_):
    import sqlalchemy as sa
    from doudi_common.testing.fixtures import db_engine

    with db_engine(container).connect() as conn:
        rows = conn.execute(sa.text("SELECT envelope FROM outbox WHERE event_type = :t "
                                    "ORDER BY seq"), {"t": type_}).scalars().all()
    import json
    return [json.loads(r)["data"] for r in rows]


def puyang_certificate(publish_as, pid: str) -> None:
    """A grade-1 physical disability certificate from CDPF for a Puyang person."""
    publish_as("cdpf", "certificate.issued", {
        "id_number": pid, "name": "张桂兰", "certificate_no": pid + "41", "category": "physical",
        "grade": 1, "issued_on": "2026-01-01", "valid_until": None,
        "division_code": DIVISIONS["puyang-2020"]})


def test_luan_chain_township_county_agreement(eligibility, publish_as):
    """luan-2021 §三(六): 申请 → 乡镇初核申报 → 县民政局审批 → 签订协议 → 入住."""
    container, rpc = eligibility
    pid = register(rpc, "luan-2021", hardship=["dibao"])
    assert rpc.evaluate(pid)["eligible"] is False
    assess(container, publish_as, pid)
    assert rpc.evaluate(pid)["care_modes"] == ["centralized"]
    app = file(rpc, pid, "centralized", institution_uscc="12341500MB1234567G")
    assert app["state"] == "submitted" and app["next_actions"][0] == "township_check"
    with pytest.raises(Conflict):  # no village review in this chain
        act(rpc, app, "village_review", "village_clerk")
    with pytest.raises(Conflict):  # the county cannot approve before the township check
        act(rpc, app, "approve", "county_officer")
    with pytest.raises(Invalid):  # township check needs the home visit and needs assessment
        act(rpc, app, "township_check", "township_officer", data={})
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    with pytest.raises(Forbidden):
        act(rpc, app, "approve", "village_clerk")
    app = act(rpc, app, "approve", "county_officer", comment="同意")
    assert app["state"] == "approved" and app["approved_on"] == TODAY.isoformat()
    approved = events(container, "application.approved")[-1]
    assert "luan-2021 §三(一)" in approved["clauses"] and "luan-2021 §三(六)" in approved["clauses"]
    app = act(rpc, app, "sign_agreement", "county_officer", data={"agreement_no": "XY-1"})
    assert app["state"] == "enrolled" and app["enrolment_id"]
    with pytest.raises(Conflict):
        act(rpc, app, "sign_agreement", "county_officer")
    started = events(container, "enrolment.started")[-1]
    assert started["care_mode"] == "centralized"
    assert started["institution_uscc"] == "12341500MB1234567G"
    assert started["hardship"] == ["dibao"] and started["incapacity_level"] == "full"
    (enrolment,) = rpc.person_enrolments(pid)
    assert enrolment["next_review_on"] == TODAY.replace(year=TODAY.year + 1).isoformat()
    steps = rpc.get_application(app["application_id"])["steps"]
    assert [s["action"] for s in steps] == ["submit", "township_check", "approve",
                                            "sign_agreement"]
    assert steps[1]["role"] == "township_officer" and steps[1]["data"]["home_visit"]["by"]
    # a second application for the same care mode while enrolled
    with pytest.raises(Conflict):
        file(rpc, pid, "centralized")


def test_luan_rejection_with_reason(eligibility, publish_as):
    container, rpc = eligibility
    pid = register(rpc, "luan-2021", hardship=["tekun"])
    assess(container, publish_as, pid, incapacity="partial", level=2)
    app = file(rpc, pid, "centralized")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    with pytest.raises(Invalid):
        act(rpc, app, "reject", "county_officer")  # a reason is required
    app = act(rpc, app, "reject", "county_officer", comment="家庭可提供照料，暂不纳入")
    assert app["state"] == "rejected" and app["reason"] == "家庭可提供照料，暂不纳入"
    assert app["next_actions"] == []
    rejected = events(container, "application.rejected")[-1]
    assert rejected["reason"] == "家庭可提供照料，暂不纳入" and rejected["decision_id"]
    for action, role in (("approve", "county_officer"), ("sign_agreement", "county_officer"),
                         ("withdraw", "village_clerk")):
        with pytest.raises(Conflict):
            act(rpc, app, action, role)
    # a new application may be filed after a rejection
    assert file(rpc, pid, "centralized")["state"] == "submitted"


def test_consent_and_eligibility_are_checked_at_filing(eligibility):
    """luan-2021 §二(二)2 申请……由群众自主决定: no consent, no application."""
    container, rpc = eligibility
    pid = register(rpc, "hangzhou-2024", hardship=["tekun"])
    with pytest.raises(Invalid) as exc:
        file(rpc, pid, "centralized", consent={"given": False, "by": "本人"})
    assert exc.value.fields["field"] == "consent"
    with pytest.raises(Invalid):
        file(rpc, pid, "centralized", consent=None)
    with pytest.raises(Invalid) as exc:  # hangzhou has no neighbour care
        file(rpc, pid, "neighbor")
    assert exc.value.fields["allowed"] == ["centralized", "dispersed"]
    other = register(rpc, "hangzhou-2024", seq=2, hardship=["dibao"])
    with pytest.raises(Invalid) as exc:  # dibao but not fully incapacitated elderly
        file(rpc, other, "centralized")
    assert any(r["clause"].startswith("hangzhou-2024") for r in exc.value.fields["failed_rules"]) \
        or "不符合" in str(exc.value)
    app = file(rpc, pid, "centralized")
    assert app["consent"]["clause"] == "hangzhou-2024 §五(三)"
    with pytest.raises(Conflict):  # one open application per care mode
        file(rpc, pid, "centralized")
    assert count_rows(container, "applications") == 1


def test_hangzhou_chain(eligibility):
    """hangzhou-2024 §三(一): a willing tekun is admitted (乡镇 → 县级民政部门安排)."""
    container, rpc = eligibility
    pid = register(rpc, "hangzhou-2024", hardship=["tekun"], registration="urban")
    app = file(rpc, pid, "centralized")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    app = act(rpc, app, "sign_agreement", "township_officer")
    assert app["state"] == "enrolled"
    assert events(container, "enrolment.started")[-1]["hardship"] == ["tekun"]


def test_puyang_chain_with_four_department_signoff(eligibility):
    """puyang-2020 §七: 村委会初审 → 乡镇残联复审 → 残联、民政、卫健、扶贫 审批确认 → 协议."""
    container, rpc = eligibility
    pid = register(rpc, "puyang-2020", born="19800501", hardship=["tekun"],
                   household={"no_close_relatives": True})
    app = file(rpc, pid, "day_care", channel="guardian", submitted_role="guardian",
               documents=["household_register", "disability_certificate", "id_card",
                          "poverty_proof"])
    with pytest.raises(Conflict):  # village review comes first
        act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "village_review", "village_clerk", comment="初审通过")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    assert "approve" not in app["next_actions"]  # the departments approve, not the county alone
    with pytest.raises(Conflict):
        act(rpc, app, "approve", "county_officer")
    with pytest.raises(Invalid):
        act(rpc, app, "department_signoff", "department_liaison", data={"department": "finance"})
    for dept in ("cdpf", "civil_affairs", "health"):
        app = act(rpc, app, "department_signoff", "department_liaison", data={"department": dept})
        assert app["state"] == "township_checked"
    with pytest.raises(Conflict):  # the same department twice
        act(rpc, app, "department_signoff", "department_liaison", data={"department": "cdpf"})
    assert events(container, "application.approved") == []
    app = act(rpc, app, "department_signoff", "department_liaison",
              data={"department": "poverty_office"})
    assert app["state"] == "approved" and set(app["signoffs"]) == {
        "cdpf", "civil_affairs", "health", "poverty_office"}
    assert events(container, "application.approved")[-1]["policy_pack"] == "puyang-2020"
    app = act(rpc, app, "sign_agreement", "township_officer")
    assert app["state"] == "enrolled"
    # §四(二): in day care, the person is not also filed for neighbour care
    with pytest.raises(Conflict) as exc:
        file(rpc, pid, "neighbor", caregiver=caregiver_for("puyang-2020"))
    assert exc.value.fields["clause"] == "puyang-2020 §四(二)"
    assert rpc.list_applications(division_prefix="410928")["total"] == 1  # nothing filed


def test_puyang_centralised_refused_while_infected(eligibility, publish_as):
    """puyang-2020 §四(四) 无传染疾病: an infection flagged while the case is under review
    stops the approval; filing is refused while it lasts."""
    container, rpc = eligibility
    pid = register(rpc, "puyang-2020", born="19800501", hardship=["registered_poor"],
                   household={"no_supporter": True, "health_stable": True})
    puyang_certificate(publish_as, pid)
    wait_for(lambda: "centralized" in rpc.evaluate(pid)["care_modes"], timeout=15)
    app = file(rpc, pid, "centralized")
    app = act(rpc, app, "village_review", "village_clerk")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    for dept in ("cdpf", "civil_affairs", "health"):
        app = act(rpc, app, "department_signoff", "department_liaison", data={"department": dept})
    publish_as("health", "infection.flagged", {"id_number": pid, "disease_code": "A15.0",
                                               "on": "2026-03-05"})
    wait_for(lambda: "centralized" not in rpc.evaluate(pid)["care_modes"], timeout=15)
    with pytest.raises(Conflict) as exc:
        act(rpc, app, "department_signoff", "department_liaison",
            data={"department": "poverty_office"})
    assert "puyang-2020 §四(四)" in [r["clause"] for r in exc.value.fields["failed_rules"]]
    assert rpc.get_application(app["application_id"])["state"] == "township_checked"
    app = act(rpc, app, "reject", "department_liaison", comment="患传染病，暂不符合集中照料条件")
    assert events(container, "application.rejected")[-1]["clauses"] == [
        "puyang-2020 §四(四)"]
    with pytest.raises(Invalid) as exc:
        file(rpc, pid, "centralized")
    assert "puyang-2020 §四(四)" in [r["clause"] for r in exc.value.fields["failed_rules"]]
    changed = events(container, "eligibility.changed")
    assert changed[-1]["trigger"] == "infection.flagged"
    assert "centralized" in changed[-1]["previous_care_modes"]


def test_qingyunpu_chain_and_the_standing_public_list(eligibility, publish_as):
    """qingyunpu-2021 §五: approved by the district, then the service agreement — no
    notice period; §五6 长期公示: recipients stay on their village's standing list
    for as long as they receive services."""
    container, rpc = eligibility
    village = DIVISIONS["qingyunpu-2021"]
    pid = register(rpc, "qingyunpu-2021", hardship=["dibao"], registration="urban",
                   household={"no_carer": True})
    assess(container, publish_as, pid)
    app = file(rpc, pid, "home_visit")
    app = act(rpc, app, "village_review", "village_clerk")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    assert app["state"] == "approved" and app["notice_until"] is None
    assert rpc.standing_notice_list(village)["total"] == 0  # not yet receiving services
    app = act(rpc, app, "sign_agreement", "township_officer")
    assert app["state"] == "enrolled"
    for code in (village, village[:9], village[:6]):
        standing = rpc.standing_notice_list(code)
        assert standing["total"] == 1, code
    (row,) = standing["items"]
    assert row["clause"] == "qingyunpu-2021 §五6" and row["care_mode"] == "home_visit"
    assert row["since"] == TODAY.isoformat() and row["id_number_masked"].startswith("3601")
    assert pid not in str(standing)
    assert rpc.standing_notice_list("360104001002")["total"] == 0  # another village
    with pytest.raises(Invalid):
        rpc.standing_notice_list("36010")
    (enrolment,) = rpc.person_enrolments(pid)
    rpc.end_enrolment(enrolment["enrolment_id"], "improved", TODAY.isoformat(), "王五",
                      "county_officer", "自理能力恢复")
    assert rpc.standing_notice_list(village)["total"] == 0  # off the list when it ends


def test_qingyunpu_2021_s5_5_services_stop_when_the_assistance_status_ends(eligibility):
    """qingyunpu-2021 §五5 根据其社会救助对象身份动态管理情况及时按程序变更或停止救助服务: the
    enrolment ends at once (the service card follows enrolment.ended); under luan-2021
    §三(六) the county reviews instead (review.due, the enrolment stays)."""
    container, rpc = eligibility
    pid = register(rpc, "qingyunpu-2021", hardship=["dibao"], registration="urban",
                   household={"sudden_no_carer": True})
    app = file(rpc, pid, "home_visit")
    for action, role, data in (("village_review", "village_clerk", None),
                               ("township_check", "township_officer", HOME_VISIT),
                               ("approve", "county_officer", None),
                               ("sign_agreement", "township_officer", None)):
        app = act(rpc, app, action, role, data=data)
    rpc.end_hardship(pid, "dibao", TODAY.isoformat(), reason="家庭收入超过低保标准")
    (enrolment,) = rpc.person_enrolments(pid)
    assert enrolment["status"] == "ended" and enrolment["end_reason"] == "no_longer_eligible"
    ended = events(container, "enrolment.ended")[-1]
    assert ended["id_number"] == pid and "qingyunpu-2021 §五5" in ended["note"]
    assert [e for e in events(container, "review.due") if e["id_number"] == pid] == []
    assert rpc.standing_notice_list(DIVISIONS["qingyunpu-2021"])["total"] == 0


def test_lanzhou_chain_and_priority(eligibility, publish_as):
    """lanzhou-2021 §四(一): economic hardship × incapacity; §四(三)2 priority."""
    container, rpc = eligibility
    pid = register(rpc, "lanzhou-2021", hardship=["low_income"], registration="urban")
    assess(container, publish_as, pid, standard="LTC-2021", level=4)
    decision = rpc.evaluate(pid)
    assert decision["priority"] == 1 and decision["care_modes"] == ["family_bed", "home_visit"]
    app = file(rpc, pid, "family_bed")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "withdraw", "person", comment="本人不再申请")
    assert app["state"] == "withdrawn"
    with pytest.raises(Conflict):
        act(rpc, app, "approve", "county_officer")
    app = file(rpc, pid, "home_visit")
    app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
    app = act(rpc, app, "approve", "county_officer")
    app = act(rpc, app, "sign_agreement", "county_officer")
    assert app["state"] == "enrolled"
    page = rpc.list_applications(status="withdrawn", division_prefix="620100")
    # the full number for the gateway only (it masks lists and seals person_ref)
    assert page["total"] == 1 and page["items"][0]["id_number"].startswith("620102")
    assert "*" in page["items"][0]["id_number_masked"]
    assert rpc.list_applications(division_prefix="620100", per_page=1)["total"] == 2
    assert rpc.list_applications(division_prefix="341500")["total"] == 0
    with pytest.raises(Invalid):
        rpc.list_applications(per_page=0)
    with pytest.raises(Invalid):
        act(rpc, app, "fly", "admin")


def test_caseload_statistics_of_a_division_and_month(eligibility, publish_as):
    """Issue 18: registered, eligible, in care by hardship × care mode, entries and
    exits with their reasons, pending work by stage — from the real service."""
    container, rpc = eligibility
    village = DIVISIONS["luan-2021"]
    enrolled, waiting, other = (register(rpc, "luan-2021", seq=s, hardship=["tekun"])
                                for s in (61, 62, 63))
    for pid in (enrolled, waiting):
        assess(container, publish_as, pid)
    app = file(rpc, enrolled, "centralized")
    for action, role, data in (("township_check", "township_officer", HOME_VISIT),
                               ("approve", "county_officer", None),
                               ("sign_agreement", "county_officer", None)):
        app = act(rpc, app, action, role, data=data)
    file(rpc, waiting, "centralized")  # waits at the township
    month = TODAY.strftime("%Y-%m")
    stats = rpc.caseload_statistics(village[:6], month)
    assert (stats["registered"], stats["eligible"], stats["in_care"]) == (3, 2, 1)
    assert stats["by_hardship"] == {"tekun": {"centralized": 1}}
    assert (stats["entries"], stats["exits"]) == (1, 0)
    assert stats["pending"] == {"submitted": {"count": 1, "median_days": 0.0, "max_days": 0}}
    (enrolment,) = rpc.person_enrolments(enrolled)
    rpc.end_enrolment(enrolment["enrolment_id"], "improved", TODAY.isoformat(), "王五",
                      "county_officer", "康复")
    after = rpc.caseload_statistics(village[:9], month)
    assert (after["in_care"], after["exits"], after["exits_by_reason"]) == (0, 1, {"improved": 1})
    assert rpc.caseload_statistics("330106", month)["registered"] == 0  # another county
    assert other  # registered, not assessed: counted, not eligible
    with pytest.raises(Invalid):
        rpc.caseload_statistics(village, "2026-13")
