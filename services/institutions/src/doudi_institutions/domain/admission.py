"""Admission to a care institution (puyang-2020 §四(四), hangzhou-2024 §三(一)): who
may be admitted where, transfer consent, what an ended enrolment does to a
placement; and the duties a jurisdiction's pack sets on its institutions
(puyang-2020 §四(三): a public-welfare post at a co-housing site).

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid
from doudi_common.ids import division_prefix

# -- admission (puyang-2020 §四(四), hangzhou-2024 §三(一)) ---------------------------


@dataclass(frozen=True)
class Clause:
    clause: str
    wording: str = ""


@dataclass(frozen=True)
class CoHousingPost:
    """puyang-2020 §四(三): a co-housing site with ``min_households`` or more
    households gets ``posts`` public-welfare posts (公益岗), arranged by the
    ``arranged_by`` level (the township)."""

    min_households: int
    posts: int
    arranged_by: str
    clause: str
    wording: str = ""


@dataclass(frozen=True)
class InstitutionRules:
    """Institutions' part of a jurisdiction's policy pack (doudi_contracts.policy)."""

    pack: str
    prefix: str
    #: who keeps a person with an open infection out of centralised care here
    #: (issue 17 item 12); None: hangzhou-2024 §三(一) 应收尽收, lanzhou sets no rule
    infection_block: Clause | None = None
    co_housing_post: CoHousingPost | None = None


def rules_from(doc: dict[str, Any]) -> InstitutionRules:
    """Build a jurisdiction's institution rules from its policy pack."""
    part = doc.get("institutions") or {}
    block = part.get("infection_block")
    post = part.get("co_housing_post")
    try:
        return InstitutionRules(
            pack=doc["id"], prefix=division_prefix(str(doc["jurisdiction"])),
            infection_block=Clause(block["clause"], block.get("wording", "")) if block else None,
            co_housing_post=CoHousingPost(
                int(post["min_households"]), int(post["posts"]), post["arranged_by"],
                post["clause"], post.get("wording", "")) if post else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise Invalid("政策包机构部分有误", reason="bad_pack", pack=doc.get("id"),
                      field=str(exc)) from None


def rules_in(all_rules: tuple[InstitutionRules, ...], county_code: str
             ) -> InstitutionRules | None:
    """The rules of the jurisdiction whose territory holds ``county_code`` (longest prefix)."""
    inside = [r for r in all_rules if county_code.startswith(r.prefix)]
    return max(inside, key=lambda r: len(r.prefix)) if inside else None


def infection_clause(rules: InstitutionRules | None) -> str | None:
    """The clause that keeps an infected person out here, or None."""
    return rules.infection_block.clause if rules and rules.infection_block else None


@dataclass(frozen=True)
class AdmissionFacts:
    institution_status: str
    has_open_placement: bool
    infection_open: bool
    free_beds: int
    #: the clause that keeps an infected person out in the institution's jurisdiction
    infection_block_clause: str | None = None


def check_admission(facts: AdmissionFacts) -> None:
    """Raise ``Conflict`` with a ``reason`` when the person may not be admitted."""
    if facts.institution_status != "open":
        raise Conflict("机构当前不接收入住", reason="institution_not_open",
                       status=facts.institution_status)
    if facts.has_open_placement:
        raise Conflict("该人员已在机构入住，不能重复入住", reason="already_placed")
    clause = facts.infection_block_clause if facts.infection_open else None
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


def co_housing_post_rule(kind: str, rules: InstitutionRules | None) -> CoHousingPost | None:
    """The public-welfare post duty (puyang-2020 §四(三)) that applies to an
    institution of this kind here: a co-housing site (居村联养点) where the pack
    sets the duty; None otherwise (then nothing need be counted)."""
    rule = rules.co_housing_post if rules else None
    return rule if kind == "co_housing_site" else None


def co_housing_post_duty(rule: CoHousingPost, households: int, posts: int) -> dict[str, Any]:
    """The duty at a site (the words are in the pack, ``co_housing_post.wording``):
    how many households live there, how many posts are required and held, and
    whether the duty is met."""
    required = rule.posts if households >= rule.min_households else 0
    return {"households": households, "min_households": rule.min_households,
            "required_posts": required, "posts": posts, "met": posts >= required,
            "arranged_by": rule.arranged_by, "clause": rule.clause, "wording": rule.wording}


def admission_policy(rules: InstitutionRules | None) -> dict[str, Any]:
    """Institutions' part of a jurisdiction's policy: the clause (and words) that
    keep a person with an open infection out of centralised care there (None:
    admitted), and the co-housing sites' public-welfare post duty."""
    block = rules.infection_block if rules else None
    post = rules.co_housing_post if rules else None
    return {"infection_block_clause": block.clause if block else None,
            "infection_block_wording": block.wording if block else None,
            "co_housing_post": None if post is None else {
                "min_households": post.min_households, "posts": post.posts,
                "arranged_by": post.arranged_by, "clause": post.clause,
                "wording": post.wording}}
