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

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.money import from_fen
from doudi_common.paging import offset_of
from doudi_common.queries import bulk_insert

from doudi_funding.domain import ledger as L
from doudi_funding.domain.days import (
    days_in_care,
    month_bounds,
)
from doudi_funding.domain.fees import FeeCase, management_fees, monthly_share
from doudi_funding.domain.packs import FundingPack
from doudi_funding.domain.settlement import (
    CaseSplit,
    adjustment,
    settle,
    settlement_id_for,
)
from doudi_funding.models import (
    case_settlements,
    cases,
    ledger_entries,
    settlement_runs,
)
from doudi_funding.policy import pack_for
from doudi_funding.store.facts import CaseFacts, load_facts
from doudi_funding.store.ledger import (
    ENTRY_SQL,
    TXN_SQL,
    balance,
    ensure_accounts,
    post,
)
from doudi_funding.store.payouts import pay_out, pay_services

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
                        trigger_event_id: str | None = None,
                        progress: Callable[[str, int, int | None], None] | None = None
                        ) -> tuple[dict, bool]:
    """Settle one county's month. Returns (run row, rerun). Idempotent: a run
    that exists is returned as it is; a case already settled for the month is
    never settled again. ``progress(phase, done, total)`` hears where it is."""
    step = progress or (lambda _phase, _done, _total: None)

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
    step("loading", 0, None)
    facts = load_facts(session, county, month)
    step("settling", 0, len(facts))
    pool, earmarked = donation_balances(session, county)
    result = settle([f.case for f in facts], pool, earmarked,
                    progress=lambda done: step("settling", done, len(facts)))
    by_id = {f.case.case_id: f for f in facts}
    rows = [_line(s, by_id[s.case_id], sid=sid, county=county, month=month, for_month=month,
                  line="regular", cause=trigger_event_id) for s in result.splits]
    # late facts for months already settled -> adjustments in this month
    rows += _adjustment_lines(session, county, month, sid)
    # 3-4. bulk write, then the ledger derived set-based
    step("posting", len(result.splits), len(facts))
    bulk_insert(session, case_settlements, rows, LINE_COLUMNS)
    session.execute(TXN_SQL, {"sid": sid, "now": now})
    session.execute(ENTRY_SQL, {"sid": sid})

    # management fee per head (hangzhou-2024 §五(二))
    management = _management_fees(session, pack, county, month, sid, result.splits, by_id, now)
    # serve-then-subsidise (lanzhou-2021 §四(二)3, qingyunpu-2021 §四(三)6 §六(二))
    step("paying", len(result.splits), len(facts))
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
    # the management fee is the townships' (hangzhou-2024 §五(二)), not the county's cover
    county_cover = cty + cg + service
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
    """hangzhou-2024 §五(二): each township pays the institutions for its centralised
    tekun persons (domain.fees); the debit names the paying township (party)."""
    owed = management_fees(monthly_share(pack.management_fee_per_head_year, month), (
        FeeCase(s.kind, by_id[s.case_id].hardship, by_id[s.case_id].division_code[:9],
                by_id[s.case_id].institution_uscc, s.days, s.days_in_month) for s in splits))
    for (township, inst), fee in sorted(owed.items()):
        post(session, L.transaction("settlement", [
            L.Posting(L.account("management_fee", county), fee, township),
            L.Posting(L.account("payable", county, "care_fee"), -fee, inst)],
            purpose="management_fee", memo=pack.clauses.get("management_fee", "")),
            txn_id=f"{sid}:mgmt:{township}:{inst}", county=county, month=month,
            settlement_id=sid, now=now)
    return sum(owed.values())


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
