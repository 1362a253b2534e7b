"""Enrolment over time: review due dates, the age hand-over date, exits. Pure."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from doudi_common.errors import Conflict, Invalid
from doudi_common.money import to_money

from doudi_eligibility.domain.packs import Pack
from doudi_eligibility.domain.person import Fact

#: reasons a clerk may end an enrolment with (deaths come from health, hand-overs
#: from the calendar) — the contract's ENDING_REASONS
MANUAL_END_REASONS = ("improved", "voluntary_exit", "moved_away", "no_longer_eligible", "other")


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def birthday(born: date, age: int) -> date:
    """The day a person born on ``born`` turns ``age``; 29 February birthdays
    fall on 1 March in common years (as ``doudi_common.ids.age_on`` counts)."""
    year = born.year + age
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, born.month, born.day)


def latest_birth_date_for_age(age: int, on: date) -> date:
    """Everyone born on or before this date is at least ``age`` on ``on``."""
    try:
        return date(on.year - age, on.month, on.day)
    except ValueError:  # 29 February on -> 28 February age years back
        return date(on.year - age, 2, 28)


def check_end_reason(reason: str) -> str:
    if reason not in MANUAL_END_REASONS:
        raise Invalid("退出原因不存在", field="reason", reason=reason,
                      allowed=list(MANUAL_END_REASONS))
    return reason


def last_day_before(day: date) -> date:
    return day - timedelta(days=1)


def parse_income(value: Any) -> Decimal:
    """A household's per-head income for the annual review (luan-2021 §三(六)):
    a money string, not negative."""
    try:
        income = to_money(str(value))
    except Exception:  # noqa: BLE001 - whatever the parser says, it is the caller's input
        raise Invalid("人均收入格式错误，应为金额字符串如 \"800.00\"",
                      field="income_per_head") from None
    if income < 0:
        raise Invalid("人均收入不能为负", field="income_per_head")
    return income


def handover_fact(pack: Pack, on: date, ended_modes: list[str]) -> Fact:
    """The hand-over to civil affairs at the pack's age, as a fact."""
    return Fact("handed_over", "civil_affairs", on, None,
                {"clause": pack.handover_clause, "to_status": "tekun",
                 "ended_care_modes": ended_modes})


def check_active(row: dict[str, Any]) -> None:
    """Only care that is running is changed or ended."""
    if row["status"] != "active":
        raise Conflict("照护已结束", enrolment_id=row["enrolment_id"], status=row["status"])


def check_mode_change(current: str, new: str, reason: Any) -> None:
    """A change of care mode changes something and says why."""
    if new == current:
        raise Conflict("照护方式未改变", care_mode=new)
    if not reason:
        raise Invalid("须说明变更原因", field="reason")


def check_eligible_for(care_mode: str, eligible_modes: Any, summary: str) -> None:
    """The person must qualify for the new mode on the day it starts."""
    if care_mode not in eligible_modes:
        raise Invalid("不符合新照护方式的条件：" + summary, field="care_mode",
                      care_mode=care_mode)


def check_end_after_start(on: date, started_on: date) -> None:
    if on < started_on:
        raise Invalid("退出日期早于开始日期", field="on")


def when_no_longer_eligible(pack: Pack, care_mode: str,
                            granted: tuple[str, ...]) -> tuple[str, str | None]:
    """What happens to an enrolment whose care mode the person no longer qualifies
    for: ("review", None) — the county reviews it, exit being its decision
    (luan-2021 §三(六)); or, where the pack's document changes or stops services
    as the status changes (qingyunpu-2021 §五5 根据其社会救助对象身份动态管理情况及时按程序
    变更或停止救助服务), ("change", mode) to a mode still granted, else ("stop", None)."""
    if not pack.status_change_clause:
        return "review", None
    others = [m for m in granted if m != care_mode]
    return ("change", others[0]) if others else ("stop", None)
