"""Test helpers: facts and snapshots built the way departments and clerks
report them (test data only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from doudi_eligibility.domain.decision import Decision, decide
from doudi_eligibility.domain.person import Fact, PersonFacts, snapshot
from doudi_eligibility.policy import default_registry

TODAY = date(2026, 3, 10)
REGISTRY = default_registry()


def with_notice(pack_id: str = "qingyunpu-2021", days: int = 7):
    """A pack as if its document set a notice period of ``days`` before approval
    (none of the five does today; the engine keeps the mechanism for one that will)."""
    from doudi_eligibility.domain.packs import pack_from_data

    data = dict(REGISTRY.get(pack_id).data)
    chain = [s for s in data["chain"] if s != "sign_agreement"]
    data.update(chain=[*chain, "public_notice", "sign_agreement"], notice_days=days)
    return pack_from_data(data)

#: a village in each jurisdiction
DIVISIONS = {"luan-2021": "341502001201", "hangzhou-2024": "330106001001",
             "lanzhou-2021": "620102001001", "puyang-2020": "410928001201",
             "qingyunpu-2021": "360104001001"}


def cert(category: str = "physical", grade: int = 1, issued: date = date(2025, 1, 1),
         until: date | None = None, number: str = "X") -> Fact:
    return Fact("disability_certificate", "cdpf", issued, until,
                {"certificate_no": f"{number}{category}{grade}", "category": category,
                 "grade": grade})


def assessment(incapacity: str = "full", standard: str = "GB/T 42195-2022", level: int = 3,
               on: date = date(2025, 6, 1), until: date = date(2027, 6, 1)) -> Fact:
    return Fact("incapacity_assessment", "health", on, until,
                {"assessment_id": "PG-1", "standard": standard, "level": level,
                 "incapacity_level": incapacity, "assessor_uscc": "12341500485912345J"})


def hardship(*statuses: str, since: date = date(2024, 1, 1), until: date | None = None) -> list:
    return [Fact("hardship", "civil_affairs", since, until, {"status": s}) for s in statuses]


def household(since: date = date(2024, 1, 1), **flags) -> Fact:
    return Fact("household", "clerk", since, None, dict(flags))


def infection(code: str = "A15.0", on: date = date(2026, 1, 5)) -> Fact:
    return Fact("infection_flagged", "health", on, None, {"disease_code": code})


def person(pack: str, facts: list, born: date = date(1952, 3, 14), on: date = TODAY,
           registration: str | None = "rural") -> PersonFacts:
    flat: list[Fact] = []
    for f in facts:
        flat.extend(f if isinstance(f, list) else [f])
    numbered = [replace(f, seq=i + 1) for i, f in enumerate(flat)]
    return snapshot(born, DIVISIONS[pack], registration, numbered, on)


def decide_for(pack: str, facts: list, **kwargs) -> Decision:
    pf = person(pack, facts, **kwargs)
    return decide(REGISTRY.for_division(DIVISIONS[pack], pf.on), pf)


def rule(decision: Decision, rule_id: str, scope: str | None = None) -> dict:
    rows = [r for r in decision.rules if r["id"] == rule_id and (scope is None
                                                                 or r["scope"] == scope)]
    assert rows, f"rule {rule_id} not evaluated"
    return rows[0]


# -- service-level helpers ----------------------------------------------------------

def make_person(pack: str, seq: int = 1, born: str = "19520314", female: bool = False) -> str:
    """A valid ID number issued in the pack's jurisdiction."""
    from doudi_common.testing.idnumbers import make_id_number

    return make_id_number(region=DIVISIONS[pack][:6], birth=born, seq=seq, female=female)


def assessment_data(id_number: str, incapacity: str = "full", standard: str = "GB/T 42195-2022",
                    level: int = 3, assessed_on: str = "2026-03-02",
                    valid_until: str = "2027-03-01") -> dict:
    return {"id_number": id_number, "assessment_id": f"PG-{id_number[-6:]}",
            "standard": standard, "level": level, "incapacity_level": incapacity,
            "assessed_on": assessed_on, "valid_until": valid_until,
            "assessor_uscc": "12341500485912345J"}


CONSENT = {"given": True, "by": "本人", "on": "2026-03-09", "note": "本人自愿申请"}
HOME_VISIT = {"home_visit": {"on": "2026-03-10", "by": "乡镇干部李四", "findings": "独居，卧床"},
              "needs_assessment": {"incapacity_level": "full", "needs": ["meals", "personal_care"]}}


def caregiver_for(pack: str, seq: int = 90, **overrides) -> dict:
    """A neighbour caregiver meeting puyang-2020 §五: a relative in the person's
    village, healthy, who has agreed."""
    return {"name": "张大山", "relationship": "兄弟",
            "id_number": make_person(pack, seq, born="19700101"), "healthy": True,
            "agrees": True, "village_code": DIVISIONS[pack], **overrides}
