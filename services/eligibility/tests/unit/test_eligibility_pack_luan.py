"""luan-2021 (六政办秘〔2021〕12号): rules built from the clauses' own wording."""

from datetime import date

import pytest
from doudi_eligibility.testing import assessment, cert, decide_for, hardship, household, rule

P = "luan-2021"
NEEDS_CARE = assessment("partial", "MZ/T 039-2013", 2)


def test_luan_2021_s3_1_rural_tekun_needing_long_term_care_is_admitted():
    """§三(一) 将农村特困供养对象……需要长期日常照料的失能、半失能人员纳入集中养护范围."""
    d = decide_for(P, [hardship("tekun"), NEEDS_CARE])
    assert d.outcome.eligible and d.outcome.care_modes == ("centralized",)
    assert d.outcome.target_groups == ("luan-rural-tekun",)
    assert rule(d, "luan-rural-tekun")["clause"] == "luan-2021 §三(一)"


def test_luan_2021_s3_1_urban_tekun_is_not_a_target():
    """§三(一) names *rural* (农村) groups only."""
    d = decide_for(P, [hardship("tekun"), NEEDS_CARE], registration="urban")
    assert not d.outcome.eligible
    assert rule(d, "luan-rural")["passed"] is False


def test_luan_2021_s3_1_unknown_registration_is_not_taken_as_rural():
    d = decide_for(P, [hardship("tekun"), NEEDS_CARE], registration=None)
    assert not d.outcome.eligible
    assert "未知" in rule(d, "luan-rural")["detail"]


def test_luan_2021_s3_1_rural_severely_disabled_with_assessment():
    """§三(一) 农村重度残疾人 (grade 1–2 certificate) who are incapacitated."""
    d = decide_for(P, [cert("mental", 2), assessment("full")])
    assert d.outcome.target_groups == ("luan-rural-severe-disabled",)


def test_luan_2021_s3_1_grade_3_disability_is_not_severe():
    d = decide_for(P, [cert("physical", 3), assessment("full")])
    assert not d.outcome.eligible
    assert rule(d, "luan-rural-severe-disabled")["passed"] is False


def test_luan_2021_s3_1_severely_disabled_but_not_incapacitated_is_not_admitted():
    """§三(一) only those 需要长期日常照料的失能、半失能人员."""
    d = decide_for(P, [cert("physical", 1), assessment("none", level=0)])
    assert not d.outcome.eligible
    assert rule(d, "luan-incapacitated")["passed"] is False


def test_luan_2021_s3_1_incapacity_needs_an_accepted_standard():
    """§三(一) 失能人员等级评定……根据民政部《老年人能力评估标准》《安徽省……特困人员认定办法》
    或残疾人评定: an LTC-2021 grading is none of the three."""
    d = decide_for(P, [hardship("dibao"), assessment("full", "LTC-2021", 4)])
    assert not d.outcome.eligible
    assert rule(d, "luan-incapacitated")["passed"] is False


@pytest.mark.parametrize(("facts", "passed"), [
    ([assessment("partial", "MZ/T 039-2013", 2)], True),
    ([assessment("full", "GB/T 42195-2022", 4)], True),
    ([assessment("partial", "AH-TK-2017", 1)], True),       # the province's tekun rules
    ([assessment("full", "GB/T 26341-2010", 4)], True),     # 残疾人评定
    ([cert("physical", 1)], False),                         # a certificate grades no incapacity
    ([assessment("none", "GB/T 26341-2010", 0)], False),
    ([assessment("full", "LTC-2021", 4)], False),
])
def test_luan_2021_s3_1_three_ways_to_grade_incapacity(facts, passed):
    """§三(一) 根据民政部《老年人能力评估标准》《安徽省民政厅关于印发安徽省特困人员认定办法的通知》
    或残疾人评定等有关规定实施 (issue 17 item 9: not only the national standard)."""
    d = decide_for(P, [hardship("dibao"), *facts])
    assert rule(d, "luan-incapacitated")["passed"] is passed
    assert d.outcome.eligible is passed


def test_luan_2021_s3_1_rural_dibao_and_low_income():
    """§三(一) 农村低保对象、农村低收入群体."""
    assert decide_for(P, [hardship("dibao"), NEEDS_CARE]).outcome.target_groups == (
        "luan-rural-dibao",)
    assert decide_for(P, [hardship("low_income"), NEEDS_CARE]).outcome.target_groups == (
        "luan-rural-low-income",)


def test_luan_2021_s3_1_other_special_hardship_families():
    """§三(一) 农村其他特殊困难家庭中……失能、半失能人员."""
    d = decide_for(P, [hardship("fp_special"), NEEDS_CARE])
    assert d.outcome.target_groups == ("luan-rural-other-hardship",)


def test_luan_2021_s3_1_no_hardship_no_disability_is_no_target_group():
    d = decide_for(P, [NEEDS_CARE, household(lives_alone=True)])
    assert not d.outcome.eligible
    assert "不属于任何对象类别" in d.summary


def test_luan_2021_s3_1_expired_assessment_no_longer_counts():
    d = decide_for(P, [hardship("dibao"), assessment("full", until=date(2026, 1, 1))])
    assert not d.outcome.eligible


def test_luan_2021_s3_1_ended_hardship_status_no_longer_counts():
    d = decide_for(P, [hardship("dibao", until=date(2025, 12, 31)), NEEDS_CARE])
    assert not d.outcome.eligible


def test_luan_2021_s3_4_copay_share_follows_family_income():
    """§三(四)二 根据其经济承受能力,分类、合理确定个人付费比例."""
    from doudi_eligibility.testing import REGISTRY

    pack = REGISTRY.get(P)
    assert pack.copay_band("300.00").band == "A"
    assert pack.copay_band("1000.00").band == "B"
    assert pack.copay_band("5000").band == "D"
    assert pack.copay_band("300.00").clause == "luan-2021 §三(四)"
    # one county parameter, read by eligibility and funding alike (issue 17 item 11)
    from doudi_contracts.local_parameters import copay_bands
    from doudi_contracts.policy import parameter

    assert pack.copay_bands == copay_bands(parameter(P, "copay_bands"))
    assert "县" in parameter(P, "copay_bands")["set_by"]
    # the bands in force on the review date: none before the document
    from datetime import date

    assert pack.copay_band("300.00", date(2019, 1, 1)).band == "A"  # earliest version
    others = [p.id for p in REGISTRY.packs if p.copay_bands]
    assert others == [P]  # only luan-2021 asks families to pay a share


def test_luan_2021_s3_6_chain_and_yearly_review():
    """§三(六) 个人或家庭申请、乡镇政府初核申报、县(区)民政局审批、签订协议; 每年至少……评估一次."""
    from doudi_eligibility.testing import REGISTRY

    pack = REGISTRY.get(P)
    assert pack.chain == ("township_check", "approve", "sign_agreement")
    assert pack.review_interval_months == 12 and pack.review_clause == "luan-2021 §三(六)"


def test_luan_2021_s3_1_grading_through_a_public_medical_institution():
    """§三(一) 失能人员等级评定工作由县(区)民政局牵头,依托公立医疗机构……实施: an assessment
    by a private clinic (a credit code not of a 事业单位) does not grade incapacity here."""
    from doudi_eligibility.domain.person import Fact

    private = Fact("incapacity_assessment", "health", date(2025, 6, 1), date(2027, 6, 1),
                   {"assessment_id": "PG-9", "standard": "GB/T 42195-2022", "level": 3,
                    "incapacity_level": "full", "assessor_uscc": "91341500MA2T12345X"})
    d = decide_for(P, [hardship("dibao"), private])
    assert rule(d, "luan-incapacitated")["passed"] is False and not d.outcome.eligible
    public = decide_for(P, [hardship("dibao"), assessment("full")])  # 12341500485912345J
    assert rule(public, "luan-incapacitated")["passed"] is True
