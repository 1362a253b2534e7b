"""The ledger's storage: the county's accounts, posting a balanced transaction
(checked against restricted accounts), reading one back, balances, and the
bulk path (COPY) the settlement writes its lines with; the set-based SQL that
derives ledger entries from settlement lines mirrors
``domain.ledger.settlement_postings``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.errors import NotFound
from doudi_common.paging import offset_of
from doudi_common.queries import next_number, row_by

from doudi_funding.domain import ledger as L
from doudi_funding.domain.settlement import NEIGHBOR, SUBSIDY_KINDS
from doudi_funding.models import (
    accounts,
    counters,
    donations,
    ledger_entries,
    ledger_txns,
    payouts,
)

# -- accounts ---------------------------------------------------------------------

def standard_accounts(county: str) -> list[tuple[str, str, str]]:
    codes = [(L.account("subsidy", county, k), "subsidy", f"政策性补贴 {k}") for k in SUBSIDY_KINDS]
    codes += [(L.account(k, county), k, name) for k, name in (
        ("family", "家庭自付应收"), ("donations", "社会捐助资金池"), ("county_cover",
                                                         "县级兜底补助"),
        ("caregiver_subsidy", "照护补贴"), ("service_subsidy", "服务补贴"),
        ("management_fee", "管理费"), ("cash", "银行存款"))]
    codes += [(L.account("payable", county, p), "payable", f"应付 {p}") for p in (
        "care_fee", "living_money", "caregiver_subsidy", "service_subsidy",
        "service_subsidy_person")]
    return codes


def ensure_accounts(session, county: str, now: datetime) -> None:
    have = set(session.execute(sa.select(accounts.c.code).where(accounts.c.county == county))
               .scalars())
    rows = [{"code": c, "kind": k, "county": county, "name": n, "purposes": None,
             "created_at": now} for c, k, n in standard_accounts(county) if c not in have]
    if rows:
        session.execute(sa.insert(accounts), rows)


def restricted_accounts(session, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    rows = session.execute(sa.select(accounts.c.code, accounts.c.purposes)
                           .where(accounts.c.code.in_(list(codes)),
                                  accounts.c.purposes.is_not(None))).all()
    return {r.code: tuple(r.purposes.split(",")) for r in rows}


def post(session, txn: L.Transaction, *, txn_id: str, county: str, now: datetime,
         month: str | None = None, settlement_id: str | None = None,
         case_id: str | None = None, event_id: str | None = None,
         reverses: str | None = None) -> str:
    """Store one balanced transaction (checked against restricted accounts)."""
    L.check_purposes(txn, restricted_accounts(session, {p.account for p in txn.postings}))
    session.execute(sa.insert(ledger_txns).values(
        txn_id=txn_id, cause=txn.cause, purpose=txn.purpose, county=county, month=month,
        settlement_id=settlement_id, case_id=case_id, event_id=event_id, reverses=reverses,
        memo=txn.memo[:500], created_at=now))
    session.execute(sa.insert(ledger_entries), [
        {"txn_id": txn_id, "account": p.account, "party": p.party, "id_number": p.id_number,
         "case_id": p.case_id, "amount_fen": p.amount} for p in txn.postings])
    return txn_id


def load_transaction(session, txn_id: str) -> tuple[dict, L.Transaction]:
    row = session.execute(sa.select(ledger_txns).where(ledger_txns.c.txn_id == txn_id)).first()
    if row is None:
        raise NotFound("未找到该交易", resource="transaction", txn_id=txn_id)
    entries = session.execute(sa.select(ledger_entries).where(ledger_entries.c.txn_id == txn_id)
                              .order_by(ledger_entries.c.id)).all()
    txn = L.Transaction(row.cause, tuple(
        L.Posting(e.account, e.amount_fen, e.party, e.id_number, e.case_id) for e in entries),
        purpose=row.purpose, memo=row.memo)
    return dict(row._mapping), txn


def balance(session, account: str, party: str | None = None, *, any_party: bool = False) -> int:
    q = sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount_fen), 0)) \
        .where(ledger_entries.c.account == account)
    if not any_party:
        q = q.where(ledger_entries.c.party.is_(None) if party is None
                    else ledger_entries.c.party == party)
    return int(session.execute(q).scalar_one())


# Entries of case_settlements lines, set-based; mirrors domain.ledger.settlement_postings.
def _acct(*parts: str) -> str:
    """SQL for an account code: ``'kind' || ':' || s.county || ...`` (no ``:name``
    in the text, which ``sa.text`` would take for a bind parameter)."""
    return " || ':' || ".join(p if p.startswith("s.") else f"'{p}'" for p in parts)


_PAYEE = "COALESCE(s.institution_uscc, s.caregiver_id_number)"
_ENTRY_KINDS = [
    (_acct("subsidy", "s.county", "dibao"), "NULL", "s.dibao_fen"),
    (_acct("subsidy", "s.county", "disabled_living_allowance"), "NULL", "s.dla_fen"),
    (_acct("subsidy", "s.county", "severe_disability_nursing_subsidy"), "NULL", "s.sdns_fen"),
    (_acct("family", "s.county"), "NULL", "s.family_fen"),
    (_acct("donations", "s.county"), _PAYEE, "s.don_earmarked_fen"),
    (_acct("donations", "s.county"), "NULL", "s.don_pool_fen"),
    (_acct("county_cover", "s.county"), "NULL", "s.county_fen"),
    (_acct("caregiver_subsidy", "s.county"), "NULL", "s.caregiver_subsidy_fen"),
    (_acct("payable", "s.county", "care_fee"), _PAYEE,
     f"CASE WHEN s.kind = '{NEIGHBOR}' THEN 0 ELSE -(s.dibao_fen + s.dla_fen + s.sdns_fen"
     " + s.family_fen + s.don_earmarked_fen + s.don_pool_fen + s.county_fen) END"),
    (_acct("payable", "s.county", "living_money"), _PAYEE,
     f"CASE WHEN s.kind = '{NEIGHBOR}' THEN -(s.dibao_fen + s.dla_fen + s.sdns_fen) ELSE 0 END"),
    (_acct("payable", "s.county", "caregiver_subsidy"), _PAYEE,
     f"CASE WHEN s.kind = '{NEIGHBOR}' THEN -s.caregiver_subsidy_fen ELSE 0 END"),
]


def _entry_sql() -> str:
    def case(i):
        return "CASE k.n " + " ".join(f"WHEN {n} THEN {e[i]}" for n, e in
                                      enumerate(_ENTRY_KINDS)) + " END"
    keys = " UNION ALL ".join(f"SELECT {n} AS n" for n in range(len(_ENTRY_KINDS)))
    return f"""
    INSERT INTO ledger_entries (txn_id, account, party, id_number, case_id, amount_fen)
    SELECT txn_id, account, party, id_number, case_id, amount FROM (
      SELECT s.txn_id, s.id_number, s.case_id, {case(0)} AS account, {case(1)} AS party,
             {case(2)} AS amount
      FROM case_settlements s CROSS JOIN ({keys}) k
      WHERE s.settlement_id = :sid
    ) x WHERE amount <> 0
    """


ENTRY_SQL = sa.text(_entry_sql())

TXN_SQL = sa.text("""
    INSERT INTO ledger_txns (txn_id, cause, purpose, county, month, settlement_id, case_id,
                             event_id, reverses, memo, created_at)
    SELECT txn_id, CASE line WHEN 'regular' THEN 'settlement' ELSE 'adjustment' END,
           CASE kind WHEN 'neighbor' THEN 'living_money' ELSE 'care_fee' END,
           county, month, settlement_id, case_id, cause_event_id, NULL,
           CASE line WHEN 'regular' THEN '' ELSE 'adjustment for ' || for_month END, :now
    FROM case_settlements WHERE settlement_id = :sid
""")


# -- accounts, one by one ------------------------------------------------------------

def account_row(session, code: str) -> dict | None:
    return row_by(session, accounts.c.code, code)


def insert_account(session, *, code: str, kind: str, county: str, name: str,
                   purposes: str | None, now: datetime) -> None:
    session.execute(sa.insert(accounts).values(code=code, kind=kind, county=county, name=name,
                                               purposes=purposes, created_at=now))


def entries_page(session, code: str, page: int, per_page: int) -> tuple[list[Any], int]:
    """An account's entries, oldest first: one page, and how many there are."""
    q = sa.select(ledger_entries).where(ledger_entries.c.account == code)
    total = session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(ledger_entries.c.id).limit(per_page)
                           .offset(offset_of(page, per_page))).all()
    return rows, int(total)


def reversal_of(session, txn_id: str) -> str | None:
    """The correction that reverses ``txn_id``, if one was posted."""
    row = session.execute(sa.select(ledger_txns.c.txn_id).where(
        ledger_txns.c.reverses == txn_id)).first()
    return row.txn_id if row is not None else None


def next_in_sequence(session, name: str) -> int:
    """The next number of a race-free per-county sequence (donations, funding
    receipts, spending)."""
    return next_number(session, counters, name)


# -- donations and payouts ----------------------------------------------------------------

def insert_donation(session, **values: Any) -> Any:
    session.execute(sa.insert(donations).values(**values))
    return session.execute(sa.select(donations).where(
        donations.c.donation_id == values["donation_id"])).one()


def donations_page(session, county: str, page: int, per_page: int) -> tuple[list[Any], int]:
    q = sa.select(donations).where(donations.c.county == county)
    total = session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(donations.c.received_on, donations.c.donation_id)
                           .limit(per_page).offset(offset_of(page, per_page))).all()
    return rows, int(total)


def payouts_of(session, month: str, county: str | None, payee: str | None) -> list[Any]:
    q = sa.select(payouts).where(payouts.c.month == month)
    if county:
        q = q.where(payouts.c.county == county)
    if payee:
        q = q.where(sa.or_(payouts.c.payee_uscc == payee, payouts.c.payee_id_number == payee))
    return session.execute(q.order_by(payouts.c.payout_id)).all()
