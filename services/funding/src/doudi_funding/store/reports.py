"""Read side: statements, county summaries (CSV), balances, reconciliation."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.errors import Invalid, NotFound

from doudi_funding.domain.costplan import items_in_force, month_cost, plan, segments
from doudi_funding.domain.days import check_month, days_in_care, days_in_month, month_bounds
from doudi_funding.models import (
    accounts,
    care_levels,
    case_settlements,
    cases,
    donations,
    ledger_entries,
    ledger_txns,
    payouts,
    service_lines,
    settlement_runs,
)
from doudi_funding.schemas import channels, entry_reply, line_reply, masked, payout_reply, yuan
from doudi_funding.store.facts import catalogues
from doudi_funding.store.ledger import load_transaction

CS = case_settlements.c
SUMS = ("cost_fen", "dibao_fen", "dla_fen", "sdns_fen", "family_fen", "don_earmarked_fen",
        "don_pool_fen", "county_fen", "caregiver_subsidy_fen")


def _sums(session, *where) -> dict[str, int]:
    row = session.execute(sa.select(*[sa.func.coalesce(sa.func.sum(getattr(CS, c)), 0)
                                      for c in SUMS]).where(*where)).one()
    return dict(zip(SUMS, (int(x) for x in row), strict=True))


def _by_channel(s: dict[str, int]) -> dict:
    return channels(s["dibao_fen"] + s["dla_fen"] + s["sdns_fen"], s["family_fen"],
                    s["don_earmarked_fen"] + s["don_pool_fen"],
                    s["county_fen"] + s["caregiver_subsidy_fen"])


def _paid_in(s: dict[str, int]) -> int:
    """What the channels paid: the cost, and integrated subsidies above it."""
    return sum(s[c] for c in SUMS if c != "cost_fen")


def _excess(s: dict[str, int]) -> int:
    """Integrated subsidies paid above the accounted cost (luan-2021 §三(四)一)."""
    return _paid_in(s) - s["cost_fen"]


def person_statement(session, id_number: str, month: str) -> dict:
    rows = session.execute(sa.select(case_settlements).where(
        CS.id_number == id_number, CS.month == month).order_by(CS.case_id, CS.for_month)).all()
    sl = service_lines.c
    services = session.execute(sa.select(service_lines).where(
        sl.id_number == id_number, sl.month == month).order_by(sl.id)).all()
    if not rows and not services:
        raise NotFound("该人员本月没有结算记录", resource="statement", month=month)
    s = _sums(session, CS.id_number == id_number, CS.month == month)
    entries = session.execute(sa.select(ledger_entries).where(
        ledger_entries.c.txn_id.in_([r.txn_id for r in rows])).order_by(ledger_entries.c.id)).all()
    return {"id_number_masked": masked(id_number), "month": month,
            "lines": [line_reply(r) for r in rows], "cost": yuan(s["cost_fen"]),
            "by_channel": _by_channel(s), "excess": yuan(_excess(s)),
            "caregiver_subsidy": yuan(s["caregiver_subsidy_fen"]),
            "services": [{"service_item": x.service_item, "provider_kind": x.provider_kind,
                          "provider_uscc": x.provider_uscc,
                          "provider_id_number_masked": masked(x.provider_id_number),
                          "records": x.records, "minutes": x.minutes,
                          "amount": yuan(x.amount_fen), "paid_ref": x.paid_ref}
                         for x in services],
            "service_subsidy": yuan(sum(x.amount_fen for x in services)),
            "entries": [entry_reply(e) for e in entries]}


def institution_statement(session, uscc: str, month: str) -> dict:
    where = (CS.institution_uscc == uscc, CS.month == month)
    rows = session.execute(sa.select(case_settlements).where(*where)
                           .order_by(CS.case_id, CS.for_month)).all()
    pays = session.execute(sa.select(payouts).where(payouts.c.payee_uscc == uscc,
                                                    payouts.c.month == month)).all()
    if not rows and not pays:
        raise NotFound("该机构本月没有结算记录", resource="statement", month=month)
    s = _sums(session, *where)
    mgmt = session.execute(sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount_fen), 0))
                           .select_from(ledger_entries.join(
                               ledger_txns, ledger_txns.c.txn_id == ledger_entries.c.txn_id))
                           .where(ledger_txns.c.purpose == "management_fee",
                                  ledger_txns.c.month == month,
                                  ledger_entries.c.party == uscc)).scalar_one()
    return {"institution_uscc": uscc, "month": month,
            "cases": sum(1 for r in rows if r.line == "regular"), "total": yuan(s["cost_fen"]),
            "by_channel": _by_channel(s), "excess": yuan(_excess(s)),
            "management_fee": yuan(-int(mgmt)),
            "payouts": [payout_reply(p) for p in pays], "lines": [line_reply(r) for r in rows]}


RUN_COLS = ("cases", "total_fen", "own_fen", "family_fen", "donations_fen", "county_fen",
            "caregiver_subsidy_fen", "service_subsidy_fen", "management_fee_fen",
            "adjustments_fen")


def county_summary(session, county: str, month: str | None, year) -> dict:
    if (month is None) == (year is None):
        raise Invalid("须给出 month 或 year 之一", reason="period_required")
    q = sa.select(settlement_runs).where(settlement_runs.c.county == county)
    if month is not None:
        period = check_month(month)
        q = q.where(settlement_runs.c.month == period)
    else:
        try:
            period = f"{int(year):04d}"
        except (TypeError, ValueError):
            raise Invalid("年份格式错误", reason="bad_year") from None
        q = q.where(settlement_runs.c.month.like(period + "-%"))
    runs = session.execute(q.order_by(settlement_runs.c.month)).all()
    top_up = {r.month: int(session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(CS.county_fen), 0)).where(
        CS.settlement_id == r.settlement_id)).scalar_one()) for r in runs}
    # services of the month paid after its run (a later township's close) count too
    later = dict(session.execute(sa.select(
        ledger_txns.c.month, sa.func.sum(-ledger_entries.c.amount_fen))
        .select_from(ledger_entries.join(ledger_txns,
                                         ledger_txns.c.txn_id == ledger_entries.c.txn_id))
        .where(ledger_txns.c.county == county, ledger_txns.c.purpose == "service_subsidy",
               ledger_txns.c.cause == "settlement", ledger_txns.c.settlement_id.is_(None),
               ledger_entries.c.account.like("payable:%"),
               ledger_txns.c.month.in_([r.month for r in runs]))
        .group_by(ledger_txns.c.month)).all())

    def one(values: dict, extra: dict) -> dict:
        top_up_fen = extra.pop("_top_up")  # before extra is spread into the reply
        return {**extra, "cases": values["cases"], "total": yuan(values["total_fen"]),
                "by_channel": channels(values["own_fen"], values["family_fen"],
                                       values["donations_fen"], values["county_fen"]),
                "caregiver_subsidy": yuan(values["caregiver_subsidy_fen"]),
                "service_subsidy": yuan(values["service_subsidy_fen"]),
                "management_fee": yuan(values["management_fee_fen"]),
                "adjustments": yuan(values["adjustments_fen"]),
                "top_up_needed": yuan(top_up_fen)}

    def values(r) -> dict:
        v = {c: getattr(r, c) for c in RUN_COLS}
        extra = int(later.get(r.month) or 0)
        v["service_subsidy_fen"] += extra
        v["county_fen"] += extra
        v["total_fen"] += extra
        return v

    # department funds that carried part of the top-up (puyang-2020 §六)
    carried = dict(session.execute(sa.select(
        ledger_txns.c.month, sa.func.sum(ledger_entries.c.amount_fen))
        .select_from(ledger_entries.join(ledger_txns,
                                         ledger_txns.c.txn_id == ledger_entries.c.txn_id))
        .where(ledger_txns.c.county == county, ledger_txns.c.purpose == "top_up",
               ledger_txns.c.cause == "settlement", ledger_entries.c.account.like("topup:%"),
               ledger_txns.c.month.in_([r.month for r in runs]))
        .group_by(ledger_txns.c.month)).all())
    for month_key in top_up:
        top_up[month_key] -= int(carried.get(month_key) or 0)
    months = [one(values(r), {"month": r.month, "_top_up": top_up[r.month]}) for r in runs]
    total = {c: sum(values(r)[c] for r in runs) for c in RUN_COLS}
    return one(total, {"division_code": county, "period": period,
                       "_top_up": sum(top_up.values()), "months": months,
                       "by_institution": by_institution(session, county,
                                                        [r.month for r in runs]),
                       "donations": donation_figures(session, county, period,
                                                     [r.month for r in runs]),
                       "reconciliation": _reconciled(session, county, month)})


def donation_figures(session, county: str, period: str, months: list[str]) -> dict:
    """Donations received in the period by earmark (reversed ones left out),
    and what the settlements spent of them: earmarked for an institution, and
    from the county's pool."""
    reversed_ = sa.exists().where(ledger_txns.c.reverses == donations.c.txn_id)
    on = sa.func.substr(sa.cast(donations.c.received_on, sa.String), 1, len(period))
    received = dict(session.execute(sa.select(
        donations.c.earmark, sa.func.sum(donations.c.amount_fen))
        .where(donations.c.county == county, ~reversed_, on == period)
        .group_by(donations.c.earmark)).all())
    spent = _sums(session, CS.county == county, CS.month.in_(months))
    return {"received": [{"earmark": k, "amount": yuan(int(v))}
                         for k, v in sorted(received.items())],
            "received_total": yuan(sum(int(v) for v in received.values())),
            "spent_earmarked": yuan(spent["don_earmarked_fen"]),
            "spent_pool": yuan(spent["don_pool_fen"])}


def _reconciled(session, county: str, month: str | None) -> dict:
    """The reconciliation's outcome for the month (for a year: the whole ledger)."""
    report = reconciliation(session, county, month)
    return {"ok": report["ok"], "difference": report["difference"],
            "scope": month or "all"}


def by_institution(session, county: str, months: list[str]) -> list[dict]:
    """What each institution's residents' care cost in the period and which
    channels paid it (the same lines as the institution's statements)."""
    where = (CS.county == county, CS.month.in_(months), CS.institution_uscc.is_not(None))
    rows = session.execute(sa.select(
        CS.institution_uscc,
        sa.func.count(sa.distinct(CS.id_number)).filter(CS.line == "regular").label("persons"),
        *[sa.func.coalesce(sa.func.sum(getattr(CS, c)), 0).label(c) for c in SUMS])
        .where(*where).group_by(CS.institution_uscc).order_by(CS.institution_uscc)).all()
    out = []
    for r in rows:
        s = {c: int(getattr(r, c)) for c in SUMS}
        out.append({"institution_uscc": r.institution_uscc, "persons": int(r.persons),
                    "total": yuan(s["cost_fen"]), "by_channel": _by_channel(s),
                    "excess": yuan(_excess(s))})
    return out




def fund_balances(session, county: str) -> dict:
    accts = session.execute(sa.select(accounts).where(accounts.c.county == county)
                            .order_by(accounts.c.code)).all()
    sums = dict(session.execute(sa.select(ledger_entries.c.account,
                                          sa.func.sum(ledger_entries.c.amount_fen))
                                .where(ledger_entries.c.account.in_([a.code for a in accts]))
                                .group_by(ledger_entries.c.account)).all())
    return {"division_code": county, "accounts": [
        {"code": a.code, "kind": a.kind, "name": a.name, "balance": yuan(sums.get(a.code, 0)),
         "purposes": a.purposes.split(",") if a.purposes else None} for a in accts]}


def transaction(session, txn_id: str) -> dict:
    row, _ = load_transaction(session, txn_id)
    entries = session.execute(sa.select(ledger_entries).where(ledger_entries.c.txn_id == txn_id)
                              .order_by(ledger_entries.c.id)).all()
    reversed_by = session.execute(sa.select(ledger_txns.c.txn_id).where(
        ledger_txns.c.reverses == txn_id)).scalar()
    case_event = session.execute(sa.select(cases.c.source_event_id).where(
        cases.c.case_id == row["case_id"])).scalar() if row["case_id"] else None
    return {"txn_id": txn_id, "cause": row["cause"], "purpose": row["purpose"],
            "month": row["month"], "memo": row["memo"], "settlement_id": row["settlement_id"],
            "case_id": row["case_id"], "event_id": row["event_id"],
            "case_event_id": case_event, "reverses": row["reverses"],
            "reversed_by": reversed_by, "created_at": row["created_at"].isoformat(),
            "entries": [entry_reply(e) for e in entries]}


def donation(session, donation_id: str) -> dict:
    from doudi_funding.schemas import donation_reply

    row = session.execute(sa.select(donations).where(
        donations.c.donation_id == donation_id)).first()
    if row is None:
        raise NotFound("未找到该捐赠", resource="donation")
    # what was spent from the pool (or the earmark) is assigned to gifts first in, first out
    account = f"donations:{row.county}"
    party = ledger_entries.c.party.is_(None) if row.institution_uscc is None else \
        ledger_entries.c.party == row.institution_uscc
    spent = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(
        ledger_entries.c.amount_fen), 0)).where(ledger_entries.c.account == account, party,
                                                ledger_entries.c.amount_fen > 0)).scalar_one())
    reversed_ = sa.exists().where(ledger_txns.c.reverses == donations.c.txn_id)
    if session.execute(sa.select(reversed_).where(
            donations.c.donation_id == donation_id)).scalar():
        return {**donation_reply(row), "reversed": True, "spent": yuan(0), "balance": yuan(0)}
    earlier = session.execute(sa.select(donations.c.amount_fen).where(
        ~reversed_, donations.c.county == row.county,
        donations.c.institution_uscc.is_(None) if row.institution_uscc is None else
        donations.c.institution_uscc == row.institution_uscc,
        sa.tuple_(donations.c.received_on, donations.c.donation_id)
        < sa.tuple_(row.received_on, row.donation_id))).scalars().all()
    before = sum(earlier)
    used = min(max(spent - before, 0), row.amount_fen)
    return {**donation_reply(row), "reversed": False, "spent": yuan(used),
            "balance": yuan(row.amount_fen - used)}


def cost_plan(session, case_id: str, month: str) -> dict:
    row = session.execute(sa.select(cases, care_levels.c.incapacity_level).select_from(
        cases.outerjoin(care_levels, care_levels.c.id_number == cases.c.id_number))
        .where(cases.c.case_id == case_id)).first()
    if row is None:
        raise NotFound("未找到该个案", resource="case")
    first, last = month_bounds(month)
    dim = days_in_month(month)
    items = catalogues(session, [row.institution_uscc], last).get(row.institution_uscc) \
        if row.institution_uscc else None
    parts = plan(items_in_force(items, first), row.incapacity_level, dim) if items else {}
    if parts:
        monthly = sum(parts.values())
        shown = {k: yuan(v) for k, v in parts.items()}
        segs = segments(items, row.incapacity_level, first, last)
    else:
        monthly = row.monthly_price_fen or 0
        shown = {"monthly_price": yuan(monthly)}
        segs = [(first, monthly)]
    days = days_in_care(month, row.start_date, row.end_date)
    return {"case_id": case_id, "month": month, "care_level": row.incapacity_level,
            "days": days, "days_in_month": dim, "items": shown, "monthly_total": yuan(monthly),
            "price_segments": [{"from": d.isoformat(), "monthly_total": yuan(t)} for d, t in segs],
            "cost": yuan(month_cost(segs, row.start_date, row.end_date, first, last))}


def reconciliation(session, county: str | None, month: str | None) -> dict:
    """Sum the ledger against settlements and payouts; every difference is reported."""
    checks = []

    def check(name, expected, actual):
        checks.append({"name": name, "expected": yuan(expected), "actual": yuan(actual),
                       "difference": yuan(actual - expected)})

    t, e = ledger_txns, ledger_entries
    tw = [t.c.county == county] if county else []
    if month:
        tw.append(t.c.month == month)
    # 1. every transaction balances
    unbalanced = session.execute(sa.select(e.c.txn_id, sa.func.sum(e.c.amount_fen))
                                 .select_from(e.join(t, t.c.txn_id == e.c.txn_id)).where(*tw)
                                 .group_by(e.c.txn_id)
                                 .having(sa.func.sum(e.c.amount_fen) != 0)).all()
    check("transactions balance", 0, sum(int(x[1]) for x in unbalanced))
    # 2. case lines vs the ledger, channel by channel
    cw = [CS.county == county] if county else []
    if month:
        cw.append(CS.month == month)
    s = _sums(session, *cw)
    ledger_of = _ledger_by_kind(session, tw + [t.c.cause.in_(("settlement", "adjustment")),
                                               t.c.case_id.is_not(None)])
    check("channels = payables credited", _paid_in(s), -(ledger_of.get("payable", 0)))
    check("own subsidies", s["dibao_fen"] + s["dla_fen"] + s["sdns_fen"],
          ledger_of.get("subsidy", 0))
    check("family share", s["family_fen"], ledger_of.get("family", 0))
    check("donations", s["don_earmarked_fen"] + s["don_pool_fen"], ledger_of.get("donations", 0))
    check("county top-up", s["county_fen"], ledger_of.get("county_cover", 0))
    check("caregiver subsidy", s["caregiver_subsidy_fen"], ledger_of.get("caregiver_subsidy", 0))
    # 3. payouts vs the ledger's payout transactions
    pw = [payouts.c.county == county] if county else []
    if month:
        pw.append(payouts.c.month == month)
    paid = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(payouts.c.amount_fen), 0))
                               .where(*pw)).scalar_one())
    cash_out = _ledger_by_kind(session, tw + [t.c.cause == "payout"]).get("cash", 0)
    check("payouts = cash paid", paid, -cash_out)
    # 4. settled runs: the run totals equal their lines
    rw = [settlement_runs.c.county == county] if county else []
    if month:
        rw.append(settlement_runs.c.month == month)
    runs = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(settlement_runs.c.own_fen + settlement_runs.c.family_fen
                                     + settlement_runs.c.donations_fen), 0)).where(*rw)) \
        .scalar_one()
    lines = _sums(session, CS.settlement_id.in_(sa.select(settlement_runs.c.settlement_id)
                                                .where(*rw)))
    check("runs = lines (subsidies, family, donations)", int(runs),
          lines["dibao_fen"] + lines["dla_fen"] + lines["sdns_fen"] + lines["family_fen"]
          + lines["don_earmarked_fen"] + lines["don_pool_fen"])
    # 5. payables owed after the last payout of each settled county are zero
    owed = 0
    if not month:
        pq = sa.select(sa.func.sum(e.c.amount_fen).label("owed")).where(
            e.c.account.like(f"payable:{county}:%" if county else "payable:%")) \
            .group_by(e.c.account, e.c.party).having(sa.func.sum(e.c.amount_fen) < 0)
        owed = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(
            pq.subquery().c.owed), 0))).scalar_one())
        check("payables settled by payouts (owed and not paid)", 0, owed)
    difference = sum(abs(int(c["difference"].replace(".", ""))) for c in checks)
    return {"ok": difference == 0, "difference": yuan(difference), "checks": checks,
            "unbalanced_transactions": [x[0] for x in unbalanced][:20]}


def _ledger_by_kind(session, where) -> dict[str, int]:
    t, e = ledger_txns, ledger_entries
    kind = sa.func.substr(e.c.account, 1, sa.func.strpos(e.c.account, ":") - 1) \
        if session.get_bind().dialect.name == "postgresql" else \
        sa.func.substr(e.c.account, 1, sa.func.instr(e.c.account, ":") - 1)
    rows = session.execute(sa.select(kind, sa.func.sum(e.c.amount_fen))
                           .select_from(e.join(t, t.c.txn_id == e.c.txn_id)).where(*where)
                           .group_by(kind)).all()
    return {k: int(v) for k, v in rows}
