"""Fact history read as of a date, pack choice by longest division prefix and
effective dates, packs as data (every rule cites its own document), rules engine."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date

import pytest
from doudi_common.errors import Invalid, NotFound
from doudi_eligibility.domain.decision import decide
from doudi_eligibility.domain.packs import PackRegistry, pack_from_data
from doudi_eligibility.domain.person import (
    Fact,
    fact_from_event,
    hardship_ended_fact,
    hardship_fact,
    household_fact,
    identity_from,
    snapshot,
)
from doudi_eligibility.domain.rules import compile_condition, describe
from doudi_eligibility.policy import load_pack
from doudi_eligibility.testing import REGISTRY, assessment, cert, hardship, household, person

BORN = date(1952, 3, 14)


def numbered(*facts):
    flat = []
    for f in facts:
        flat.extend(f if isinstance(f, list) else [f])
    return [replace(f, seq=i + 1) for i, f in enumerate(flat)]


def snap(facts, on):
    return snapshot(BORN, "341502001201", "rural", facts, on)


def test_history_is_read_as_of_a_date():
    facts = numbered(cert("physical", 3, issued=date(2020, 1, 1)),
                     cert("physical", 1, issued=date(2025, 6, 1)),
                     Fact("disability_certificate_revoked", "cdpf", date(2026, 2, 1), None,
                          {"certificate_no": "Xphysical1", "reason": "复查"}))
    assert snap(facts, date(2019, 12, 31)).certificate is None
    assert snap(facts, date(2024, 1, 1)).certificate.payload["grade"] == 3
    assert snap(facts, date(2025, 6, 1)).certificate.payload["grade"] == 1
    assert snap(facts, date(2026, 2, 1)).certificate is None  # revoked from its date


def test_a_later_certificate_or_assessment_supersedes_the_earlier_one():
    facts = numbered(cert("physical", 1, issued=date(2020, 1, 1)),  # long-term
                     cert("physical", 3, issued=date(2025, 1, 1), until=date(2025, 12, 31)),
                     assessment("full", on=date(2024, 1, 1), until=date(2030, 1, 1)),
                     assessment("none", level=0, on=date(2025, 1, 1), until=date(2025, 12, 31)))
    mid = snap(facts, date(2025, 6, 1))
    assert mid.certificate.payload["grade"] == 3
    assert mid.assessment.payload["incapacity_level"] == "none"
    later = snap(facts, date(2026, 6, 1))  # the newer ones expired: the old do not come back
    assert later.certificate is None and later.assessment is None


def test_a_certificate_issued_after_its_revocation_stands():
    facts = numbered(cert("physical", 1, issued=date(2020, 1, 1)),
                     Fact("disability_certificate_revoked", "cdpf", date(2024, 1, 1), None,
                          {"certificate_no": "Xphysical1", "reason": "错误"}),
                     cert("physical", 1, issued=date(2025, 1, 1)))
    assert snap(facts, date(2024, 6, 1)).certificate is None
    assert snap(facts, date(2025, 6, 1)).certificate is not None


def test_infection_hospital_death_and_hardship_over_time():
    facts = numbered(
        Fact("infection_flagged", "health", date(2026, 1, 1), None, {"disease_code": "A15.0"}),
        Fact("infection_cleared", "health", date(2026, 2, 1), None, {"disease_code": "A15.0"}),
        Fact("hospital_admitted", "health", date(2026, 1, 10), None, {"hospital_uscc": "u"}),
        Fact("hospital_discharged", "health", date(2026, 1, 20), None, {"hospital_uscc": "u"}),
        Fact("death", "health", date(2026, 3, 1), None, {}),
        hardship("dibao", since=date(2025, 1, 1)),
        hardship_ended_fact("dibao", "civil_affairs", date(2026, 1, 15)))
    jan5, jan15, feb = snap(facts, date(2026, 1, 12)), snap(facts, date(2026, 1, 15)), \
        snap(facts, date(2026, 2, 2))
    assert jan5.infections == {"A15.0"} and jan5.hospitalised and "dibao" in jan5.hardship
    assert "dibao" not in jan15.hardship
    assert not feb.infections and not feb.hospitalised and not feb.deceased
    assert snap(facts, date(2026, 3, 1)).deceased


def test_snapshot_is_deterministic_whatever_the_input_order():
    facts = numbered(cert(), assessment(), hardship("tekun", "dibao"))
    a, b = snap(facts, date(2026, 3, 1)), snap(list(reversed(facts)), date(2026, 3, 1))
    assert a == b
    d1 = decide(REGISTRY.for_division("341502001201", date(2026, 3, 1)), a)
    d2 = decide(REGISTRY.for_division("341502001201", date(2026, 3, 1)), b)
    assert d1.to_dict("341502195203140011") == d2.to_dict("341502195203140011")


def test_the_department_s_order_wins_whatever_order_events_were_applied_in():
    """Two certificates of one day: the one CDPF reported later stands even
    when it was applied first (a redelivery after a database restart does
    that) — the event's time breaks the tie, not the storage order."""
    day = date(2026, 1, 5)

    def reported(grade, hour, event_id):
        data = {"id_number": "x", "certificate_no": f"C{grade}", "category": "physical",
                "grade": grade, "issued_on": day, "valid_until": None}
        return fact_from_event("cdpf", "certificate.changed", event_id, data,
                               f"2026-01-05T{hour:02d}:00:00+08:00")
    earlier, later = reported(3, 9, "e-early"), reported(1, 15, "e-late")
    in_order = numbered(earlier, later)
    late_first = numbered(later, earlier)  # stored in the opposite order
    assert late_first[1].seq > late_first[0].seq
    for facts in (in_order, late_first):
        assert snap(facts, date(2026, 2, 1)).certificate.payload["grade"] == 1
    # without a reported time (an in-memory history), storage order decides as before
    bare = [replace(f, reported_at=None) for f in late_first]
    assert snap(bare, date(2026, 2, 1)).certificate.payload["grade"] == 3


def test_explanation_lists_facts_pack_and_every_rule_with_clause():
    d = decide(REGISTRY.for_division("341502001201", date(2026, 3, 10)),
               person("luan-2021", [hardship("dibao"), assessment()]))
    out = d.to_dict("341502195203140011")
    assert out["policy_pack"] == "luan-2021" and out["pack_version"] == "1"
    assert {f["kind"] for f in out["explanation"]["facts"]} == {"hardship",
                                                                "incapacity_assessment"}
    assert all(r["clause"].startswith("luan-2021 §") for r in out["explanation"]["rules"])
    assert {r["passed"] for r in out["explanation"]["rules"]} == {True, False}
    assert "341502195203140011" not in str(out)


def test_the_explanation_speaks_chinese_and_quotes_the_document():
    """Staff read labels, never codes; each rule that has it carries the
    document's own words."""
    d = decide(REGISTRY.for_division("360104001001", date(2026, 3, 10)),
               person("qingyunpu-2021", [hardship("tekun"), assessment(),
                                         cert("physical", 1)]))
    out = d.to_dict("360104194806071555")
    rules = {r["id"]: r for r in out["explanation"]["rules"]}
    tekun = rules["qingyunpu-1-tekun"]
    assert tekun["wording"] == "特困供养人员"
    assert "困难身份=特困人员" in tekun["detail"] and "tekun" not in tekun["detail"]
    assert "困难身份包含其一特困人员" in tekun["condition"]
    summaries = [f["summary"] for f in out["explanation"]["facts"]]
    assert "困难身份：特困人员" in summaries
    assert any("肢体残疾 一级" in s for s in summaries), summaries
    assert any("完全失能" in s for s in summaries), summaries
    household = decide(REGISTRY.for_division("360104001001", date(2026, 3, 10)), person(
        "qingyunpu-2021", [hardship("dibao"), Fact("household", "clerk", date(2025, 1, 1), None,
                                                   {"serious_illness": True})]))
    assert "家庭情况·家中有重病患者=是" in str(household.to_dict("x")["explanation"]["rules"])


def test_facts_from_department_events():
    f = fact_from_event("cdpf", "certificate.revoked", "e1", {
        "id_number": "x", "certificate_no": "c", "revoked_on": date(2026, 1, 1), "reason": "r"})
    assert (f.kind, f.valid_from, f.source_event_id) == ("disability_certificate_revoked",
                                                         date(2026, 1, 1), "e1")
    d = fact_from_event("health", "person.deceased", "e2", {"id_number": "x",
                                                           "date_of_death": date(2026, 2, 1)})
    assert d.kind == "death" and d.source == "health"
    with pytest.raises(KeyError):
        fact_from_event("cdpf", "subsidy.granted", "e3", {})


def test_clerk_facts_are_checked():
    with pytest.raises(Invalid):
        hardship_fact("rich", "civil_affairs", date(2026, 1, 1))
    with pytest.raises(Invalid):
        hardship_fact("dibao", "civil_affairs", date(2026, 1, 1), date(2025, 1, 1))
    with pytest.raises(Invalid):
        household_fact({"lives_alone": "yes"})
    with pytest.raises(Invalid):
        household_fact({"income_group": "poorest"})
    assert household_fact({"income_per_head": "320.5"}).payload["income_per_head"] == "320.50"
    with pytest.raises(Invalid):
        household_fact({"members": [{"name": "李四", "relationship": "cousin"}]})
    with pytest.raises(Invalid):
        household_fact({"members": [{"name": "李四", "relationship": "child",
                                     "id_number": "341502195203140012"}]})  # bad checksum
    with pytest.raises(Invalid):
        household_fact({"assets": {"car": "no"}})
    ok = household_fact({"members": [{"name": "李四", "relationship": "child"}],
                         "assets": {"car": False}, "valid_from": "2026-01-01"})
    assert ok.valid_from == date(2026, 1, 1) and ok.payload["members"][0]["name"] == "李四"


def test_identity_is_checked_against_the_id_number():
    from doudi_common.testing.idnumbers import make_id_number

    pid = make_id_number()
    assert identity_from(pid, " 张三 ", "341502001201").birth_date == date(1952, 3, 14)
    with pytest.raises(Invalid):
        identity_from(pid, "张三", "341502001201", birth_date=date(1952, 3, 15))
    with pytest.raises(Invalid):
        identity_from(pid, "张三", "341502001201", sex="female")
    with pytest.raises(Invalid):
        identity_from(pid, " ", "341502001201")
    with pytest.raises(Invalid):
        identity_from(pid[:-1] + ("0" if pid[-1] != "0" else "1"), "张三", "341502001201")


def test_pack_chosen_by_longest_division_prefix_in_force():
    county = copy.deepcopy(load_pack("luan-2021").data)
    county.update(id="jinan-2026", version="1", jurisdiction="341502",
                  effective_from=date(2026, 3, 1))
    reg = PackRegistry(REGISTRY.packs + [pack_from_data(county)])
    assert reg.for_division("341502001201", date(2026, 3, 1)).id == "jinan-2026"
    assert reg.for_division("341502001201", date(2026, 2, 28)).id == "luan-2021"
    assert reg.for_division("341503001201", date(2026, 3, 1)).id == "luan-2021"
    assert reg.for_division("110101001001", date(2026, 3, 1)) is None
    assert reg.for_division("341502001201", date(2021, 2, 7)) is None  # before luan-2021


def test_a_later_version_takes_over_from_its_effective_date():
    v2 = copy.deepcopy(load_pack("puyang-2020").data)
    v2.update(version="2", effective_from=date(2027, 1, 1))
    reg = PackRegistry(REGISTRY.packs + [pack_from_data(v2)])
    assert reg.for_division("410928", date(2026, 12, 31)).version == "1"
    assert reg.for_division("410928", date(2027, 1, 1)).version == "2"
    assert reg.get("puyang-2020").version == "2"
    assert reg.get("puyang-2020", "1").version == "1"
    with pytest.raises(NotFound):
        reg.get("nowhere-2020")


@pytest.mark.parametrize("pack", REGISTRY.packs, ids=lambda p: p.id)
def test_every_rule_cites_a_clause_of_its_own_document(pack):
    rules = list(pack.general) + [g.rule for g in pack.groups] + [
        r for spec in pack.modes.values() for r in spec.rules] + [r for _, r in pack.priority]
    assert rules
    for r in rules:
        assert r.clause.startswith(f"{pack.id} §"), r.id
    for spec in pack.modes.values():
        assert spec.clause.startswith(f"{pack.id} §")
    assert pack.chain_clause.startswith(f"{pack.id} §")
    assert len({r.id for r in rules}) == len(rules)


def test_five_jurisdictions_shipped():
    assert {(p.id, p.jurisdiction) for p in REGISTRY.packs} == {
        ("luan-2021", "341500"), ("hangzhou-2024", "330100"), ("lanzhou-2021", "620100"),
        ("puyang-2020", "410900"), ("qingyunpu-2021", "360104")}


def test_broken_pack_data_is_refused():
    data = copy.deepcopy(load_pack("luan-2021").data)
    bad_mode = copy.deepcopy(data)
    bad_mode["care_modes"]["teleport"] = {"clause": "x", "rules": []}
    bad_chain = copy.deepcopy(data)
    bad_chain["chain"] = ["approve"]
    bad_notice = copy.deepcopy(data)
    bad_notice["chain"] = ["township_check", "approve", "public_notice", "sign_agreement"]
    no_clause = copy.deepcopy(data)
    del no_clause["target_groups"][0]["clause"]
    bad_attr = copy.deepcopy(data)
    bad_attr["target_groups"][0]["when"] = {"attr": "shoe_size", "ge": 40}
    for broken in (bad_mode, bad_chain, bad_notice, no_clause, bad_attr):
        with pytest.raises(Invalid):
            pack_from_data(broken)


def test_conditions_compile_and_read_in_chinese():
    pf = person("luan-2021", [hardship("dibao"), cert("physical", 2)])
    cond = {"any": [{"attr": "hardship", "any_of": ["tekun"]},
                    {"all": [{"attr": "disability.grade", "le": 2},
                             {"not": {"attr": "infection", "eq": True}}]}]}
    assert compile_condition(cond)(pf) is True
    assert compile_condition({"attr": "incapacity", "in": ["full"]})(pf) is False  # unknown
    assert "残疾等级≤2" in describe(cond)
    for bad in ({}, {"attr": "age"}, {"attr": "age", "ge": 1, "le": 2}, {"attr": "age", "~": 1}):
        with pytest.raises(Invalid):
            compile_condition(bad)


ALIVE_CASES = {"luan-2021": [hardship("tekun"), assessment()],
               "hangzhou-2024": [hardship("tekun")],
               "lanzhou-2021": [hardship("dibao"), assessment("full", "LTC-2021", 4)],
               "puyang-2020": [hardship("orphan")],
               "qingyunpu-2021": [hardship("dibao"), assessment(), household(no_carer=True)]}


ALIVE_RULES = {"luan-2021": "luan-alive", "hangzhou-2024": "hangzhou-alive",
               "lanzhou-2021": "lanzhou-alive", "puyang-2020": "puyang-alive",
               "qingyunpu-2021": "qingyunpu-alive"}


@pytest.mark.parametrize("pack_id", sorted(ALIVE_CASES))
def test_a_deceased_person_is_no_target_of_any_pack(pack_id):
    """Each pack's target-group clause (e.g. luan-2021 §三(一)) speaks of living people."""
    from doudi_eligibility.testing import decide_for, rule

    alive = decide_for(pack_id, ALIVE_CASES[pack_id], born=date(1950, 1, 1))
    assert alive.outcome.eligible
    died = Fact("death", "health", date(2026, 3, 1), None, {})
    dead = decide_for(pack_id, ALIVE_CASES[pack_id] + [died], born=date(1950, 1, 1))
    assert not dead.outcome.eligible
    assert rule(dead, ALIVE_RULES[pack_id])["passed"] is False


def test_every_pack_rule_is_named_in_a_unit_test():
    """Guards the rule that every pack rule has its own test (clause in its name)."""
    from pathlib import Path

    here = Path(__file__).parent
    text = "".join(p.read_text("utf-8") for p in here.glob("test_eligibility_*.py"))
    missing = []
    for pack in REGISTRY.packs:
        rules = list(pack.general) + [g.rule for g in pack.groups] + [
            r for spec in pack.modes.values() for r in spec.rules]
        missing += [r.id for r in rules if r.id not in text]
        missing += [r.id for _, r in pack.priority if r.id not in text]
    assert missing == []


def test_an_eligible_decision_says_which_modes_are_refused_and_why():
    """Issue 17: the summary names the modes granted and, for each other mode of the
    pack, the rules it failed with their clauses."""
    d = decide(REGISTRY.for_division("360104001001", date(2026, 3, 10)),
               person("qingyunpu-2021", [hardship("tekun"), assessment()]))
    assert d.outcome.care_modes == ("centralized",)
    assert "可享受照护方式：集中供养" in d.summary
    refused = d.summary.split("不可享受：", 1)[1]
    assert "居家探访" in refused or "上门" in refused
    assert "日间照料" in refused and "qingyunpu-2021 §四(三)1" in refused
