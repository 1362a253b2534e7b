"""Public references of placements and inspections, and month periods.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from doudi_common.errors import Invalid, NotFound

# -- references and periods ---------------------------------------------------------------


def placement_no(pk: int) -> str:
    return f"PL-{pk}"


def placement_pk(placement_id: Any) -> int:
    text = str(placement_id)
    if text.startswith("PL-") and text[3:].isdigit():
        return int(text[3:])
    raise NotFound("未找到该入住记录", resource="placement")


def inspection_pk(inspection_id: Any) -> int:
    text = str(inspection_id)
    if text.startswith("INS-") and text[4:].isdigit():
        return int(text[4:])
    raise NotFound("未找到该检查记录", resource="inspection")


def month_bounds(month: Any) -> tuple[date, date]:
    from doudi_common.dates import parse_month

    try:
        year, mon = parse_month(str(month))
    except ValueError:
        raise Invalid("月份应为 YYYY-MM", field="active_in", reason="bad_month") from None
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
