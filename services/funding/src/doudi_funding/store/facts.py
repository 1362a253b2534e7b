"""What funding knows of a county's month, loaded in a few SELECTs for the
set-based settlement: cases, subsidies in force, self-pay ratios, care levels,
hospital days and catalogue prices; and the subsidy grants that feed it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from doudi_common.money import to_fen

from doudi_funding.domain.costplan import CatalogItem, month_cost, segments
from doudi_funding.domain.days import (
    charged_days,
    days_in_month,
    hospital_days,
    month_bounds,
    prev_month,
)
from doudi_funding.domain.settlement import (
    CENTRALIZED,
    NEIGHBOR,
    SUBSIDY_KINDS,
    CaseInput,
    prorate_fen,
)
from doudi_funding.models import (
    care_levels,
    case_settlements,
    cases,
    catalog_items,
    hospital_stays,
    person_subsidies,
    self_pay_ratios,
)
from doudi_funding.policy import pack_for


class CaseFacts(NamedTuple):
    case_id: str
    kind: str
    id_number: str
    institution_uscc: str | None
    caregiver_id_number: str | None
    case: CaseInput
    ratio: Decimal
    division_code: str = ""
    hardship: tuple[str, ...] = ()


def catalogues(session, institutions: Iterable[str] | None, last: date
               ) -> dict[str, list[CatalogItem]]:
    """Catalogue items effective by ``last``, per institution."""
    q = sa.select(catalog_items).where(catalog_items.c.effective_from <= last)
    if institutions is not None:
        q = q.where(catalog_items.c.institution_uscc.in_(list(institutions)))
    out: dict[str, list[CatalogItem]] = defaultdict(list)
    for r in session.execute(q):
        out[r.institution_uscc].append(CatalogItem(
            r.item_code, r.category, r.unit, r.price_fen, r.effective_from, r.room_type,
            r.care_level))
    return out


def grant_subsidy(session, *, id_number: str, kind: str, monthly_fen: int, from_month: str,
                  to_month: str | None = None, event_id: str | None = None,
                  now: datetime) -> None:
    """Record a subsidy amount for ``from_month``..``to_month`` (open-ended when
    None), overriding what was recorded for those months: at most one row is in
    force per (person, kind, month). An overlapped row keeps its months outside
    the new range (cut, or split in two); a row wholly inside gets an empty
    range (kept for the record)."""
    from doudi_funding.domain.days import next_month

    ps = person_subsidies.c
    rows = session.execute(sa.select(person_subsidies).where(
        ps.id_number == id_number, ps.kind == kind,
        sa.or_(ps.to_month.is_(None), ps.to_month >= ps.from_month),
        sa.or_(ps.to_month.is_(None), ps.to_month >= from_month),
        *([ps.from_month <= to_month] if to_month else []))).all()
    for r in rows:
        left = (r.from_month, prev_month(from_month)) if r.from_month < from_month else None
        right = None
        if to_month is not None and (r.to_month is None or r.to_month > to_month):
            right = (max(next_month(to_month), r.from_month), r.to_month)
        keep = left or right or (r.from_month, prev_month(r.from_month))
        session.execute(sa.update(person_subsidies).where(ps.id == r.id)
                        .values(from_month=keep[0], to_month=keep[1]))
        if left and right:
            session.execute(sa.insert(person_subsidies).values(
                id_number=id_number, kind=kind, monthly_fen=r.monthly_fen, from_month=right[0],
                to_month=right[1], source_event_id=r.source_event_id, recorded_at=now))
    session.execute(sa.insert(person_subsidies).values(
        id_number=id_number, kind=kind, monthly_fen=monthly_fen, from_month=from_month,
        to_month=to_month, source_event_id=event_id, recorded_at=now))



def _subsidies_in_force(month: str, persons) -> sa.Subquery:
    """One row per person: the amount of each subsidy kind in force in ``month``
    (at most one row per kind is in force, see ``grant_subsidy``)."""
    ps = person_subsidies.c
    return sa.select(ps.id_number, *[
        sa.func.max(sa.case((ps.kind == k, ps.monthly_fen))).label(k) for k in SUBSIDY_KINDS]) \
        .where(ps.from_month <= month, sa.or_(ps.to_month.is_(None), ps.to_month >= month),
               ps.id_number.in_(persons)) \
        .group_by(ps.id_number).subquery("subs")


def _hospital_stays(session, id_numbers: set[str], first: date, last: date
                    ) -> dict[str, list[tuple[date, date | None]]]:
    """The hospital stays overlapping the month, per person."""
    stays: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    hs = hospital_stays.c
    for r in session.execute(sa.select(hs.id_number, hs.admitted_on, hs.discharged_on).where(
            hs.id_number.in_(id_numbers), hs.admitted_on <= last,
            sa.or_(hs.discharged_on.is_(None), hs.discharged_on >= first))):
        stays[r.id_number].append((r.admitted_on, r.discharged_on))
    return stays


def load_facts(session, county: str, month: str, *, case_ids: list[str] | None = None,
               only_unsettled: bool = True) -> list[CaseFacts]:
    """Every case of the county in care during ``month`` with the facts its
    settlement needs, one row per case (subsidies and the self-pay ratio in
    force that month as correlated sub-queries: one round trip, no per-row
    Python joins)."""
    first, last = month_bounds(month)
    dim = days_in_month(month)
    pack = pack_for(county)
    r = self_pay_ratios.alias("r")
    ratio = sa.select(r.c.ratio).where(r.c.id_number == cases.c.id_number,
                                       r.c.from_month <= month) \
        .order_by(r.c.from_month.desc(), r.c.id.desc()).limit(1).scalar_subquery()
    if case_ids is not None:
        where = [cases.c.case_id.in_(case_ids)]
    else:
        where = [cases.c.county == county, cases.c.start_date <= last,
                 sa.or_(cases.c.end_date.is_(None), cases.c.end_date >= first)]
    subs = _subsidies_in_force(month, sa.select(cases.c.id_number).where(*where))
    q = sa.select(cases.c.case_id, cases.c.kind, cases.c.id_number, cases.c.institution_uscc,
                  cases.c.division_code, cases.c.caregiver_id_number, cases.c.monthly_price_fen,
                  cases.c.start_date, cases.c.end_date, care_levels.c.incapacity_level,
                  care_levels.c.hardship, *[subs.c[k] for k in SUBSIDY_KINDS], ratio) \
        .select_from(cases.outerjoin(care_levels, care_levels.c.id_number == cases.c.id_number)
                     .outerjoin(subs, subs.c.id_number == cases.c.id_number)).where(*where)
    if only_unsettled:
        q = q.where(~sa.exists().where(case_settlements.c.case_id == cases.c.case_id,
                                       case_settlements.c.for_month == month,
                                       case_settlements.c.month == month))
    rows = session.execute(q).all()
    catalogue = catalogues(session, {r[3] for r in rows if r[3]}, last) if rows else {}
    seg_cache: dict[tuple, list] = {}
    stays = _hospital_stays(session, {r[2] for r in rows}, first, last) \
        if rows and pack.hospital_free_days is not None else {}
    caregiver_fen, integrate = to_fen(pack.caregiver_subsidy_monthly), \
        bool(pack.integration_clause)
    exempt_statuses = set(pack.self_pay_exempt)
    zero = Decimal(0)
    ratio_of: dict[str, Decimal] = {}
    subsidy_maps: dict[tuple, dict] = {}
    out = []
    for (case_id, kind, id_number, inst, division, caregiver, price, start, end, level,
         hardship_text, dibao, dla, sdns, ratio_text) in rows:
        # days in care (days.days_in_care, inlined for the bulk path)
        lo = max(first, start)
        hi = last if end is None or end > last else end
        days = (hi - lo).days + 1 if hi >= lo else 0
        hardship = tuple(hardship_text.split(",")) if hardship_text else ()
        if exempt_statuses.intersection(hardship) or ratio_text is None:
            ratio_value = zero
        else:
            ratio_value = ratio_of.get(ratio_text)
            if ratio_value is None:
                ratio_value = ratio_of[ratio_text] = Decimal(ratio_text)
        key = (dibao, dla, sdns)
        subs = subsidy_maps.get(key)
        if subs is None:
            subs = subsidy_maps[key] = {k: v for k, v in zip(SUBSIDY_KINDS, key, strict=True) if v}
        cost, cost_fen = price or 0, None
        if kind == CENTRALIZED and inst in catalogue:
            segs = seg_cache.get((inst, level))
            if segs is None:
                segs = seg_cache[(inst, level)] = segments(catalogue[inst], level, first, last)
            if len(segs) == 1 and segs[0][1]:
                cost = segs[0][1]
            elif any(total for _, total in segs):
                cost_fen = month_cost(segs, start, end, first, last)
        if stays and id_number in stays and kind == CENTRALIZED and days:
            charged = charged_days(days, hospital_days(month, start, end, stays[id_number]),
                                   pack.hospital_free_days)
            if charged != days:
                base = prorate_fen(cost, days, dim) if cost_fen is None else cost_fen
                cost_fen = prorate_fen(base, charged, days)
        out.append(CaseFacts(case_id, kind, id_number, inst, caregiver, CaseInput(
            case_id, kind, days, dim, cost, subs, ratio_value,
            caregiver_fen if kind == NEIGHBOR else 0, inst, cost_fen, integrate), ratio_value,
            division, hardship))
    return out
