"""What funding answers about money already moved: statements per person and
institution, county summaries (and their CSV), fund balances, ledger accounts
and transactions, the reversal of a transaction, reconciliation."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.errors import NotFound
from doudi_common.ids import validate_id_number, validate_uscc
from doudi_common.paging import page_args

from doudi_funding.domain import ledger as L
from doudi_funding.domain.days import check_month
from doudi_funding.domain.packs import policy_of
from doudi_funding.policy import pack_named
from doudi_funding.schemas import county_arg, entry_reply, yuan
from doudi_funding.store import ledger as ledger_store
from doudi_funding.store import reports


class Statements:
    @rpc
    def funding_policy(self, pack_id: str) -> dict:
        """Funding's part of a jurisdiction's policy (channels, parameters, clauses)."""
        pack = pack_named(str(pack_id))
        if pack is None:
            raise NotFound("政策包不存在", resource="policy_pack", pack_id=pack_id)
        return policy_of(pack)

    @rpc
    def person_statement(self, id_number: str, month: str) -> dict:
        return reports.person_statement(self.db.session, validate_id_number(id_number),
                                        check_month(month))

    @rpc
    def institution_statement(self, institution_uscc: str, month: str) -> dict:
        return reports.institution_statement(self.db.session, validate_uscc(institution_uscc),
                                             check_month(month))

    @rpc
    def county_summary(self, division_code: str, month: str | None = None,
                       year: int | str | None = None) -> dict:
        return reports.county_summary(self.db.session, county_arg(division_code), month, year)

    @rpc
    def fund_balances(self, division_code: str) -> dict:
        return reports.fund_balances(self.db.session, county_arg(division_code))

    @rpc
    def account_ledger(self, code: str, page=1, per_page=100) -> dict:
        session = self.db.session
        page, per_page = page_args(page, per_page)
        if ledger_store.account_row(session, code) is None:
            raise NotFound("未找到该账户", resource="account", code=str(code)[:80])
        rows, total = ledger_store.entries_page(session, code, page, per_page)
        return {"code": code, "balance": yuan(ledger_store.balance(session, code,
                                                                   any_party=True)),
                "entries": [entry_reply(e) for e in rows], "page": page, "per_page": per_page,
                "total": total}

    @rpc
    def get_transaction(self, txn_id: str) -> dict:
        return reports.transaction(self.db.session, txn_id)

    @rpc
    def reverse_transaction(self, txn_id: str, reason: str) -> dict:
        session = self.db.session
        reason = L.reversal_reason(reason)
        row, txn = ledger_store.load_transaction(session, txn_id)
        reversal = L.reversal_of(txn, row["cause"], reason,
                                 ledger_store.reversal_of(session, txn_id))
        new_id = f"COR-{txn_id}"
        ledger_store.post(session, reversal, txn_id=new_id, county=row["county"],
                          month=row["month"], reverses=txn_id, now=self.clock.now())
        return reports.transaction(session, new_id)

    @rpc
    def reconciliation(self, division_code: str | None = None, month: str | None = None) -> dict:
        county = county_arg(division_code) if division_code else None
        return reports.reconciliation(self.db.session, county,
                                      check_month(month) if month else None)
