"""hangzhou-2024 (杭民发〔2024〕39号): §三(一) and §五(三)."""

from datetime import date

from doudi_eligibility.testing import assessment, decide_for, hardship, rule

P = "hangzhou-2024"


def test_hangzhou_2024_s3_1_every_willing_tekun_is_admitted():
    """§三(一) 对有意愿入住的特困人员,做到应收尽收 — no incapacity needed."""
    out = decide_for(P, [hardship("tekun")], born=date(1990, 1, 1))
    assert "centralized" in out.outcome.care_modes
    assert out.outcome.target_groups == ("hangzhou-tekun",)


def test_hangzhou_2024_s3_1_fully_incapacitated_dibao_elderly_to_tekun_institutions():
    """§三(一) 最低生活保障家庭的完全失能老年人集中照护服务,原则上安排在特困供养服务机构."""
    out = decide_for(P, [hardship("dibao"), assessment("full")])
    assert out.outcome.care_modes == ("centralized",)
    partial = decide_for(P, [hardship("dibao"), assessment("partial", level=2)])
    assert not partial.outcome.eligible
    assert rule(partial, "hangzhou-dibao-full")["passed"] is False
    young = decide_for(P, [hardship("dibao"), assessment("full")], born=date(1990, 1, 1))
    assert not young.outcome.eligible


def test_hangzhou_2024_s5_3_dispersed_support_only_for_tekun():
    """§五(三) 对不愿入住的特困人员,要落实好分散供养照护责任."""
    tekun = decide_for(P, [hardship("tekun")])
    assert "dispersed" in tekun.outcome.care_modes
    assert rule(tekun, "hangzhou-dispersed-tekun")["clause"] == "hangzhou-2024 §五(三)"
    dibao = decide_for(P, [hardship("dibao"), assessment("full")])
    assert "dispersed" not in dibao.outcome.care_modes
    # the dibao group is limited to centralised care: dispersed is not even open to it
    assert rule(dibao, "dispersed-group")["passed"] is False


def test_hangzhou_2024_not_in_force_before_2024_05_25():
    out = decide_for(P, [hardship("tekun")], on=date(2024, 5, 24))
    assert out.outcome.policy_pack is None and not out.outcome.eligible
    assert decide_for(P, [hardship("tekun")], on=date(2024, 5, 25)).outcome.eligible
