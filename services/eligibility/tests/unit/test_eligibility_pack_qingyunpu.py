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


def groups(decision) -> tuple[str, ...]:
    """The §四(一) target groups a person falls in, whether or not a service of
    §四(三) is open to them (being a target is not yet being served)."""
    return tuple(r["id"] for r in decision.rules if r["scope"] == "target_group" and r["passed"])


def test_qingyunpu_2021_s4_1_1_and_2_tekun_and_dibao():
    """§四(一)1 特困供养人员; 2 最低生活保障人员."""
    assert groups(decide_for(P, [hardship("tekun")])) == ("qingyunpu-1-tekun",)
    assert groups(decide_for(P, [hardship("dibao")])) == ("qingyunpu-2-dibao",)
    assert not groups(decide_for(P, [hardship("registered_poor")]))


def test_qingyunpu_2021_s4_1_3_low_income_disabled_or_elderly_who_cannot_care_for_themselves():
    """§四(一)3 低收入家庭中生活不能自理的残疾人、老年人."""
    elderly = decide_for(P, [hardship("low_income"), assessment("partial", level=2)])
    assert groups(elderly) == ("qingyunpu-3-low-income",)
    disabled = decide_for(P, [hardship("low_income"), cert("hearing", 3), assessment("full")],
                          born=YOUNG)
    assert groups(disabled) == ("qingyunpu-3-low-income",)
    able = decide_for(P, [hardship("low_income"), assessment("none", level=0)])
    assert rule(able, "qingyunpu-3-low-income")["passed"] is False
    young_not_disabled = decide_for(P, [hardship("low_income"), assessment("full")], born=YOUNG)
    assert not groups(young_not_disabled)


def test_qingyunpu_2021_s4_1_4_expenditure_poor_seriously_ill():
    """§四(一)4 支出型贫困家庭中的重病患者、特殊慢性病患者."""
    assert groups(decide_for(P, [hardship("expenditure_poor"), household(serious_illness=True)]
                             )) == ("qingyunpu-4-expenditure",)
    assert not groups(decide_for(P, [hardship("expenditure_poor"),
                                     household(serious_illness=False)]))


def test_qingyunpu_2021_s4_1_5_no_independent_living_and_no_able_guardian():
    """§四(一)5 因重病、重残导致无独立生活能力(含全失能和半失能)、且无监护人或监护人能力不足的……"""
    ok = decide_for(P, [cert("physical", 2), assessment("partial", level=2),
                        household(guardian_unable=True)], born=YOUNG)
    assert groups(ok) == ("qingyunpu-5-no-guardian",)
    able_guardian = decide_for(P, [cert("physical", 2), assessment("partial", level=2),
                                   household(guardian_unable=False)], born=YOUNG)
    assert rule(able_guardian, "qingyunpu-5-no-guardian")["passed"] is False
    child = decide_for(P, [hardship("child_in_difficulty"), assessment("full"),
                           household(guardian_unable=True)], born=date(2015, 1, 1))
    assert groups(child) == ("qingyunpu-5-no-guardian",)


def test_qingyunpu_2021_s4_1_6_stranded_non_residents():
    """§四(一)6 因突发公共事件造成滞留在本辖区内的非本地户籍遇困群众."""
    out = decide_for(P, [hardship("stranded")], registration="urban")
    assert groups(out) == ("qingyunpu-6-stranded",)
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
    out = decide_for(P, [hardship("tekun"), assessment("full"), infection(),
                         household(no_carer=True)])
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


def test_qingyunpu_2021_s5_6_standing_public_list_and_no_notice_period():
    """§五6 服务类社会救助工作实行长期公示制度,各街道……应当将服务救助对象信息在其所在村(居)民委员会
    进行长期公示: a standing list of current recipients, no notice period before approval."""
    pack = REGISTRY.get(P)
    assert pack.chain == ("village_review", "township_check", "approve", "sign_agreement")
    assert pack.notice_days == 0
    assert pack.standing_notice_clause == "qingyunpu-2021 §五6"
    others = [p.id for p in REGISTRY.packs if p.standing_notice_clause]
    assert others == [P]  # no other document publicises its recipients


def test_qingyunpu_2021_s4_3_1_daily_care_only_for_those_who_cannot_and_have_nobody():
    """§四(三)1 对生活不能自理且无人照顾的残疾人、老年人、孤儿、事实无人抚养儿童,以及因突发原因
    造成短时间生活无人照料的困难家庭……提供……居家照料服务、日间托管服务……"""
    able = decide_for(P, [hardship("dibao")])
    assert groups(able) == ("qingyunpu-2-dibao",)  # a target of §四(一)2 ...
    assert not able.outcome.eligible  # ... but no care of §四(三) is open to a self-sufficient one
    assert not {"home_visit", "day_care"} & set(able.outcome.care_modes)
    assert rule(able, "qingyunpu-home-visit-no-carer")["passed"] is False
    assert rule(able, "qingyunpu-day-care-no-carer")["passed"] is False
    cared_for = decide_for(P, [hardship("dibao"), assessment("full"), household(no_carer=False)])
    assert not {"home_visit", "day_care"} & set(cared_for.outcome.care_modes)
    alone = decide_for(P, [hardship("dibao"), assessment("full"), household(no_carer=True)])
    assert {"home_visit", "day_care"} <= set(alone.outcome.care_modes)
    young_able = decide_for(P, [hardship("dibao"), household(no_carer=True)], born=YOUNG)
    assert "home_visit" not in young_able.outcome.care_modes
    orphan = decide_for(P, [hardship("orphan"), hardship("dibao"), household(no_carer=True)],
                        born=date(2016, 1, 1))
    assert "day_care" in orphan.outcome.care_modes
    sudden = decide_for(P, [hardship("dibao"), household(sudden_no_carer=True)], born=YOUNG)
    assert {"home_visit", "day_care"} <= set(sudden.outcome.care_modes)
    # unknown is not "nobody": no household fact, no daily care
    unknown = decide_for(P, [hardship("dibao"), assessment("full")])
    assert rule(unknown, "qingyunpu-home-visit-no-carer")["passed"] is False
