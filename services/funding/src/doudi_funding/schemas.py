"""RPC payloads of funding (the edge): argument parsing and JSON-ready replies.
Money is always a ``"120.00"`` string; ID numbers are masked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from doudi_common.errors import Invalid
from doudi_common.ids import mask_id_number, validate_division_code
from doudi_common.money import from_fen, money_str, to_money

from doudi_funding.domain.settlement import SUBSIDY_KINDS


def yuan(fen) -> str:
    """An amount in fen as a yuan string with 2 places (``"120.00"``)."""
    return money_str(from_fen(int(fen or 0)))


def masked(value):
    """An ID number masked (``3415**********1234``); ``None`` stays ``None``."""
    return mask_id_number(value) if value else None


def parse_money(value, name="amount", positive=True) -> Decimal:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Invalid(f"{name} 必须是字符串金额，如 \"120.00\"", reason="bad_amount", field=name)
    amount = to_money(value)
    if positive and amount <= 0:
        raise Invalid(f"{name} 必须大于零", reason="bad_amount", field=name)
    return amount


def parse_date(value, name) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} 日期格式应为 YYYY-MM-DD", reason="bad_date", field=name) from None


def parse_ratio(value) -> Decimal:
    try:
        ratio = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("自付比例格式错误", reason="bad_ratio") from None
    if not (0 <= ratio <= 1):
        raise Invalid("自付比例应在 0 到 1 之间", reason="bad_ratio")
    return ratio


def county_arg(division_code) -> str:
    if not isinstance(division_code, str):
        raise Invalid("区划代码必须是字符串", reason="bad_division")
    return validate_division_code(division_code)[:6]


def channels(own, family, donations, county) -> dict:
    return {"own_subsidies": yuan(own), "family_share": yuan(family), "donations": yuan(donations),
            "county_cover": yuan(county)}


def run_reply(run: dict, rerun: bool) -> dict:
    return {"settlement_id": run["settlement_id"], "division_code": run["county"],
            "month": run["month"], "status": run["status"], "cases": run["cases"],
            "total": yuan(run["total_fen"]),
            "by_channel": channels(run["own_fen"], run["family_fen"], run["donations_fen"],
                                   run["county_fen"]),
            "caregiver_subsidy": yuan(run["caregiver_subsidy_fen"]),
            "service_subsidy": yuan(run["service_subsidy_fen"]),
            "management_fee": yuan(run["management_fee_fen"]),
            "adjustments": yuan(run["adjustments_fen"]),
            "completed_at": run["completed_at"].isoformat(), "rerun": rerun}


def line_reply(r) -> dict:
    own = r.dibao_fen + r.dla_fen + r.sdns_fen
    return {"case_id": r.case_id, "kind": r.kind, "month": r.month, "for_month": r.for_month,
            "line": r.line, "id_number_masked": masked(r.id_number), "division_code": r.county,
            "institution_uscc": r.institution_uscc,
            "caregiver_id_number_masked": masked(r.caregiver_id_number),
            "days": r.days, "days_in_month": r.days_in_month, "cost": yuan(r.cost_fen),
            "excess": yuan(own + r.family_fen + r.don_earmarked_fen + r.don_pool_fen
                           + r.county_fen + r.caregiver_subsidy_fen - r.cost_fen),
            "by_channel": channels(own, r.family_fen, r.don_earmarked_fen + r.don_pool_fen,
                                   r.county_fen + r.caregiver_subsidy_fen),
            "subsidies": dict(zip(SUBSIDY_KINDS, (yuan(r.dibao_fen), yuan(r.dla_fen),
                                                  yuan(r.sdns_fen)), strict=True)),
            "caregiver_subsidy": yuan(r.caregiver_subsidy_fen),
            "county_top_up": yuan(r.county_fen),
            "self_pay_ratio": r.self_pay_ratio, "txn_id": r.txn_id}


def entry_reply(e) -> dict:
    party = e.party
    if party and party[:17].isdigit():  # a person's ID number (a USCC has letters)
        party = masked(party)
    return {"txn_id": e.txn_id, "account": e.account, "amount": yuan(e.amount_fen),
            "party": party, "id_number_masked": masked(e.id_number), "case_id": e.case_id}


def payout_reply(p) -> dict:
    return {"payout_id": p.payout_id, "month": p.month, "payee_kind": p.payee_kind,
            "payee_uscc": p.payee_uscc, "payee_id_number_masked": masked(p.payee_id_number),
            "purpose": p.purpose, "amount": yuan(p.amount_fen),
            "issued_on": p.issued_on.isoformat(),
            "settlement_id": p.settlement_id, "txn_id": p.txn_id}


def donation_reply(d) -> dict:
    return {"donation_id": d.donation_id, "receipt_no": d.receipt_no,
            "division_code": d.division_code, "donor_name": d.donor_name,
            "donor_uscc": d.donor_uscc, "amount": yuan(d.amount_fen),
            "received_on": d.received_on.isoformat(), "earmark": d.earmark,
            "institution_uscc": d.institution_uscc, "txn_id": d.txn_id}
