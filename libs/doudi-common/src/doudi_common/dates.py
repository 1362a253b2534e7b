"""Time as the suite counts it, with no framework attached: Asia/Shanghai
calendar dates, timezone-aware times, months as ``YYYY-MM``.

Pure: domain code imports it. The nameko dependency that gives workers a clock
tests can move is ``doudi_common.clock.Clock``.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, timezone-aware (UTC): what the tables store."""
    return datetime.now(UTC)


def to_shanghai(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must be timezone-aware")
    return moment.astimezone(SHANGHAI)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


#: the years a month of the suite may fall in (a person's facts, a settlement)
MONTH_YEARS = (1900, 2199)


def parse_month(month: str) -> tuple[int, int]:
    year, mon = month.split("-")
    if len(year) != 4 or len(mon) != 2 or not 1 <= int(mon) <= 12 \
            or not MONTH_YEARS[0] <= int(year) <= MONTH_YEARS[1]:
        raise ValueError(f"month must be YYYY-MM (years {MONTH_YEARS[0]}–{MONTH_YEARS[1]}), "
                         f"got {month!r}")
    return int(year), int(mon)


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM`` (ValueError as ``parse_month``)."""
    year, mon = parse_month(month)
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def next_month(month: str) -> str:
    """The month after ``YYYY-MM``."""
    year, mon = parse_month(month)
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
