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


def not_in_future(day: date, today: date, field: str, what: str) -> date:
    """A date that has happened (an assessment, an inspection, a rectification)."""
    if day > today:
        raise Invalid(f"{what}不能晚于今天", field=field, reason="future")
    return day


def required(value: Any, field: str, what: str) -> Any:
    if not value:
        raise Invalid(f"请填写{what}", field=field, reason="missing")
    return value


def check_flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field} 应为 true 或 false", field=field, reason="bad_choice")
    return value
