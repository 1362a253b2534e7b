"""lanzhou-2021 (兰政办发〔2021〕140号): rules built from the clauses' own wording."""

from datetime import date

from doudi_eligibility.testing import assessment, decide_for, hardship, household, rule

P = "lanzhou-2021"
FULL = assessment("full", "LTC-2021", 4)
PARTIAL = assessment("partial", "MZ/T 039-2013", 1)


def test_lanzhou_2021_s4_1_1_direct_hardship_elderly():
    """§四(一)1 将……特困、低保、计划生育特殊困难和低收入家庭的老年人直接纳入到经济困难范围."""
    for status in ("tekun", "dibao", "fp_special", "low_income"):
        out = decide_for(P, [hardship(status), FULL])
        assert out.outcome.target_groups == ("lanzhou-direct-hardship",), status
        assert set(out.outcome.care_modes) == {"family_bed", "home_visit"}


def test_lanzhou_2021_s4_1_1_registered_poor_is_not_a_direct_group():
    out = decide_for(P, [hardship("registered_poor"), FULL])
    assert not out.outcome.eligible


def test_lanzhou_2021_s4_1_1_lowest_and_lower_middle_income_groups():
    """§四(一)1 将人均可支配收入低收入组、中间偏下组的老年人认定为经济困难范围."""
    for group in ("low", "lower_middle"):
        out = decide_for(P, [household(income_group=group), FULL])
        assert out.outcome.target_groups == ("lanzhou-income-group",)
    assert not decide_for(P, [household(income_group="middle"), FULL]).outcome.eligible


def test_lanzhou_2021_s4_1_elderly_only():
    out = decide_for(P, [hardship("dibao"), FULL], born=date(1970, 1, 1))
    assert not out.outcome.eligible
    assert rule(out, "lanzhou-elderly")["passed"] is False


def test_lanzhou_2021_s4_1_2_incapacity_by_ltc_or_mzt_039():
    """§四(一)2 依据《长期护理失能等级评估标准(试行)》、《老年人能力评估》(MZ/T039-2013)."""
    assert decide_for(P, [hardship("dibao"), PARTIAL]).outcome.eligible
    out = decide_for(P, [hardship("dibao"), assessment("full", "GB/T 42195-2022", 4)])
    assert not out.outcome.eligible
    assert rule(out, "lanzhou-incapacity")["passed"] is False
    assert not decide_for(P, [hardship("dibao"), assessment("none", "LTC-2021", 0)]
                          ).outcome.eligible


def test_lanzhou_2021_s4_3_2_priority_by_hardship_and_incapacity():
    """§四(三)2 以经济困难程度、失能等级程度为基础的分类保障制度……优先为……提供."""
    ranks = {
        (("dibao",), "full"): (1, "lanzhou-p1"), (("dibao",), "partial"): (2, "lanzhou-p2"),
        (("low",), "full"): (3, "lanzhou-p3"), (("low",), "partial"): (4, "lanzhou-p4"),
        (("lower_middle",), "full"): (5, "lanzhou-p5"),
        (("lower_middle",), "partial"): (6, "lanzhou-p6"),
    }
    for (what, level), (rank, rule_id) in ranks.items():
        facts = [FULL if level == "full" else PARTIAL]
        if what[0] in ("low", "lower_middle"):
            facts.append(household(income_group=what[0]))
        else:
            facts.append(hardship(*what))
        out = decide_for(P, facts)
        assert out.outcome.priority == rank, (what, level)
        assert rule(out, rule_id, "priority")["clause"] == "lanzhou-2021 §四(三)2"


def test_lanzhou_2021_s4_3_2_no_priority_when_not_eligible():
    assert decide_for(P, [household(income_group="high"), FULL]).outcome.priority is None
