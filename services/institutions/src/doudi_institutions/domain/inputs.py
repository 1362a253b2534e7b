"""Checking choices and dates given to the institutions service.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from datetime import date
from typing import Any

from doudi_common.errors import Invalid

# -- choices ---------------------------------------------------------------------


def choice(value: Any, allowed: Any, field: str) -> Any:
    if value not in allowed:
        raise Invalid(f"{field} 取值不合法：{value!r}", field=field, reason="bad_choice",
                      allowed=list(allowed))
    return value


def as_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{field} 应为日期（YYYY-MM-DD）", field=field, reason="bad_date") from None


def opt_date(value: Any, field: str) -> date | None:
    return None if value in (None, "") else as_date(value, field)
