"""Days in care within a month (Asia/Shanghai calendar dates).

Rule (written once): the admission day and the last day (discharge day, day of
death) both count; a month with no day in care is 0 days. Cost and subsidies
are prorated by ``days / days_in_month`` through ``doudi_common.money.prorate``.
"""

from __future__ import annotations

import calendar
from datetime import date

from doudi_common.clock import parse_month


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = parse_month(month)
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def days_in_month(month: str) -> int:
    year, mon = parse_month(month)
    return calendar.monthrange(year, mon)[1]


def days_in_care(month: str, start: date, end: date | None) -> int:
    first, last = month_bounds(month)
    lo = max(first, start)
    hi = last if end is None else min(last, end)
    return max(0, (hi - lo).days + 1)


def next_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out
