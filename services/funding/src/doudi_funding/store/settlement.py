"""Storage side of funding: loading facts for a month, the set-based bulk
settlement path, and single transactions. The arithmetic is in ``domain/``;
here we only move rows.

Bulk path of ``settle_county_month`` (one county, one month):

1. load the month's cases, subsidies, ratios, catalogue prices (a few SELECTs);
2. ``domain.settlement.settle`` computes every case's split in memory (fen);
3. the splits go into ``case_settlements`` in one bulk write (COPY on PostgreSQL);
4. ``ledger_txns`` and ``ledger_entries`` are derived from those rows with one
   ``INSERT ... SELECT`` each (``ENTRY_SQL`` mirrors
   ``domain.ledger.settlement_postings``; a test checks they agree);
5. payables are paid out per payee (``payouts`` + ``payout.issued``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from doudi_common.money import allocate, from_fen, to_fen
from doudi_common.paging import offset_of

from doudi_funding.domain import ledger as L
from doudi_funding.domain.costplan import CatalogItem, month_cost, segments
from doudi_funding.domain.days import (
    charged_days,
    days_in_care,
    days_in_month,
    hospital_days,
    month_bounds,
    prev_month,
)
from doudi_funding.domain.packs import FundingPack, pack_for
from doudi_funding.domain.settlement import (
    CENTRALIZED,
    NEIGHBOR,
    SUBSIDY_KINDS,
    CaseInput,
    CaseSplit,
    adjustment,
    prorate_fen,
    settle,
    settlement_id_for,
)
from doudi_funding.models import (
    care_levels,
    case_settlements,
    cases,
    catalog_items,
    hospital_stays,
    ledger_entries,
    ledger_txns,
    payouts,
    person_subsidies,
    self_pay_ratios,
    service_lines,
    settlement_runs,
)
from doudi_funding.store.ledger import (
    ENTRY_SQL,
    TXN_SQL,
    balance,
    bulk_insert,
    ensure_accounts,
    post,
)

# -- facts for a month --------------------------------------------------------------

class CaseFacts(NamedTuple):
    case_id: str
    kind: str
    id_number: str
    institution_uscc: str | None
    caregiver_id_number: str | None
    case: CaseInput
    ratio: Decimal


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
                  cases.c.caregiver_id_number, cases.c.monthly_price_fen, cases.c.start_date,
                  cases.c.end_date, care_levels.c.incapacity_level, care_levels.c.hardship,
                  *[subs.c[k] for k in SUBSIDY_KINDS], ratio) \
        .select_from(cases.outerjoin(care_levels, care_levels.c.id_number == cases.c.id_number)
                     .outerjoin(subs, subs.c.id_number == cases.c.id_number)).where(*where)
    if only_unsettled:
        q = q.where(~sa.exists().where(case_settlements.c.case_id == cases.c.case_id,
                                       case_settlements.c.for_month == month,
                                       case_settlements.c.month == month))
    rows = session.execute(q).all()
    catalogue = catalogues(session, {r[3] for r in rows if r[3]}, last) if rows else {}
    seg_cache: dict[tuple, list] = {}
    stays: dict[str, list] = defaultdict(list)
    if rows and pack.hospital_free_days is not None:
        hs = hospital_stays.c
        for r in session.execute(sa.select(hs.id_number, hs.admitted_on, hs.discharged_on).where(
                hs.id_number.in_({r[2] for r in rows}), hs.admitted_on <= last,
                sa.or_(hs.discharged_on.is_(None), hs.discharged_on >= first))):
            stays[r.id_number].append((r.admitted_on, r.discharged_on))
    caregiver_fen = to_fen(pack.caregiver_subsidy_monthly)
    exempt_statuses = set(pack.self_pay_exempt)
    zero = Decimal(0)
    ratio_of: dict[str, Decimal] = {}
    subsidy_maps: dict[tuple, dict] = {}
    out = []
    for (case_id, kind, id_number, inst, caregiver, price, start, end, level, hardship,
         dibao, dla, sdns, ratio_text) in rows:
        # days in care (days.days_in_care, inlined for the bulk path)
        lo = max(first, start)
        hi = last if end is None or end > last else end
        days = (hi - lo).days + 1 if hi >= lo else 0
        if hardship and exempt_statuses.intersection(hardship.split(",")) or ratio_text is None:
            ratio_value = zero
        else:
            ratio_value = ratio_of.get(ratio_text)
            if ratio_value is None:
                ratio_value = ratio_of[ratio_text] = Decimal(ratio_text)
        key = (dibao, dla, sdns)
        subs = subsidy_maps.get(key)
        if subs is None:
            subs = subsidy_maps[key] = {k: v for k, v in zip(SUBSIDY_KINDS, key) if v}
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
            caregiver_fen if kind == NEIGHBOR else 0, inst, cost_fen), ratio_value))
    return out


LINE_COLUMNS = ("txn_id", "settlement_id", "case_id", "kind", "line", "month", "for_month",
                "id_number", "county", "institution_uscc", "caregiver_id_number", "days",
                "days_in_month", "self_pay_ratio", "cost_fen", "dibao_fen", "dla_fen",
                "sdns_fen", "family_fen", "don_earmarked_fen", "don_pool_fen", "county_fen",
                "caregiver_subsidy_fen", "cause_event_id")


def _line(split: CaseSplit, f: CaseFacts, *, sid: str, county: str, month: str,
          for_month: str, line: str, cause: str | None = None) -> tuple:
    """One ``case_settlements`` row, in ``LINE_COLUMNS`` order."""
    txn_id = f"{sid}:{f.case_id}" if line == "regular" else f"{sid}:{f.case_id}:adj:{for_month}"
    subs = split.subsidies
    return (txn_id, sid, f.case_id, f.kind, line, month, for_month, f.id_number, county,
            f.institution_uscc, f.caregiver_id_number, split.days, split.days_in_month,
            str(f.ratio), split.cost, subs[0], subs[1], subs[2], split.family,
            split.donations_earmarked, split.donations_pool, split.county,
            split.caregiver_subsidy, cause)


def split_of(row) -> CaseSplit:
    return CaseSplit(row.case_id, row.kind, row.days, row.days_in_month, row.cost_fen,
                     (row.dibao_fen, row.dla_fen, row.sdns_fen), row.family_fen,
                     row.don_earmarked_fen, row.don_pool_fen, row.county_fen,
                     row.caregiver_subsidy_fen)


def donation_balances(session, county: str) -> tuple[int, dict[str, int]]:
    """Money available in the donation pool (credit balance) and per earmark."""
    rows = session.execute(sa.select(ledger_entries.c.party,
                                     sa.func.sum(ledger_entries.c.amount_fen))
                           .where(ledger_entries.c.account == L.account("donations", county))
                           .group_by(ledger_entries.c.party)).all()
    pool, earmarked = 0, {}
    for party, total in rows:
        if party is None:
            pool = -int(total)
        elif -int(total) > 0:
            earmarked[party] = -int(total)
    return max(pool, 0), earmarked


# -- the month ------------------------------------------------------------------------

def settle_county_month(uow, county: str, month: str, now: datetime,
                        trigger_event_id: str | None = None) -> tuple[dict, bool]:
    """Settle one county's month. Returns (run row, rerun). Idempotent: a run
    that exists is returned as it is; a case already settled for the month is
    never settled again."""
    session = uow.session
    sid = settlement_id_for(county, month)
    if session.get_bind().dialect.name == "postgresql":
        # one settlement of a county's month at a time (RPC and month.closed may race)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": sid})
    existing = session.execute(sa.select(settlement_runs)
                               .where(settlement_runs.c.settlement_id == sid)).first()
    if existing is not None:
        return dict(existing._mapping), True
    ensure_accounts(session, county, now)
    pack = pack_for(county)

    # 1-2. regular lines for the month
    facts = load_facts(session, county, month)
    pool, earmarked = donation_balances(session, county)
    result = settle([f.case for f in facts], pool, earmarked)
    by_id = {f.case.case_id: f for f in facts}
    rows = [_line(s, by_id[s.case_id], sid=sid, county=county, month=month, for_month=month,
                  line="regular", cause=trigger_event_id) for s in result.splits]
    # late facts for months already settled -> adjustments in this month
    rows += _adjustment_lines(session, county, month, sid)
    # 3-4. bulk write, then the ledger derived set-based
    bulk_insert(session, case_settlements, rows, LINE_COLUMNS)
    session.execute(TXN_SQL, {"sid": sid, "now": now})
    session.execute(ENTRY_SQL, {"sid": sid})

    # management fee per head (hangzhou-2024 §五(二))
    management = _management_fees(session, pack, county, month, sid, result.splits, by_id, now)
    # serve-then-subsidise (lanzhou-2021 §四(二)3, qingyunpu-2021 §四(二)6 §六(二))
    service = pay_services(session, county, month, sid, now, sid)
    # department funds carry the county's top-up first (puyang-2020 §六)
    _department_top_ups(session, pack, county, month, sid, now)

    totals = session.execute(sa.select(
        sa.func.count().filter(case_settlements.c.line == "regular"),
        *[sa.func.coalesce(sa.func.sum(getattr(case_settlements.c, c)), 0) for c in (
            "dibao_fen", "dla_fen", "sdns_fen", "family_fen", "don_earmarked_fen",
            "don_pool_fen", "county_fen", "caregiver_subsidy_fen")],
        sa.func.coalesce(sa.func.sum(case_settlements.c.cost_fen).filter(
            case_settlements.c.line == "adjustment"), 0),
    ).where(case_settlements.c.settlement_id == sid)).one()
    n, dib, dla, sdns, fam, de, dp, cty, cg, adj = (int(x) for x in totals)
    own, don = dib + dla + sdns, de + dp
    county_cover = cty + cg + management + service
    run = {"settlement_id": sid, "county": county, "month": month, "status": "completed",
           "cases": n, "own_fen": own, "family_fen": fam, "donations_fen": don,
           "county_fen": county_cover, "total_fen": own + fam + don + county_cover,
           "caregiver_subsidy_fen": cg, "service_subsidy_fen": service,
           "management_fee_fen": management, "adjustments_fen": adj,
           "trigger_event_id": trigger_event_id, "completed_at": now}
    session.execute(sa.insert(settlement_runs).values(**run))
    issued = pay_out(uow, county, month, sid, now)
    uow.outbox.add("settlement.completed", {
        "settlement_id": sid, "month": month, "division_code": county, "cases": n,
        "total": from_fen(run["total_fen"]),
        "by_channel": {"own_subsidies": from_fen(own), "family_share": from_fen(fam),
                       "donations": from_fen(don), "county_cover": from_fen(county_cover)},
        "completed_at": now}, division_code=county, key=sid)
    if cty > 0:  # adjustments can give a county refund in a month: nothing covered then
        uow.outbox.add("shortfall.covered", {
            "settlement_id": sid, "month": month, "division_code": county,
            "amount": from_fen(cty), "covered_by": "county_finance"},
            division_code=county, key=sid)
    run["payouts"] = issued
    return run, False


def _adjustment_lines(session, county: str, month: str, sid: str) -> list[tuple]:
    from doudi_funding.models import late_changes

    pending = session.execute(sa.select(late_changes).where(
        late_changes.c.county == county, late_changes.c.for_month < month)
        .order_by(late_changes.c.for_month, late_changes.c.case_id)).all()
    out = []
    for p in pending:
        facts = load_facts(session, county, p.for_month, case_ids=[p.case_id],
                           only_unsettled=False)
        if not facts:
            continue
        booked_rows = session.execute(sa.select(case_settlements).where(
            case_settlements.c.case_id == p.case_id,
            case_settlements.c.for_month == p.for_month)).all()
        booked = None
        for b in booked_rows:
            booked = split_of(b) if booked is None else booked.plus(split_of(b))
        delta = adjustment(facts[0].case, booked)
        if delta is not None:
            out.append(_line(delta, facts[0], sid=sid, county=county, month=month,
                             for_month=p.for_month, line="adjustment", cause=p.event_id))
    if pending:
        session.execute(sa.delete(late_changes).where(late_changes.c.county == county,
                                                      late_changes.c.for_month < month))
    return out


def _management_fees(session, pack: FundingPack, county, month, sid, splits, by_id, now) -> int:
    yearly = to_fen(pack.management_fee_per_head_year)
    if not yearly:
        return 0
    monthly = to_fen(allocate(from_fen(yearly), [1] * 12)[int(month[5:]) - 1])
    per_inst: dict[str, int] = defaultdict(int)
    for s in splits:
        inst = by_id[s.case_id].institution_uscc
        if s.kind == CENTRALIZED and inst and s.days:
            per_inst[inst] += prorate_fen(monthly, s.days, s.days_in_month)
    for inst, fee in sorted(per_inst.items()):
        post(session, L.transaction("settlement", [
            L.Posting(L.account("management_fee", county), fee),
            L.Posting(L.account("payable", county, "care_fee"), -fee, inst)],
            purpose="management_fee", memo=pack.clauses.get("management_fee", "")),
            txn_id=f"{sid}:mgmt:{inst}", county=county, month=month, settlement_id=sid,
            now=now)
    return sum(per_inst.values())


def _department_top_ups(session, pack: FundingPack, county, month, sid, now) -> int:
    if not pack.topup_sources:
        return 0
    need = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(
        case_settlements.c.county_fen), 0)).where(
        case_settlements.c.settlement_id == sid)).scalar_one())
    funds = [(L.account("topup", county, src), -balance(session, L.account("topup", county, src)))
             for src in pack.topup_sources]
    drawn = L.draw_in_order(need, funds)
    if drawn:
        total = sum(x for _, x in drawn)
        post(session, L.transaction("settlement", [
            *[L.Posting(code, amount) for code, amount in drawn],
            L.Posting(L.account("county_cover", county), -total)], purpose="top_up",
            memo=pack.clauses.get("top_up", "")),
            txn_id=f"{sid}:topup", county=county, month=month, settlement_id=sid, now=now)
        return total
    return 0


def pay_services(session, county: str, month: str, ref: str, now: datetime,
                 settlement_id: str | None) -> int:
    """Serve-then-subsidise: post every unpaid verified service line of the
    county (months up to ``month``) as owed to its provider, one transaction per
    provider with the persons' lines as sub-ledger entries. Paid from the pilot
    special account while it lasts where the pack says so (qingyunpu-2021
    §六(二), 专款专用: purpose ``service_subsidy``), otherwise from the county's
    service subsidy budget."""
    pack = pack_for(county)
    sl = service_lines.c
    lines = session.execute(sa.select(service_lines).where(
        sl.county == county, sl.month <= month, sl.paid_ref.is_(None))
        .order_by(sl.provider_uscc, sl.provider_id_number, sl.id)).all()
    if not lines:
        return 0
    pilot = L.account("pilot", county)
    pilot_left = -balance(session, pilot) if pack.pilot_fund_pays_services else 0
    budget = L.account("service_subsidy", county)
    by_provider: dict[tuple, list] = defaultdict(list)
    for line in lines:
        by_provider[(line.provider_uscc or "", line.provider_id_number or "")].append(line)
    total = 0
    for (uscc, person), group in sorted(by_provider.items()):
        amount = sum(x.amount_fen for x in group)
        payee = uscc or person
        payable = L.account("payable", county, "service_subsidy" if uscc else
                            "service_subsidy_person")
        from_pilot = min(amount, max(pilot_left, 0))
        pilot_left -= from_pilot
        # per person on the budget (the person's sub-ledger), the pilot fund's
        # part moved off the budget onto the special account
        postings = [L.Posting(budget, x.amount_fen, None, x.id_number) for x in group]
        postings += [L.Posting(pilot, from_pilot), L.Posting(budget, -from_pilot),
                     L.Posting(payable, -amount, payee)]
        post(session, L.transaction("settlement", postings, purpose="service_subsidy",
                                    memo=f"{sum(x.records for x in group)} verified services"),
             txn_id=f"{ref}:svc:{payee}", county=county, month=month,
             settlement_id=settlement_id, now=now)
        total += amount
    session.execute(sa.update(service_lines).where(
        sl.id.in_([x.id for x in lines])).values(paid_ref=ref))
    return total


PAYEE = {"care_fee": ("institution", "care_fee"), "living_money": ("caregiver", "living_money"),
         "caregiver_subsidy": ("caregiver", "caregiver_subsidy"),
         "service_subsidy": ("provider", "service_subsidy"),
         "service_subsidy_person": ("caregiver", "service_subsidy")}


def pay_out(uow, county: str, month: str, sid: str, now: datetime,
            settlement_id: str | None = "same") -> int:
    """Pay every payable owed in the county (credit balance per payee).
    ``sid`` names the batch (a settlement id, or a spending reference)."""
    settlement_id = sid if settlement_id == "same" else settlement_id
    session = uow.session
    prefix = f"payable:{county}:"
    owed = session.execute(sa.select(ledger_entries.c.account, ledger_entries.c.party,
                                     sa.func.sum(ledger_entries.c.amount_fen).label("bal"))
                           .where(ledger_entries.c.account.like(prefix + "%"))
                           .group_by(ledger_entries.c.account, ledger_entries.c.party)
                           .having(sa.func.sum(ledger_entries.c.amount_fen) < 0)
                           .order_by(ledger_entries.c.account, ledger_entries.c.party)).all()
    issued_on = now.date()
    p_rows, t_rows, e_rows = [], [], []
    cash = L.account("cash", county)
    for n, (account, party, bal) in enumerate(owed, 1):
        kind, purpose = PAYEE[account[len(prefix):]]
        payout_id = f"PO-{sid}-{n:05d}"
        txn_id = f"{sid}:pay:{n:05d}"
        amount = -int(bal)
        person = kind == "caregiver"
        p_rows.append({"payout_id": payout_id, "settlement_id": settlement_id, "month": month,
                       "county": county, "payee_kind": kind,
                       "payee_uscc": None if person else party,
                       "payee_id_number": party if person else None, "purpose": purpose,
                       "amount_fen": amount, "issued_on": issued_on, "txn_id": txn_id})
        t_rows.append({"txn_id": txn_id, "cause": "payout", "purpose": purpose, "county": county,
                       "month": month, "settlement_id": settlement_id, "case_id": None,
                       "event_id": None, "reverses": None, "memo": payout_id,
                       "created_at": now})
        e_rows += [{"txn_id": txn_id, "account": account, "party": party, "id_number": None,
                    "case_id": None, "amount_fen": amount},
                   {"txn_id": txn_id, "account": cash, "party": None, "id_number": None,
                    "case_id": None, "amount_fen": -amount}]
    bulk_insert(session, payouts, p_rows)
    bulk_insert(session, ledger_txns, t_rows)
    bulk_insert(session, ledger_entries, e_rows)
    for p in p_rows:
        uow.outbox.add("payout.issued", {
            "payout_id": p["payout_id"], "month": month, "payee_kind": p["payee_kind"],
            "payee_uscc": p["payee_uscc"], "payee_id_number": p["payee_id_number"],
            "purpose": p["purpose"], "amount": from_fen(p["amount_fen"]),
            "issued_on": issued_on, "settlement_id": settlement_id}, division_code=county,
            key=p["payout_id"])
    return len(p_rows)


# -- late facts -------------------------------------------------------------------------

def mark_late(session, now: datetime, *, case_ids: list[str], from_month: str,
              to_month: str | None = None, event_id: str | None = None) -> int:
    """A fact changed for months already settled: note (case, month) so the next
    settlement books an adjustment. Months not yet settled need nothing."""
    if not case_ids:
        return 0
    from doudi_funding.models import late_changes

    q = sa.select(case_settlements.c.case_id, case_settlements.c.for_month,
                  case_settlements.c.county).where(
        case_settlements.c.case_id.in_(case_ids), case_settlements.c.for_month >= from_month)
    if to_month:
        q = q.where(case_settlements.c.for_month <= to_month)
    settled = {(r.case_id, r.for_month): r.county for r in session.execute(q.distinct())}
    # a late case never settled for a month its county already settled
    runs = session.execute(sa.select(settlement_runs.c.county, settlement_runs.c.month).where(
        settlement_runs.c.month >= from_month)).all()
    rows = session.execute(sa.select(cases).where(cases.c.case_id.in_(case_ids))).all()
    for r in rows:
        for county, month in runs:
            if county == r.county and (to_month is None or month <= to_month) \
                    and days_in_care(month, r.start_date, None) > 0:
                settled.setdefault((r.case_id, month), county)
    have = {(x.case_id, x.for_month) for x in session.execute(sa.select(
        late_changes.c.case_id, late_changes.c.for_month).where(
        late_changes.c.case_id.in_(case_ids)))}
    new = [{"case_id": c, "for_month": m, "county": county, "event_id": event_id,
            "noted_at": now} for (c, m), county in sorted(settled.items()) if (c, m) not in have]
    if new:
        session.execute(sa.insert(late_changes), new)
    return len(new)





# -- reads of the settlement ------------------------------------------------------------

def settlement_run(session, county: str, month: str) -> dict | None:
    row = session.execute(sa.select(settlement_runs).where(
        settlement_runs.c.county == county, settlement_runs.c.month == month)).first()
    return dict(row._mapping) if row is not None else None


def unsettled_counties(session, month: str) -> list[str]:
    """Counties with cases in care in ``month`` and no settlement run for it."""
    first, last = month_bounds(month)
    return sorted(session.execute(sa.select(cases.c.county).distinct().where(
        cases.c.start_date <= last,
        sa.or_(cases.c.end_date.is_(None), cases.c.end_date >= first),
        ~sa.exists().where(settlement_runs.c.county == cases.c.county,
                           settlement_runs.c.month == month))).scalars().all())


def settlement_lines_page(session, month: str, *, county: str | None,
                          institution_uscc: str | None, id_number: str | None, page: int,
                          per_page: int) -> tuple[list[Any], int]:
    """Case settlement lines of a month (optionally of a county, an institution,
    a person), by case and month settled for."""
    q = sa.select(case_settlements).where(case_settlements.c.month == month)
    if county:
        q = q.where(case_settlements.c.county == county)
    if institution_uscc:
        q = q.where(case_settlements.c.institution_uscc == institution_uscc)
    if id_number:
        q = q.where(case_settlements.c.id_number == id_number)
    total = session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(case_settlements.c.case_id, case_settlements.c.for_month)
                           .limit(per_page).offset(offset_of(page, per_page))).all()
    return rows, int(total)
