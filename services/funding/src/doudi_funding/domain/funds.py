"""Rules for money that enters or leaves funding outside the monthly
settlement: donations and their earmarks, department top-up funds, the pilot
special account (puyang-2020 §六), spending from an account, and the inputs
a family review or a neighbour-help arrangement brings.

Pure: no storage, no framework; amounts are fen (int) or Decimal yuan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from doudi_common.errors import Conflict, Invalid
from doudi_common.money import from_fen, money_str

EARMARKS = ("county", "institution", "centralized")
TOPUP_SOURCES = ("cdpf", "civil_affairs", "poverty")
PILOT_PURPOSES = ("service_subsidy", "caregiver_subsidy", "care_fee", "living_money")
PAYEE_KINDS = {"provider": "service_subsidy", "institution": "care_fee",
               "caregiver": "service_subsidy_person"}


def check_earmark(earmark: str, institution_uscc: str | None) -> None:
    """A donation goes to the county pool, to one institution (which it must
    name) or to centralised care; only an institution earmark names one."""
    if earmark not in EARMARKS:
        raise Invalid("捐赠用途应为 county、institution 或 centralized", reason="bad_earmark")
    if earmark == "institution" and not institution_uscc:
        raise Invalid("定向捐赠须指定机构", reason="institution_required")
    if earmark != "institution" and institution_uscc:
        raise Invalid("只有定向机构的捐赠可以指定机构", reason="bad_earmark")


def check_donor_name(donor_name: object) -> None:
    if donor_name is not None and (not isinstance(donor_name, str) or len(donor_name) > 100):
        raise Invalid("捐赠人名称不合法", reason="bad_donor")


def donation_numbers(county: str, received_on_year: int, received_on_ymd: str,
                     seq: int) -> tuple[str, str]:
    """The donation's id and its receipt number: per county, in order."""
    return (f"DN-{county}-{received_on_year}-{seq:05d}",
            f"RC-{county}-{received_on_ymd}-{seq:05d}")


def restricted_to(earmark: str) -> str | None:
    """What the ``donation.received`` event says the money is restricted to."""
    return None if earmark == "county" else "centralized"


def check_topup_source(source: str) -> None:
    if source not in TOPUP_SOURCES:
        raise Invalid("资金来源应为 cdpf、civil_affairs 或 poverty", reason="bad_source")


def pilot_purposes(purposes: object) -> list[str]:
    """The purposes a pilot special account may pay; service subsidies when
    none are given."""
    purposes = purposes or ["service_subsidy"]
    if not isinstance(purposes, list) or not all(p in PILOT_PURPOSES for p in purposes):
        raise Invalid("专项资金用途不合法", reason="bad_purposes", allowed=",".join(PILOT_PURPOSES))
    return purposes


def check_purposes_unchanged(existing: str, purposes: list[str]) -> None:
    """The purposes of a special account are fixed when it is opened."""
    if set(existing.split(",")) != set(purposes):
        raise Conflict("专户用途已设定，不能更改", reason="purposes_fixed", purposes=existing)


def payable_kind(purpose: str, payee_kind: str, payable_kinds: object) -> str:
    """Which payable a spending lands on: a service subsidy by the payee's
    kind, a care fee to an institution, else the purpose itself; it must be a
    payable funding knows how to pay out."""
    if purpose not in PILOT_PURPOSES:
        raise Invalid("用途不合法", reason="bad_purpose")
    if payee_kind not in PAYEE_KINDS:
        raise Invalid("收款方类型不合法", reason="bad_payee_kind")
    if purpose == "service_subsidy":
        kind = PAYEE_KINDS[payee_kind]
    else:
        kind = "care_fee" if payee_kind == "institution" else purpose
    if kind not in payable_kinds:  # type: ignore[operator]
        raise Invalid("该用途不能付给此类收款方", reason="bad_payee_kind")
    return kind


def check_special_balance(kind: str, balance_fen: int, amount_fen: int) -> None:
    """A pilot special account cannot pay more than it holds."""
    if kind == "pilot" and balance_fen < amount_fen:
        raise Conflict("专户余额不足", reason="insufficient_funds",
                       balance=money_str(from_fen(balance_fen)))


def per_capita_income(household_size: object, monthly_income: Decimal) -> Decimal:
    """A household's monthly income per member (luan-2021 §三(四): the family
    share follows it)."""
    if isinstance(household_size, bool) or not isinstance(household_size, int) \
            or household_size < 1:
        raise Invalid("家庭人口数应为正整数", reason="bad_household_size")
    if monthly_income < 0:
        raise Invalid("家庭收入不能为负数", reason="bad_amount")
    return (monthly_income / household_size).quantize(Decimal("0.01"))


def check_period(from_month: str, to_month: str | None) -> None:
    if to_month is not None and to_month < from_month:
        raise Invalid("截止月份不能早于起始月份", reason="bad_period")


def check_caregiver(id_number: str, caregiver: str) -> None:
    if caregiver == id_number:
        raise Invalid("照护人不能是本人", reason="self_care")


def check_caregiver_change(open_since: Any, new_start: Any) -> None:
    """A new caregiver takes over after the current one started: the current
    arrangement ends the day before (a change dated on or before its start would
    leave it no day at all — refused, not silently overwritten)."""
    if new_start <= open_since:
        raise Conflict("更换照护人的日期须晚于现有照护的开始日期",
                       reason="caregiver_change_too_early", open_since=str(open_since))


def neighbour_case_id(county: str, id_number: str, start_ymd: str) -> str:
    return f"NB-{county}-{id_number[-6:]}-{start_ymd}"


def require_pack(pack: Any) -> Any:
    if pack is None:
        raise Invalid("未知的政策包", reason="unknown_pack")
    return pack


def require_reason(reason: Any) -> str:
    """A ratio set by hand says why (it overrides the family review)."""
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("必须说明原因", reason="reason_required")
    return reason.strip()[:200]


def require_case(case: Any, case_id: str | None = None) -> Any:
    """A discharge or transfer refers to a placement funding knows (its
    admission arrives first: per-aggregate order)."""
    if case is None:
        if case_id:
            raise Conflict("未找到对应的入住记录", reason="unknown_placement", case_id=case_id)
        raise Conflict("未找到对应的入住记录", reason="unknown_placement")
    return case
