"""puyang-2020 (濮政办〔2020〕48号): rules built from the clauses' own wording."""

from datetime import date

from doudi_eligibility.domain.person import Fact
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

P = "puyang-2020"
YOUNG = date(1980, 5, 1)


def d(facts, **kw):
    kw.setdefault("born", YOUNG)
    return decide_for(P, facts, **kw)


def test_puyang_2020_s3_1_poor_household_member_with_severe_mental_disability():
    """§三(一) 建档立卡贫困户、低保户……持第二代残疾人证的重度精神、智力和肢体残疾人."""
    out = d([hardship("registered_poor"), cert("mental", 1)])
    assert "puyang-3-1-disabled" in out.outcome.target_groups
    assert "neighbor" in out.outcome.care_modes


def test_puyang_2020_s3_1_hearing_disability_is_not_listed():
    """§三(一) lists 精神、智力和肢体 only."""
    out = d([hardship("dibao"), cert("hearing", 1)])
    assert rule(out, "puyang-3-1-disabled")["passed"] is False
    assert not out.outcome.eligible


def test_puyang_2020_s3_1_severe_disability_without_hardship_household_is_not_enough():
    out = d([cert("intellectual", 1)])
    assert not out.outcome.eligible


def test_puyang_2020_s3_1_orphans():
    """§三(一) ……及孤儿."""
    out = d([hardship("orphan")])
    assert out.outcome.target_groups == ("puyang-3-1-orphan",)


def test_puyang_2020_s3_2_registered_severely_disabled_living_alone():
    """§三(二) 建档立卡重度残疾人中无配偶或丧偶无子女、无扶养人独立生活或依靠……亲属扶养的."""
    out = d([hardship("registered_poor"), cert("vision", 1),
             household(no_spouse_or_children=True, lives_alone=True)])
    assert "puyang-3-2" in out.outcome.target_groups
    relatives = d([hardship("registered_poor"), cert("vision", 1),
                   household(no_spouse_or_children=True, depends_on_relatives=True)])
    assert "puyang-3-2" in relatives.outcome.target_groups


def test_puyang_2020_s3_2_a_married_person_living_alone_is_not_this_group():
    """§三(二) is one condition in two parts, both required (issue 17 item 5): living
    alone is not enough for someone who has a spouse or children."""
    out = d([hardship("registered_poor"), cert("vision", 1),
             household(no_spouse_or_children=False, lives_alone=True)])
    assert rule(out, "puyang-3-2")["passed"] is False
    unknown = d([hardship("registered_poor"), cert("vision", 1), household(lives_alone=True)])
    assert rule(unknown, "puyang-3-2")["passed"] is False


def test_puyang_2020_s3_2_with_spouse_and_children_at_home_is_not_this_group():
    out = d([hardship("registered_poor"), cert("vision", 1),
             household(lives_alone=False, no_spouse_or_children=False)])
    assert rule(out, "puyang-3-2")["passed"] is False


def test_puyang_2020_s3_3_no_work_no_selfcare_no_income():
    """§三(三) 无劳动能力……无生活自理能力……家庭无稳定收入的."""
    out = d([hardship("dibao"), assessment("full"),
             household(no_work_ability=True, no_stable_income=True)])
    assert "puyang-3-3" in out.outcome.target_groups


def test_puyang_2020_s3_3_partial_selfcare_is_not_no_selfcare():
    out = d([hardship("dibao"), assessment("partial", level=2),
             household(no_work_ability=True, no_stable_income=True)])
    assert rule(out, "puyang-3-3")["passed"] is False


def test_puyang_2020_s3_4_tekun_without_close_relatives():
    """§三(四) 无近亲属扶养的特困供养人员."""
    assert "puyang-3-4" in d([hardship("tekun"),
                              household(no_close_relatives=True)]).outcome.target_groups
    assert rule(d([hardship("tekun"), household(no_close_relatives=False)]),
                "puyang-3-4")["passed"] is False


CENTRAL = [hardship("registered_poor"), cert("physical", 1),
           household(no_supporter=True, health_stable=True)]


def test_puyang_2020_s4_4_centralised_care_for_severely_physically_disabled_without_supporter():
    """§四(四) 集中照料的残疾人仅限于无抚养人、健康状况稳定、无传染疾病重度肢体残疾人."""
    out = d(CENTRAL)
    assert "centralized" in out.outcome.care_modes
    assert rule(out, "puyang-central-no-infection")["clause"] == "puyang-2020 §四(四)"


def test_puyang_2020_s4_4_infectious_disease_excludes_centralised_care():
    out = d(CENTRAL + [infection()])
    assert "centralized" not in out.outcome.care_modes
    assert rule(out, "puyang-central-no-infection")["passed"] is False
    assert "neighbor" in out.outcome.care_modes  # other modes stay


def test_puyang_2020_s4_4_cleared_infection_allows_it_again():
    cleared = Fact("infection_cleared", "health", date(2026, 2, 1), None,
                   {"disease_code": "A15.0"})
    assert "centralized" in d(CENTRAL + [infection(), cleared]).outcome.care_modes


def test_puyang_2020_s4_4_mental_disability_is_not_for_centralised_care():
    out = d([hardship("registered_poor"), cert("mental", 1), household(no_supporter=True)])
    assert "centralized" not in out.outcome.care_modes
    assert rule(out, "puyang-central-physical")["passed"] is False


def test_puyang_2020_s4_4_with_a_supporter_or_unstable_health_no_centralised_care():
    with_supporter = d([hardship("registered_poor"), cert("physical", 1),
                        household(no_supporter=False)])
    assert rule(with_supporter, "puyang-central-no-supporter")["passed"] is False
    admitted = Fact("hospital_admitted", "health", date(2026, 3, 1), None,
                    {"hospital_uscc": "12341500485912345J"})
    in_hospital = d(CENTRAL + [admitted])
    assert rule(in_hospital, "puyang-central-stable")["passed"] is False


def test_puyang_2020_s4_1_neighbour_care_for_severe_mental_intellectual_physical():
    """§四(一) 照护服务人为符合条件的重度精神、智力和肢体残疾人提供生活照顾和护理."""
    orphan = d([hardship("orphan")])
    assert "neighbor" not in orphan.outcome.care_modes
    assert rule(orphan, "puyang-neighbor-severe")["passed"] is False
    ok = d([hardship("dibao"), cert("intellectual", 2)])
    assert "neighbor" in ok.outcome.care_modes
    assert rule(ok, "puyang-neighbor-severe")["passed"] is True


def test_puyang_2020_s4_3_co_housing_for_those_living_alone_with_some_selfcare():
    """§四(三) 对独自居住、不愿离村且有一定自理能力的……特殊困难群众."""
    ok = d([hardship("tekun"), household(no_close_relatives=True, lives_alone=True),
            assessment("partial", level=2)])
    assert "co_housing" in ok.outcome.care_modes
    assert rule(ok, "puyang-cohousing-alone")["clause"] == "puyang-2020 §四(三)"
    no = d([hardship("tekun"), household(no_close_relatives=True, lives_alone=True),
            assessment("full")])
    assert "co_housing" not in no.outcome.care_modes
    assert rule(no, "puyang-cohousing-alone")["passed"] is False


def test_puyang_2020_s6_at_60_no_more_neighbour_or_centralised_care():
    """§六 年龄达到60周岁时,由民政部门接管……不再享受居家邻里照护或集中照料的相关政策."""
    out = d(CENTRAL, born=date(1966, 3, 10))  # 60 on TODAY
    assert "centralized" not in out.outcome.care_modes
    assert "neighbor" not in out.outcome.care_modes
    assert rule(out, "puyang-central-under-60")["clause"] == "puyang-2020 §六"
    assert rule(out, "puyang-neighbor-under-60")["passed"] is False
    assert "centralized" in d(CENTRAL, born=date(1966, 3, 11)).outcome.care_modes  # 59


def test_puyang_2020_s7_chain_with_four_department_signoff():
    """§七 村委会初审及乡镇残联复审后,报残联、民政、卫健、扶贫等部门审批确认."""
    pack = REGISTRY.get(P)
    assert pack.chain == ("village_review", "township_check", "department_signoff",
                          "sign_agreement")
    assert set(pack.signoff_departments) == {"cdpf", "civil_affairs", "health", "poverty_office"}
    assert pack.handover_age == 60 and set(pack.handover_modes) == {"neighbor", "centralized"}


def test_puyang_2020_s4_4_unknown_health_status_does_not_pass():
    """§四(四) 健康状况稳定 must be known (issue 17 item 6): the engine's rule that an
    unknown fact never satisfies a rule holds here too."""
    base = [hardship("registered_poor"), cert("physical", 1), assessment("full")]
    unknown = d(base + [household(no_supporter=True)])
    assert rule(unknown, "puyang-central-stable")["passed"] is False
    stable = d(base + [household(no_supporter=True, health_stable=True)])
    assert rule(stable, "puyang-central-stable")["passed"] is True

