"""Inputs no event carries: a family's annual review (and the self-pay ratio
it sets), a ratio set by hand, a dibao amount, a neighbour-help caregiver, and
the cost plan of a case."""

from __future__ import annotations

from datetime import timedelta

from doudi_common.dates import month_of, utcnow
from doudi_common.entrypoints import rpc
from doudi_common.ids import validate_id_number
from doudi_common.money import to_fen

from doudi_funding.domain import funds
from doudi_funding.domain.days import check_month, next_month
from doudi_funding.domain.packs import self_pay_ratio
from doudi_funding.domain.settlement import NEIGHBOR
from doudi_funding.policy import pack_for, pack_named
from doudi_funding.schemas import county_arg, masked, parse_date, parse_money, parse_ratio, yuan
from doudi_funding.store import cases as case_store
from doudi_funding.store import reports
from doudi_funding.store.facts import grant_subsidy
from doudi_funding.store.settlement import mark_late

SELF_PAY_CLAUSE = "luan-2021 §三(四)"


class Inputs:
    @rpc
    def record_family_review(self, id_number: str, reviewed_on: str, household_size: int,
                             monthly_income: str, policy_pack: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        on = parse_date(reviewed_on, "reviewed_on")
        income = parse_money(monthly_income, "monthly_income", positive=False)
        per_capita = funds.per_capita_income(household_size, income)
        pack = funds.require_pack(pack_named(policy_pack) if policy_pack
                                  else pack_for(self._division(id_number)))
        ratio, band = self_pay_ratio(pack, per_capita, on)
        clause = pack.clauses.get("self_pay", SELF_PAY_CLAUSE)
        return self._store_ratio(id_number, ratio, next_month(month_of(on)),
                                 f"annual review {on.isoformat()}", band, per_capita, clause)

    @rpc
    def set_self_pay_ratio(self, id_number: str, ratio: str, from_month: str,
                           reason: str) -> dict:
        reason = funds.require_reason(reason)
        return self._store_ratio(validate_id_number(id_number), parse_ratio(ratio),
                                 check_month(from_month), reason, None, None,
                                 SELF_PAY_CLAUSE)

    def _store_ratio(self, id_number, ratio, from_month, reason, band, per_capita, clause):
        """The ratio from ``from_month`` (a review here, a ratio by hand, or the annual
        review eligibility announced); settled months from then are adjusted."""
        session = self.db.session
        case_store.add_self_pay_ratio(
            session, id_number=id_number, from_month=from_month, ratio=str(ratio), band=band,
            per_capita_fen=to_fen(per_capita) if per_capita is not None else None,
            reason=reason, clause=clause)
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, id_number),
                  from_month=from_month)
        return {"id_number_masked": masked(id_number), "effective_month": from_month,
                "per_capita_income": yuan(to_fen(per_capita)) if per_capita is not None else None,
                "band": band, "self_pay_ratio": f"{ratio:.2f}", "clause": clause}

    def _division(self, id_number: str) -> str:
        return case_store.division_of(self.db.session, id_number) or id_number[:6]

    @rpc
    def record_dibao(self, id_number: str, monthly_amount: str, from_month: str,
                     to_month: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        amount = parse_money(monthly_amount, "monthly_amount")
        from_month = check_month(from_month)
        funds.check_period(from_month, check_month(to_month) if to_month is not None else None)
        session = self.db.session
        grant_subsidy(session, id_number=id_number, kind="dibao", monthly_fen=to_fen(amount),
                      from_month=from_month, to_month=to_month, now=utcnow())
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, id_number),
                  from_month=from_month)
        return {"id_number_masked": masked(id_number), "kind": "dibao",
                "monthly_amount": yuan(to_fen(amount)), "from_month": from_month,
                "to_month": to_month}

    @rpc
    def register_caregiver(self, id_number: str, caregiver_id_number: str, division_code: str,
                           from_date: str, enrolment_id: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        caregiver = validate_id_number(caregiver_id_number)
        funds.check_caregiver(id_number, caregiver)
        county = county_arg(division_code)
        start = parse_date(from_date, "from_date")
        session = self.db.session
        open_case = case_store.open_case_of_kind(session, id_number, NEIGHBOR)
        if open_case is not None:
            if open_case["caregiver_id_number"] == caregiver:
                return _case_reply(open_case)
            # change of caregiver: the old arrangement ends the day before
            funds.check_caregiver_change(open_case["start_date"], start)
            self._end_case(open_case["case_id"], start - timedelta(days=1), "caregiver_changed",
                           None)
        values = {"case_id": funds.neighbour_case_id(county, id_number,
                                                     start.strftime("%Y%m%d")),
                  "kind": NEIGHBOR, "id_number": id_number, "division_code": division_code,
                  "county": county, "caregiver_id_number": caregiver, "start_date": start,
                  "enrolment_id": enrolment_id}
        case_store.insert_case(session, **values)
        mark_late(session, utcnow(), case_ids=[values["case_id"]], from_month=month_of(start))
        return _case_reply(values)

    @rpc
    def get_cost_plan(self, case_id: str, month: str) -> dict:
        return reports.cost_plan(self.db.session, case_id, check_month(month))


def _case_reply(values) -> dict:
    start = values["start_date"]
    return {"case_id": values["case_id"], "kind": values["kind"],
            "id_number_masked": masked(values["id_number"]),
            "caregiver_id_number_masked": masked(values["caregiver_id_number"]),
            "division_code": values["division_code"],
            "from_date": start.isoformat() if hasattr(start, "isoformat") else start}
