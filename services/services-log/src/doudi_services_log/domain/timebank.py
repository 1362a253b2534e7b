"""Volunteer time bank (lanzhou-2021 §四(五)3 "养老时间银行"): hours served are
stored when the record is verified and later exchanged for care. Balances are
integer minutes and never negative; every movement is an entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from doudi_common.errors import Conflict, Invalid
from doudi_common.money import to_money

from doudi_services_log.domain.catalogue import Jurisdiction

RELATIONS = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild")


def hours(minutes: int) -> str:
    return format(to_money(Decimal(minutes) / Decimal(60)), "f")


def check_minutes(minutes: Any) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise Invalid("时长须为正整数分钟", reason="bad_minutes")
    if minutes > 100_000 * 60:
        raise Invalid("时长过大", reason="bad_minutes")
    return minutes


def check_debit(balance: int, minutes: int) -> int:
    """New balance after taking ``minutes`` out; refused below zero."""
    if minutes > balance:
        raise Conflict(f"时间银行余额不足（余额 {hours(balance)} 小时）",
                       reason="insufficient_balance", balance_minutes=balance)
    return balance - minutes


def check_transfer(jurisdiction: Jurisdiction | None, relation: str, from_id: str,
                   to_id: str) -> None:
    if relation not in RELATIONS:
        raise Invalid(f"亲属关系不合法：{relation!r}", reason="not_family",
                      allowed=list(RELATIONS))
    if from_id == to_id:
        raise Invalid("不能转给本人", reason="not_family")
    if jurisdiction is None or not jurisdiction.time_bank:
        raise Conflict("该地区政策未设立时间银行", reason="transfer_not_allowed")
    if relation not in jurisdiction.transfer_relations:
        raise Conflict(f"{jurisdiction.pack} 不允许向该亲属转让时间", reason="transfer_not_allowed",
                       relation=relation)
