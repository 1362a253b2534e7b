"""Days in care within a month (Asia/Shanghai calendar dates).

Rule (written once): the admission day and the last day (discharge day, day of
death) both count; a month with no day in care is 0 days. Cost and subsidies
are prorated by ``days / days_in_month`` through ``doudi_common.money.prorate``.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from doudi_common.dates import month_bounds as month_bounds  # funding's month arithmetic
from doudi_common.dates import next_month as next_month
from doudi_common.dates import parse_month
from doudi_common.errors import Invalid


def days_in_month(month: str) -> int:
    year, mon = parse_month(month)
    return calendar.monthrange(year, mon)[1]


def days_in_care(month: str, start: date, end: date | None) -> int:
    first, last = month_bounds(month)
    lo = max(first, start)
    hi = last if end is None else min(last, end)
    return max(0, (hi - lo).days + 1)


def hospital_days(month: str, start: date, end: date | None,
                  stays: list[tuple[date, date | None]]) -> int:
    """Days of ``month`` in care that the person spent in hospital (the day of
    admission and the day of discharge count as care days, not hospital days)."""
    first, last = month_bounds(month)
    lo_care, hi_care = max(first, start), last if end is None else min(last, end)
    days: set[date] = set()
    for admitted, discharged in stays:
        lo = max(lo_care, admitted + timedelta(days=1))
        hi = min(hi_care, (discharged - timedelta(days=1)) if discharged else hi_care)
        d = lo
        while d <= hi:
            days.add(d)
            d += timedelta(days=1)
    return len(days)


def charged_days(days: int, in_hospital: int, free_days: int | None) -> int:
    """Days charged under a pack's hospital-absence rule."""
    if free_days is None:
        return days
    return days - max(0, in_hospital - free_days)


def prev_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def check_month(month: str) -> str:
    """A month argument (``YYYY-MM``), refused with ``bad_month`` otherwise."""
    try:
        parse_month(month)
    except (ValueError, AttributeError, TypeError):
        raise Invalid("月份格式应为 YYYY-MM", reason="bad_month", month=str(month)[:10]) \
            from None
    return month
