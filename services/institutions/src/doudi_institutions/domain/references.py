"""Public references of placements and inspections, and month periods.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from datetime import date
from typing import Any

from doudi_common import dates
from doudi_common.errors import Invalid, NotFound

# -- references and periods ---------------------------------------------------------------


def placement_no(pk: int) -> str:
    return f"PL-{pk}"


#: the largest key the tables' integer columns hold; a larger number names nothing
MAX_KEY = 2**31 - 1


def _key(reference: Any, prefix: str) -> int | None:
    text = str(reference)
    digits = text[len(prefix):]
    if text.startswith(prefix) and digits.isascii() and digits.isdigit() \
            and 0 < int(digits) <= MAX_KEY:
        return int(digits)
    return None


def placement_pk(placement_id: Any) -> int:
    pk = _key(placement_id, "PL-")
    if pk is None:
        raise NotFound("未找到该入住记录", resource="placement")
    return pk


def inspection_pk(inspection_id: Any) -> int:
    pk = _key(inspection_id, "INS-")
    if pk is None:
        raise NotFound("未找到该检查记录", resource="inspection")
    return pk


def month_bounds(month: Any) -> tuple[date, date]:
    try:
        return dates.month_bounds(str(month))
    except ValueError:
        raise Invalid("月份应为 YYYY-MM", field="active_in", reason="bad_month") from None
