"""Decide: the facts of a person on a date under one pack -> eligible care
modes, target groups matched, priority and the explanation (facts used, pack and
version, every rule with pass/fail and clause). Pure and deterministic."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid
from doudi_common.ids import mask_id_number
from doudi_contracts.vocabularies import label

from doudi_eligibility.domain.packs import Pack, Rule
from doudi_eligibility.domain.person import PersonFacts, summarise
from doudi_eligibility.domain.rules import values_of


@dataclass(frozen=True)
class Outcome:
    """What a decision *is*; two decisions with equal outcomes are no change."""

    policy_pack: str | None
    pack_version: str | None
    eligible: bool
    care_modes: tuple[str, ...]
    target_groups: tuple[str, ...]
    priority: int | None

    @property
    def digest(self) -> str:
        text = json.dumps([self.policy_pack, self.pack_version, self.eligible,
                           list(self.care_modes), list(self.target_groups), self.priority])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Decision:
    on: date
    outcome: Outcome
    groups: tuple[Rule, ...]
    rules: tuple[dict[str, Any], ...]
    facts: tuple[dict[str, Any], ...]
    summary: str
    passed_clauses: tuple[str, ...] = ()

    @property
    def clauses(self) -> list[str]:
        """Clauses of the rules that passed, in order, once each."""
        return list(dict.fromkeys(self.passed_clauses))

    def to_dict(self, id_number: str | None = None) -> dict[str, Any]:
        o = self.outcome
        return {
            "id_number_masked": mask_id_number(id_number) if id_number else None,
            "on": self.on.isoformat(), "policy_pack": o.policy_pack,
            "pack_version": o.pack_version, "eligible": o.eligible,
            "care_modes": list(o.care_modes),
            "target_groups": [{"id": g.id, "label": g.label, "clause": g.clause}
                              for g in self.groups],
            "priority": o.priority,
            "explanation": {"facts": list(self.facts), "rules": list(self.rules),
                            "summary": self.summary},
            "digest": o.digest,
        }


def _rule_result(rule: Rule, pf: PersonFacts, scope: str, explain: bool,
                 clauses: list[str]) -> tuple[bool, dict[str, Any] | None]:
    passed = bool(rule.test(pf))
    if passed:
        clauses.append(rule.clause)
    if not explain:
        return passed, None
    return passed, {"id": rule.id, "scope": scope, "clause": rule.clause, "label": rule.label,
                    "condition": rule.text, "wording": rule.wording, "passed": passed,
                    "detail": values_of(pf, list(rule.attrs))}


def decide(pack: Pack | None, pf: PersonFacts, explain: bool = True) -> Decision:
    """``explain=False`` skips building the explanation (re-deciding in bulk only
    needs the outcome); the outcome is the same either way."""
    if pack is None:
        outcome = Outcome(None, None, False, (), (), None)
        return Decision(pf.on, outcome, (), (), _facts(pf) if explain else (),
                        "该区划在此日期无适用的政策包")
    rules: list[dict[str, Any]] = []
    clauses: list[str] = []
    general_ok = True
    for rule in pack.general:
        passed, row = _rule_result(rule, pf, "general", explain, clauses)
        general_ok &= passed
        if row:
            rules.append(row)
    matched = []
    for group in pack.groups:
        passed, row = _rule_result(group.rule, pf, "target_group", explain, clauses)
        if passed:
            matched.append(group)
        if row:
            rules.append(row)
    modes: list[str] = []
    for mode, spec in pack.modes.items():
        if not any(not g.modes or mode in g.modes for g in matched):
            if explain:
                rules.append({"id": f"{mode}-group", "scope": f"mode:{mode}", "clause": spec.clause,
                              "label": "属于可享受该照护方式的对象", "condition": "",
                              "passed": False, "detail": "无匹配的对象类别"})
            continue
        mode_ok = True
        for rule in spec.rules:
            passed, row = _rule_result(rule, pf, f"mode:{mode}", explain, clauses)
            mode_ok &= passed
            if row:
                rules.append(row)
        if mode_ok and general_ok:
            modes.append(mode)
    eligible = bool(modes)
    priority = None
    if eligible:
        for rank, rule in pack.priority:
            passed, row = _rule_result(rule, pf, "priority", explain, clauses)
            if row:
                rules.append(row)
            if passed:
                priority = rank
                break
    outcome = Outcome(pack.id, pack.version, eligible, tuple(sorted(modes)),
                      tuple(g.rule.id for g in matched) if eligible else (), priority)
    if not eligible:
        clauses = []
    if not explain:
        return Decision(pf.on, outcome, (), (), (), "", tuple(clauses))
    basis = f"依据《{pack.title}》（{pack.id}，第{pack.version}版）"
    if eligible:
        summary = (f"{basis}，符合" + "、".join(g.rule.label for g in matched)
                   + "，可享受照护方式：" + "、".join(label("care_modes", m)
                                                  for m in outcome.care_modes)
                   + _refused(pack, outcome.care_modes, rules))
    else:  # every rule that failed, in the staff's words, with its clause
        failed = [r for r in rules if not r["passed"] and r["scope"] != "target_group"]
        reason = "不属于任何对象类别" if not matched else "；".join(dict.fromkeys(
            f"{r['label']}（{r['clause']}）" for r in failed))
        summary = f"{basis}，不符合：{reason}"
    return Decision(pf.on, outcome, tuple(g.rule for g in matched) if eligible else (),
                    tuple(rules), _facts(pf), summary, tuple(clauses))


def _facts(pf: PersonFacts) -> tuple[dict[str, Any], ...]:
    return tuple({"kind": f.kind, "source": f.source,
                  "valid_from": f.valid_from.isoformat() if f.valid_from else None,
                  "valid_until": f.valid_until.isoformat() if f.valid_until else None,
                  "source_event_id": f.source_event_id, "summary": summarise(f)}
                 for f in pf.used)


# -- what a decision means for one care mode ---------------------------------------

def failed_rules(decision: Decision, care_mode: str) -> list[dict[str, Any]]:
    """The rules that keep ``care_mode`` from the person: the general rules and
    the mode's own, each as ``{rule, clause, label}``."""
    return [{"rule": r["id"], "clause": r["clause"], "label": r["label"]}
            for r in decision.rules if not r["passed"]
            and r["scope"] in ("general", f"mode:{care_mode}")]


def failed_clauses(decision: Decision, care_mode: str) -> list[str]:
    """Clauses of ``failed_rules``, in order, once each."""
    return list(dict.fromkeys(r["clause"] for r in failed_rules(decision, care_mode)))


def mode_rules_failed(decision: Decision, care_mode: str) -> list[str]:
    """Clauses of the mode's own rules that failed (why an enrolment in
    ``care_mode`` is due for review)."""
    return [r["clause"] for r in decision.rules
            if not r["passed"] and r["scope"] == f"mode:{care_mode}"]


def _refused(pack: Pack, granted: tuple[str, ...], rules: list[dict[str, Any]]) -> str:
    """The pack's other modes and why each is not open: its failed rules' labels
    with their clauses (staff see why a requested mode was refused)."""
    parts = []
    for mode in pack.modes:
        if mode in granted:
            continue
        failed = dict.fromkeys(f"{r['label']}（{r['clause']}）" for r in rules
                               if r["scope"] == f"mode:{mode}" and not r["passed"])
        parts.append(f"{label('care_modes', mode)}（" + ("；".join(failed) or "通用条件不符")
                     + "）")
    return "；不可享受：" + "、".join(parts) if parts else ""


def require_mode(decision: Decision, care_mode: str, detail: str) -> None:
    """The person must qualify for ``care_mode`` now: otherwise ``Conflict`` with
    the failed rules (the approving authority decides on today's facts; an
    infection flagged since filing stops centralised care, puyang-2020 §四(四))."""
    if care_mode not in decision.outcome.care_modes:
        raise Conflict(detail, failed_rules=failed_rules(decision, care_mode),
                       care_mode=care_mode)


def require_mode_for_filing(decision: Decision, care_mode: str, policy_pack: str) -> None:
    """Filing for ``care_mode`` needs the person to qualify for it on the day of
    filing: otherwise ``Invalid`` on the field, with the failed rules."""
    if care_mode not in decision.outcome.care_modes:
        raise Invalid("不符合该照护方式的条件：" + decision.summary, field="care_mode",
                      failed_rules=failed_rules(decision, care_mode), policy_pack=policy_pack)


def is_news(previous_digest: str | None, decision: Decision) -> bool:
    """Whether storing ``decision`` changes what is known of the person
    (``eligibility.changed``): a different outcome than the stored one; with
    none stored, being eligible (no decision counts as not eligible)."""
    if previous_digest is None:
        return decision.outcome.eligible
    return previous_digest != decision.outcome.digest


def changed_event(person: dict[str, Any], decision: Decision, previous_modes: list[str],
                  trigger: str) -> dict[str, Any]:
    """The data of ``eligibility.changed`` for ``decision``."""
    o = decision.outcome
    return {"id_number": person["id_number"], "division_code": person["division_code"],
            "decided_on": decision.on, "policy_pack": o.policy_pack,
            "pack_version": o.pack_version, "eligible": o.eligible,
            "care_modes": list(o.care_modes), "previous_care_modes": list(previous_modes),
            "target_groups": list(o.target_groups), "priority": o.priority,
            "clauses": decision.clauses, "trigger": trigger[:64]}
