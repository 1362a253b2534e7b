"""The application state machine per pack chain (pure)."""

from __future__ import annotations

from datetime import date

import pytest
from doudi_common.errors import Conflict, Forbidden, Invalid
from doudi_eligibility.domain.application import (
    ACTIONS,
    AppState,
    check_consent,
    next_actions,
    transition,
)
from doudi_eligibility.testing import HOME_VISIT, REGISTRY, with_notice

DAY = date(2026, 3, 10)
ROLE = {"village_review": "village_clerk", "township_check": "township_officer",
        "department_signoff": "department_liaison", "approve": "county_officer",
        "close_notice": "village_clerk", "sign_agreement": "county_officer"}


def walk(pack_id):
    """Take the pack's chain from submission to enrolment; -> list of states."""
    pack = REGISTRY.get(pack_id) if isinstance(pack_id, str) else pack_id
    app, day, states = AppState("submitted", documents=pack.required_documents), DAY, \
        ["submitted"]
    while app.state != "enrolled":
        action = next(a for a in next_actions(pack, app) if a not in ("reject", "withdraw",
                                                                      "object"))
        data = HOME_VISIT if action == "township_check" else {}
        if action == "department_signoff":
            data = {"department": next(d for d in pack.signoff_departments
                                       if d not in app.signoffs)}
        if action == "close_notice":
            day = app.notice_until.replace(day=app.notice_until.day + 1)
        t = transition(pack, app, action, ROLE[action], day, data=data)
        app = AppState(t.to_state, t.signoffs, t.notice_until or app.notice_until,
                       t.documents or app.documents)
        states.append(t.to_state)
    return states


def test_luan_2021_s3_6_chain():
    assert walk("luan-2021") == ["submitted", "township_checked", "approved", "enrolled"]


def test_puyang_2020_s7_chain_departments_approve():
    assert walk("puyang-2020") == ["submitted", "village_reviewed", "township_checked",
                                   "township_checked", "township_checked", "township_checked",
                                   "approved", "enrolled"]


def test_qingyunpu_2021_s5_chain_has_no_notice_period():
    """§五6 长期公示 is a standing list of recipients, not a period before approval."""
    assert walk("qingyunpu-2021") == ["submitted", "village_reviewed", "township_checked",
                                      "approved", "enrolled"]


def test_a_pack_with_a_notice_period_approves_after_it():
    assert walk(with_notice()) == ["submitted", "village_reviewed", "township_checked",
                                   "in_notice", "approved", "enrolled"]


@pytest.mark.parametrize("pack_id", ["hangzhou-2024", "lanzhou-2021"])
def test_three_step_chains(pack_id):
    assert walk(pack_id) == ["submitted", "township_checked", "approved", "enrolled"]


@pytest.mark.parametrize("pack_id", [p.id for p in REGISTRY.packs])
@pytest.mark.parametrize("state", ["submitted", "village_reviewed", "township_checked",
                                   "signed_off", "in_notice", "approved", "enrolled",
                                   "rejected", "withdrawn"])
def test_only_listed_actions_are_legal(pack_id, state):
    pack = REGISTRY.get(pack_id)
    app = AppState(state, {}, DAY)
    legal = set(next_actions(pack, app))
    for action in ACTIONS:
        if action in legal:
            continue
        with pytest.raises(Conflict) as exc:
            transition(pack, app, action, "admin", DAY, comment="x", data=HOME_VISIT)
        assert exc.value.fields["state"] == state
    if state in ("enrolled", "rejected", "withdrawn"):
        assert legal == set()


def test_objection_during_notice_returns_to_the_township_check():
    pack = with_notice()
    t = transition(pack, AppState("in_notice", {}, DAY), "object", "village_clerk", DAY,
                   comment="邻居反映有子女赡养")
    assert t.to_state == "village_reviewed" and t.returned


def test_notice_cannot_close_early():
    pack = with_notice()
    with pytest.raises(Conflict):
        transition(pack, AppState("in_notice", {}, DAY), "close_notice", "village_clerk", DAY)
    t = transition(pack, AppState("in_notice", {}, DAY), "close_notice", "village_clerk",
                   date(2026, 3, 11))
    assert t.approved


def test_roles_reasons_and_records_are_required():
    pack = REGISTRY.get("luan-2021")
    with pytest.raises(Forbidden):
        transition(pack, AppState("township_checked"), "approve", "village_clerk", DAY)
    with pytest.raises(Invalid):
        transition(pack, AppState("township_checked"), "reject", "county_officer", DAY, " ")
    with pytest.raises(Invalid):
        transition(pack, AppState("submitted"), "township_check", "township_officer", DAY,
                   data={"home_visit": {"on": "2026-03-10"}})
    with pytest.raises(Invalid):
        transition(pack, AppState("submitted"), "jump", "admin", DAY)


def test_consent_is_recorded_with_the_clause():
    """luan-2021 §二(二)2 申请集中养护或退出集中养护由群众自主决定."""
    pack = REGISTRY.get("luan-2021")
    consent = check_consent({"given": True, "by": "本人", "on": "2026-03-09"}, pack)
    assert consent["clause"] == "luan-2021 §二(二)2"
    for bad in (None, {}, {"given": "yes", "by": "本人"}, {"given": True}):
        with pytest.raises(Invalid):
            check_consent(bad, pack)


def test_puyang_2020_s7_documents_before_the_township_passes_the_case():
    """§七 由残疾人或其监护人向村委会提出申请，并提交相关资料（户口本、残疾人证、身份证、
    贫困证明等）经村委会初审及乡镇残联复审: a case missing one stays at the township."""
    pack = REGISTRY.get("puyang-2020")
    assert pack.required_documents == ("household_register", "disability_certificate",
                                       "id_card", "poverty_proof")
    short = AppState("village_reviewed", documents=("household_register", "id_card"))
    with pytest.raises(Invalid) as exc:
        transition(pack, short, "township_check", "township_officer", DAY, data=HOME_VISIT)
    assert exc.value.fields["field"] == "data.documents"
    assert exc.value.fields["missing"] == ["disability_certificate", "poverty_proof"]
    assert "残疾证、贫困证明" in exc.value.detail and "puyang-2020 §七" in exc.value.detail
    # the township collected the rest during its visit
    t = transition(pack, short, "township_check", "township_officer", DAY,
                   data={**HOME_VISIT, "documents": ["disability_certificate", "poverty_proof"]})
    assert t.to_state == "township_checked" and set(t.documents) == set(pack.required_documents)
    with pytest.raises(Invalid):
        transition(pack, short, "township_check", "township_officer", DAY,
                   data={**HOME_VISIT, "documents": ["love_letter"]})


@pytest.mark.parametrize("pack_id", ["luan-2021", "hangzhou-2024", "lanzhou-2021",
                                     "qingyunpu-2021"])
def test_documents_are_required_only_where_a_document_lists_them(pack_id):
    pack = REGISTRY.get(pack_id)
    assert pack.required_documents == ()
    start = "village_reviewed" if "village_review" in pack.chain else "submitted"
    t = transition(pack, AppState(start), "township_check", "township_officer", DAY,
                   data=HOME_VISIT)
    assert t.to_state == "township_checked"


def test_puyang_2020_s4_2_day_care_is_for_those_in_neither_neighbour_care_nor_an_institution():
    """§四(二) 日间照料主要为本村不愿意入住养老院、敬老院、重度托养中心且未享受居家邻里照护的
    特殊困难群众提供: the modes exclude each other both ways."""
    from doudi_eligibility.domain.application import check_exclusive_modes

    pack = REGISTRY.get("puyang-2020")
    for active in ("neighbor", "centralized"):
        with pytest.raises(Conflict) as exc:
            check_exclusive_modes(pack, "day_care", [active])
        assert exc.value.fields["clause"] == "puyang-2020 §四(二)"
        assert "日间照料" in exc.value.detail
        with pytest.raises(Conflict):
            check_exclusive_modes(pack, active, ["day_care"])
    check_exclusive_modes(pack, "day_care", [])
    check_exclusive_modes(pack, "day_care", ["co_housing"])  # the clause names no other
    check_exclusive_modes(REGISTRY.get("qingyunpu-2021"), "day_care", ["home_visit"])


def test_lanzhou_2021_s4_3_1_no_duplicated_home_services():
    """§四(三)1 要考虑与……家庭养老床位涉及的养老服务……等上门服务保障政策进行有效衔接,
    避免多头服务."""
    from doudi_eligibility.domain.application import check_exclusive_modes

    pack = REGISTRY.get("lanzhou-2021")
    for filing, active in (("home_visit", "family_bed"), ("family_bed", "home_visit")):
        with pytest.raises(Conflict) as exc:
            check_exclusive_modes(pack, filing, [active])
        assert exc.value.fields["clause"] == "lanzhou-2021 §四(三)1"
    check_exclusive_modes(pack, "home_visit", [])


def test_qingyunpu_2021_s5_5_services_change_or_stop_with_the_status():
    """§五5 及时按程序变更或停止救助服务; elsewhere (luan-2021 §三(六)) a county review."""
    from doudi_eligibility.domain.enrolment import when_no_longer_eligible

    q = REGISTRY.get("qingyunpu-2021")
    assert when_no_longer_eligible(q, "home_visit", ("day_care",)) == ("change", "day_care")
    assert when_no_longer_eligible(q, "home_visit", ()) == ("stop", None)
    assert when_no_longer_eligible(REGISTRY.get("luan-2021"), "centralized", ()) == \
        ("review", None)


def test_puyang_2020_s5_the_neighbour_caregiver_and_s7_the_care_agreement():
    """§五 选择和残疾人有亲戚关系且居住较近、身体健康……的本村居民……双向选择……特殊情况也可以到
    外村亲戚家居住; §七 同时申报照护服务人员的基本情况和服务申请，并签订照护协议."""
    from doudi_eligibility.domain.application import check_agreement, check_caregiver
    from doudi_eligibility.testing import DIVISIONS, caregiver_for, make_person

    pack = REGISTRY.get("puyang-2020")
    person = {"id_number": make_person("puyang-2020", 1), "division_code": DIVISIONS[pack.id]}
    check_caregiver(pack, person, caregiver_for(pack.id))
    check_caregiver(pack, person, caregiver_for(pack.id, village_code="410928002001",
                                                moves_in=True))  # to a relative elsewhere
    for bad, field in (({"relationship": ""}, "caregiver.relationship"),
                       ({"healthy": False}, "caregiver.healthy"),
                       ({"agrees": None}, "caregiver.agrees"),
                       ({"village_code": "410928002001"}, "caregiver.village_code"),
                       ({"id_number": person["id_number"]}, "caregiver.id_number")):
        with pytest.raises(Invalid) as exc:
            check_caregiver(pack, person, caregiver_for(pack.id, **bad))
        assert exc.value.fields["field"] == field
    with pytest.raises(Invalid):
        check_caregiver(pack, person, None)
    with pytest.raises(Invalid) as exc:
        check_agreement(pack, "neighbor", {})
    assert exc.value.fields["field"] == "data.agreement_no"
    check_agreement(pack, "neighbor", {"agreement_no": "PY-01"})
    check_agreement(pack, "day_care", {})
    check_agreement(REGISTRY.get("luan-2021"), "neighbor", {})
