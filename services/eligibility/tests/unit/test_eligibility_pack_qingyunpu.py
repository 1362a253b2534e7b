"""qingyunpu-2021 (青云谱区服务类社会救助): rules from §四(一) 1–6 and §四(三)."""

from datetime import date

from doudi_eligibility.testing import (
    REGISTRY,
    assessment,
    cert,
    decide_for,
    hardship,
    household,
    infection,
    rule,
)

P = "qingyunpu-2021"
YOUNG = date(1985, 1, 1)


def test_qingyunpu_2021_s4_1_1_and_2_tekun_and_dibao():
    """§四(一)1 特困供养人员; 2 最低生活保障人员."""
    assert decide_for(P, [hardship("tekun")]).outcome.target_groups == ("qingyunpu-1-tekun",)
    assert decide_for(P, [hardship("dibao")]).outcome.target_groups == ("qingyunpu-2-dibao",)
    assert not decide_for(P, [hardship("registered_poor")]).outcome.eligible


def test_qingyunpu_2021_s4_1_3_low_income_disabled_or_elderly_who_cannot_care_for_themselves():
    """§四(一)3 低收入家庭中生活不能自理的残疾人、老年人."""
    elderly = decide_for(P, [hardship("low_income"), assessment("partial", level=2)])
    assert elderly.outcome.target_groups == ("qingyunpu-3-low-income",)
    disabled = decide_for(P, [hardship("low_income"), cert("hearing", 3), assessment("full")],
                          born=YOUNG)
    assert disabled.outcome.eligible
    able = decide_for(P, [hardship("low_income"), assessment("none", level=0)])
    assert rule(able, "qingyunpu-3-low-income")["passed"] is False
    young_not_disabled = decide_for(P, [hardship("low_income"), assessment("full")], born=YOUNG)
    assert not young_not_disabled.outcome.eligible


def test_qingyunpu_2021_s4_1_4_expenditure_poor_seriously_ill():
    """§四(一)4 支出型贫困家庭中的重病患者、特殊慢性病患者."""
    assert decide_for(P, [hardship("expenditure_poor"), household(serious_illness=True)]
                      ).outcome.target_groups == ("qingyunpu-4-expenditure",)
    assert not decide_for(P, [hardship("expenditure_poor"), household(serious_illness=False)]
                          ).outcome.eligible


def test_qingyunpu_2021_s4_1_5_no_independent_living_and_no_able_guardian():
    """§四(一)5 因重病、重残导致无独立生活能力(含全失能和半失能)、且无监护人或监护人能力不足的……"""
    ok = decide_for(P, [cert("physical", 2), assessment("partial", level=2),
                        household(guardian_unable=True)], born=YOUNG)
    assert ok.outcome.target_groups == ("qingyunpu-5-no-guardian",)
    able_guardian = decide_for(P, [cert("physical", 2), assessment("partial", level=2),
                                   household(guardian_unable=False)], born=YOUNG)
    assert rule(able_guardian, "qingyunpu-5-no-guardian")["passed"] is False
    child = decide_for(P, [hardship("child_in_difficulty"), assessment("full"),
                           household(guardian_unable=True)], born=date(2015, 1, 1))
    assert child.outcome.eligible


def test_qingyunpu_2021_s4_1_6_stranded_non_residents():
    """§四(一)6 因突发公共事件造成滞留在本辖区内的非本地户籍遇困群众."""
    out = decide_for(P, [hardship("stranded")], registration="urban")
    assert out.outcome.target_groups == ("qingyunpu-6-stranded",)
    assert rule(decide_for(P, [hardship("orphan")]), "qingyunpu-6-stranded")["passed"] is False


def test_qingyunpu_2021_s4_3_2_centralised_only_for_tekun_who_cannot_care_for_themselves():
    """§四(三)2 对完全丧失……和部分丧失生活自理能力的特困供养人员,按照自愿的原则纳入……集中供养."""
    assert "centralized" in decide_for(P, [hardship("tekun"), assessment("full")]
                                       ).outcome.care_modes
    out = decide_for(P, [hardship("dibao"), assessment("full")])
    assert "centralized" not in out.outcome.care_modes
    assert rule(out, "qingyunpu-central-tekun")["passed"] is False


def test_qingyunpu_2021_s4_3_2_infectious_disease_not_centralised():
    """§四(三)2 对患有精神病、传染病等疾病不宜集中供养的特困人员……妥善安排."""
    out = decide_for(P, [hardship("tekun"), assessment("full"), infection()])
    assert "centralized" not in out.outcome.care_modes
    assert rule(out, "qingyunpu-central-no-infection")["passed"] is False
    assert "home_visit" in out.outcome.care_modes


def test_qingyunpu_2021_s4_3_2_psychiatric_illness_not_centralised():
    """§四(三)2 对患有精神病、传染病等疾病不宜集中供养的特困人员: a mental disability
    certificate keeps a tekun person out of centralised care (issue 17 item 2)."""
    out = decide_for(P, [hardship("tekun"), assessment("full"), cert("mental", 2)])
    assert "centralized" not in out.outcome.care_modes
    assert rule(out, "qingyunpu-central-no-psychiatric")["passed"] is False
    other = decide_for(P, [hardship("tekun"), assessment("full"), cert("physical", 2)])
    assert "centralized" in other.outcome.care_modes
    assert rule(other, "qingyunpu-central-no-psychiatric")["passed"] is True


def test_qingyunpu_2021_s5_chain_with_public_notice():
    """§五 主动发现、需求认定、建立档案……监督管理(长期公示)."""
    pack = REGISTRY.get(P)
    assert pack.chain == ("village_review", "township_check", "approve", "public_notice",
                          "sign_agreement")
    assert pack.notice_days == 7
