"""Regional consolidation of tekun institutions (hangzhou-2024).

* §二: at most 3 institutions per district/county (one where possible);
* §三(三): every remaining institution at grade 3 or above;
* §三(二): merge those with weak staffing or few residents, residents move
  across townships with their consent (§五(三)).

``plan`` is pure: it takes the county's institutions and residents and says which
to keep, which to merge into which, and where each resident would go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MAX_PER_COUNTY = 3
MIN_GRADE = 3


@dataclass(frozen=True)
class Site:
    uscc: str
    name: str
    division_code: str
    grade: int | None
    capacity: int          # beds in service
    occupied: int
    staff: int = 0


@dataclass(frozen=True)
class Resident:
    placement_id: str
    institution_uscc: str
    consent: bool | None = None   # latest recorded consent for the proposed target


@dataclass
class Merge:
    source_uscc: str
    target_uscc: str
    residents: list[Resident] = field(default_factory=list)


@dataclass
class Plan:
    county_code: str
    flagged: bool
    reasons: list[str]
    keep: list[str]
    merges: list[Merge]
    unplaced: list[Resident]
    feasible: bool


def occupancy(site: Site) -> Decimal:
    if site.capacity <= 0:
        return Decimal(0)
    return (Decimal(site.occupied) / Decimal(site.capacity)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP)


def closeness(a: str, b: str) -> int:
    """Distance by division: length of the common prefix of the two codes
    (same village 12 > same township 9 > same county 6)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _rank(site: Site) -> tuple[Any, ...]:
    # better first: higher grade, fuller, bigger, better staffed
    return (-(site.grade or 0), -occupancy(site), -site.capacity, -site.staff, site.uscc)


def plan(county_code: str, sites: list[Site], residents: list[Resident]) -> Plan:
    reasons = []
    if len(sites) > MAX_PER_COUNTY:
        reasons.append(f"机构数 {len(sites)} 超过 {MAX_PER_COUNTY} 家（hangzhou-2024 §二）")
    low = [s for s in sites if (s.grade or 0) < MIN_GRADE]
    if low:
        reasons.append(f"{len(low)} 家机构低于三级（hangzhou-2024 §三(三)）")
    if not reasons:
        return Plan(county_code, False, [], [s.uscc for s in sites], [], [], True)

    candidates = sorted((s for s in sites if (s.grade or 0) >= MIN_GRADE), key=_rank)
    keep = candidates[:MAX_PER_COUNTY]
    if not keep:
        return Plan(county_code, True, reasons + ["县内没有三级及以上机构可作为集中供养机构"],
                    [], [], list(residents), False)
    keep_ids = {s.uscc for s in keep}
    free = {s.uscc: max(s.capacity - s.occupied, 0) for s in keep}
    by_site: dict[str, list[Resident]] = {}
    for r in residents:
        by_site.setdefault(r.institution_uscc, []).append(r)

    merges: list[Merge] = []
    unplaced: list[Resident] = []
    sources = sorted((s for s in sites if s.uscc not in keep_ids), key=_rank)
    for source in sources:
        # nearest by division, then most room, then best
        targets = sorted(keep, key=lambda t: (-closeness(t.division_code, source.division_code),
                                              -free[t.uscc], _rank(t)))
        moving = by_site.get(source.uscc, [])
        primary = next((t for t in targets if free[t.uscc] >= len(moving)), None)
        if primary is not None:
            free[primary.uscc] -= len(moving)
            merges.append(Merge(source.uscc, primary.uscc, list(moving)))
            continue
        # nobody can take them all: split over the targets in order
        remaining = list(moving)
        for t in targets:
            take, remaining = remaining[:free[t.uscc]], remaining[free[t.uscc]:]
            if take:
                free[t.uscc] -= len(take)
                merges.append(Merge(source.uscc, t.uscc, take))
        if remaining:
            unplaced.extend(remaining)
            merges.append(Merge(source.uscc, targets[0].uscc, []))
    return Plan(county_code, True, reasons, [s.uscc for s in keep], merges, unplaced,
                not unplaced)


def site_of(inst: dict[str, Any], capacity: int, occupied: int) -> Site:
    """A registry row (with its bed counts) as a site to plan with."""
    staff = (inst["nurses"] + inst["carers"] + inst["safety_officers"]
             + inst["social_workers"] + inst["other_staff"])
    return Site(inst["uscc"], inst["name"], inst["division_code"], inst["grade"], capacity,
                occupied, staff)


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def county_statistics(county: str, institutions: list[tuple[dict[str, Any], dict[str, Any]]],
                      need: int, placed: int) -> dict[str, Any]:
    """Totals over a county's institutions (each with its ``capacity``/``occupied``
    bed counts) and the centralised support rate of tekun people needing care."""
    beds_total = occupied = 0
    staff = {"nurses": 0, "carers": 0, "safety_officers": 0, "social_workers": 0,
             "others": 0, "public_welfare_posts": 0}
    below = tekun_homes = 0
    grades: dict[str, int] = {}
    for inst, counts in institutions:
        grade = str(inst["grade"]) if inst["grade"] else "none"
        grades[grade] = grades.get(grade, 0) + 1
        beds_total += counts["capacity"]
        occupied += counts["occupied"]
        for key, col in (("nurses", "nurses"), ("carers", "carers"),
                         ("safety_officers", "safety_officers"),
                         ("social_workers", "social_workers"), ("others", "other_staff"),
                         ("public_welfare_posts", "public_welfare_posts")):
            staff[key] += inst[col]
        if inst["kind"] == "tekun_home":
            tekun_homes += 1
            if (inst["grade"] or 0) < MIN_GRADE:
                below += 1
    rate = None if need == 0 else str(_ratio(placed, need))
    return {"county_code": county, "institutions": len(institutions),
            "tekun_institutions": tekun_homes, "beds": beds_total, "occupied": occupied,
            "occupancy": None if not beds_total else str(_ratio(occupied, beds_total)),
            "below_grade_3": below, "by_grade": dict(sorted(grades.items())), "staff": staff,
            "tekun_needing_care": need,
            "tekun_in_institutions": placed, "centralised_support_rate": rate}
