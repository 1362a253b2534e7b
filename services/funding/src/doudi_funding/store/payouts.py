"""Paying what is owed: verified service lines of a closed month to their
providers, and every payable of a county to its payee (``payouts`` rows and
``payout.issued`` events)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from doudi_common.money import from_fen
from doudi_common.queries import bulk_insert

from doudi_funding.domain import ledger as L
from doudi_funding.models import (
    ledger_entries,
    ledger_txns,
    payouts,
    service_lines,
)
from doudi_funding.policy import pack_for
from doudi_funding.store.ledger import (
    balance,
    post,
)


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
