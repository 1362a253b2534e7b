"""Money outside the monthly settlement: donations received, department
top-up funds and the pilot special account paid in, spending from an account,
and the payouts made."""

from __future__ import annotations

from doudi_common.dates import month_of
from doudi_common.entrypoints import rpc
from doudi_common.errors import NotFound
from doudi_common.ids import validate_id_number, validate_uscc
from doudi_common.money import to_fen
from doudi_common.paging import page_args

from doudi_funding.domain import funds
from doudi_funding.domain import ledger as L
from doudi_funding.domain.days import check_month
from doudi_funding.schemas import (
    county_arg,
    donation_reply,
    parse_date,
    parse_money,
    payout_reply,
    yuan,
)
from doudi_funding.store import ledger as ledger_store
from doudi_funding.store import reports
from doudi_funding.store.payouts import PAYEE, pay_out


class Accounts:
    @rpc
    def record_donation(self, division_code: str, amount: str, received_on: str,
                        donor_name: str | None = None, donor_uscc: str | None = None,
                        earmark: str = "county", institution_uscc: str | None = None) -> dict:
        county = county_arg(division_code)
        value = parse_money(amount)
        on = parse_date(received_on, "received_on")
        funds.check_earmark(earmark, institution_uscc)
        if institution_uscc:
            institution_uscc = validate_uscc(institution_uscc)
        if donor_uscc:
            donor_uscc = validate_uscc(donor_uscc)
        funds.check_donor_name(donor_name)
        session, now = self.db.session, self.clock.now()
        ledger_store.ensure_accounts(session, county, now)
        seq = ledger_store.next_in_sequence(session, f"donation-{county}")
        donation_id, receipt_no = funds.donation_numbers(county, on.year, on.strftime("%Y%m%d"),
                                                         seq)
        txn_id, fen = f"DON:{donation_id}", to_fen(value)
        ledger_store.post(session, L.transaction("donation", [
            L.Posting(L.account("cash", county), fen),
            L.Posting(L.account("donations", county), -fen, institution_uscc)],
            purpose="donation", memo=f"receipt {receipt_no}"),
            txn_id=txn_id, county=county, month=month_of(on), now=now)
        row = ledger_store.insert_donation(
            session, donation_id=donation_id, receipt_no=receipt_no, county=county,
            division_code=division_code, donor_name=donor_name, donor_uscc=donor_uscc,
            amount_fen=fen, received_on=on, earmark=earmark, institution_uscc=institution_uscc,
            txn_id=txn_id, created_at=now)
        self.db.outbox.add("donation.received", {
            "donation_id": donation_id, "division_code": division_code,
            "donor_name": donor_name, "donor_uscc": donor_uscc, "amount": value,
            "received_on": on, "restricted_to": funds.restricted_to(earmark)},
            division_code=division_code, key=donation_id)
        return donation_reply(row)

    @rpc
    def list_donations(self, division_code: str, page=1, per_page=100) -> dict:
        county = county_arg(division_code)
        page, per_page = page_args(page, per_page)
        rows, total = ledger_store.donations_page(self.db.session, county, page, per_page)
        return {"items": [donation_reply(r) for r in rows], "page": page,
                "per_page": per_page, "total": total}

    @rpc
    def get_donation(self, donation_id: str) -> dict:
        return reports.donation(self.db.session, donation_id)

    @rpc
    def fund_topup_account(self, division_code: str, source: str, amount: str,
                           received_on: str, memo: str = "") -> dict:
        """Money from a department fund (CDPF, civil affairs, poverty office) for
        the county's top-up of centralised care (puyang-2020 §六)."""
        county = county_arg(division_code)
        funds.check_topup_source(source)
        fen = to_fen(parse_money(amount))
        on = parse_date(received_on, "received_on")
        session, now = self.db.session, self.clock.now()
        ledger_store.ensure_accounts(session, county, now)
        code = L.account("topup", county, source)
        if ledger_store.account_row(session, code) is None:
            ledger_store.insert_account(session, code=code, kind="topup", county=county,
                                        name=f"部门补充资金 {source}", purposes=None, now=now)
        self._pay_in(county, code, fen, on, "top_up", str(memo)[:200])
        return {"code": code, "balance": yuan(ledger_store.balance(session, code)),
                "source": source}

    @rpc
    def fund_pilot_account(self, division_code: str, amount: str, received_on: str,
                           source: str, purposes: list[str] | None = None) -> dict:
        county = county_arg(division_code)
        fen = to_fen(parse_money(amount))
        on = parse_date(received_on, "received_on")
        purposes = funds.pilot_purposes(purposes)
        session, now = self.db.session, self.clock.now()
        ledger_store.ensure_accounts(session, county, now)
        code = L.account("pilot", county)
        row = ledger_store.account_row(session, code)
        if row is None:
            ledger_store.insert_account(session, code=code, kind="pilot", county=county,
                                        name="服务类社会救助改革试点资金专户",
                                        purposes=",".join(purposes), now=now)
        else:
            funds.check_purposes_unchanged(row["purposes"], purposes)
        self._pay_in(county, code, fen, on, "funding", str(source)[:200])
        return {"code": code, "balance": yuan(ledger_store.balance(session, code)),
                "purposes": purposes}

    def _pay_in(self, county: str, code: str, fen: int, on, purpose: str, memo: str) -> None:
        session = self.db.session
        n = ledger_store.next_in_sequence(session, f"funding-{county}")
        ledger_store.post(session, L.transaction("funding", [
            L.Posting(L.account("cash", county), fen), L.Posting(code, -fen)],
            purpose=purpose, memo=memo),
            txn_id=f"FUND:{county}:{n:05d}", county=county, month=month_of(on),
            now=self.clock.now())

    @rpc
    def spend_from_account(self, code: str, purpose: str, amount: str, payee_kind: str,
                           payee: str, month: str, memo: str = "") -> dict:
        session = self.db.session
        row = ledger_store.account_row(session, code)
        if row is None:
            raise NotFound("未找到该账户", resource="account")
        kind = funds.payable_kind(purpose, payee_kind, PAYEE)
        fen = to_fen(parse_money(amount))
        month = check_month(month)
        payee = validate_id_number(payee) if payee_kind == "caregiver" else validate_uscc(payee)
        county = row["county"]
        txn = L.transaction("spend", [
            L.Posting(code, fen), L.Posting(L.account("payable", county, kind), -fen, payee)],
            purpose=purpose, memo=str(memo)[:500])
        L.check_purposes(txn, ledger_store.restricted_accounts(session, [code]))
        funds.check_special_balance(row["kind"], -ledger_store.balance(session, code), fen)
        ref = f"SP-{county}-{ledger_store.next_in_sequence(session, f'spend-{county}'):05d}"
        txn_id = f"{ref}:spend"
        ledger_store.post(session, txn, txn_id=txn_id, county=county, month=month,
                          now=self.clock.now())
        pay_out(self.db, county, month, ref, self.clock.now(), settlement_id=None)
        return reports.transaction(session, txn_id)

    @rpc
    def list_payouts(self, month: str, division_code: str | None = None,
                     payee: str | None = None) -> dict:
        county = county_arg(division_code) if division_code else None
        rows = ledger_store.payouts_of(self.db.session, check_month(month), county, payee)
        return {"items": [payout_reply(r) for r in rows], "total": len(rows)}
