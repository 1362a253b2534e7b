"""Enrolment over time: review due dates, the age hand-over date, exits. Pure."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from doudi_common.errors import Invalid

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
