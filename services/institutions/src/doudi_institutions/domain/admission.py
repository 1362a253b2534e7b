"""Admission to a care institution (puyang-2020 §四(四), hangzhou-2024 §三(一)): who
may be admitted where, transfer consent, what an ended enrolment does to a
placement.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid

# -- admission (puyang-2020 §四(四), hangzhou-2024 §三(一)) ---------------------------


#: Who keeps a person with an open infection out of centralised care, by the
#: institution's jurisdiction (division-code prefix), and the clause that says
#: so (issue 17 item 12). hangzhou-2024 §三(一) has the institutions take every
#: tekun person who wants to come in (应收尽收) and lanzhou-2021 sets no such
#: rule: there an infection does not refuse the admission.
INFECTION_BLOCKS = {
    "4109": "puyang-2020 §四(四)",       # 无传染疾病
    "360104": "qingyunpu-2021 §四(三)2",  # 患有……传染病等疾病不宜集中供养
    "3415": "luan-2021 §三(七)",          # 落实……各类传染病防控规定
}


def infection_clause(county_code: str) -> str | None:
    """The clause that keeps an infected person out here, or None."""
    for prefix, clause in sorted(INFECTION_BLOCKS.items(), key=lambda kv: -len(kv[0])):
        if county_code.startswith(prefix):
            return clause
    return None


@dataclass(frozen=True)
class AdmissionFacts:
    institution_status: str
    has_open_placement: bool
    infection_open: bool
    free_beds: int
    county_code: str = ""


def check_admission(facts: AdmissionFacts) -> None:
    """Raise ``Conflict`` with a ``reason`` when the person may not be admitted."""
    if facts.institution_status != "open":
        raise Conflict("机构当前不接收入住", reason="institution_not_open",
                       status=facts.institution_status)
    if facts.has_open_placement:
        raise Conflict("该人员已在机构入住，不能重复入住", reason="already_placed")
    clause = infection_clause(facts.county_code) if facts.infection_open else None
    if clause is not None:
        raise Conflict(f"该人员有未解除的传染病标记，暂不能集中入住（{clause}）",
                       reason="infection_open", clause=clause)
    if facts.free_beds <= 0:
        raise Conflict("机构无空余床位", reason="no_free_bed")


def check_transfer_consent(latest_consent_given: bool | None) -> None:
    """hangzhou-2024 §五(三): moving a resident needs their recorded consent."""
    if latest_consent_given is not True:
        raise Conflict("转院须有本人同意的记录（hangzhou-2024 §五(三)）", reason="no_consent",
                       clause="hangzhou-2024 §五(三)")


ENDING_TO_DISCHARGE = {"deceased": "deceased", "handed_over": "handed_over",
                       "voluntary_exit": "voluntary", "improved": "no_longer_eligible",
                       "no_longer_eligible": "no_longer_eligible", "moved_away": "other",
                       "other": "other"}


def check_open(placement: dict[str, Any]) -> None:
    """An ended placement is not discharged, transferred or changed again."""
    if placement["status"] != "open":
        raise Conflict("该入住记录已结束", reason="closed")


def check_not_before_admission(day: date, placement: dict[str, Any], field: str,
                               what: str) -> date:
    if day < placement["admitted_on"]:
        raise Invalid(f"{what}不能早于入住日期", field=field, reason="bad_date")
    return day


def check_not_before(day: date, latest: date, field: str) -> date:
    """A care-level change is dated after the one before it."""
    if day < latest:
        raise Invalid("变更日期不能早于上次变更", field=field, reason="bad_date")
    return day


def check_other_institution(placement: dict[str, Any], target: dict[str, Any]) -> None:
    if placement["institution_id"] == target["id"]:
        raise Invalid("转出与转入机构不能相同", field="to_uscc", reason="same_institution")


def admission_policy(division_code: str) -> dict[str, str | None]:
    """Institutions' part of a jurisdiction's policy: the clause that keeps a
    person with an open infection out of centralised care there (None: admitted)."""
    return {"infection_block_clause": infection_clause(division_code)}
