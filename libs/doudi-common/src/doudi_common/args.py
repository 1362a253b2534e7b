"""Checking RPC arguments at the edge: dates, months, moments and short texts,
each refused with one ``Invalid`` naming the field and a machine reason. Pure:
the services' ``schemas.py`` and domain code use them alike."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from doudi_common.dates import SHANGHAI, parse_month
from doudi_common.errors import Invalid


def parse_date(value: Any, field: str, default: date | None = None) -> date | None:
    """``YYYY-MM-DD`` (or a ``date``); ``None``/``""`` gives ``default``."""
    if value is None or value == "":
        return default
    return require_date(value, field)


def require_date(value: Any, field: str) -> date:
    """A date that must be there."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value)) if isinstance(value, str) else _no_date()
    except ValueError:
        raise Invalid(f"{field} 日期格式应为 YYYY-MM-DD", field=field, reason="bad_date") from None


def _no_date() -> date:
    raise ValueError("not a date")


def parse_moment(value: Any, field: str) -> datetime | None:
    """An ISO 8601 datetime with offset, or a date meaning the end of that day
    in Shanghai; ``None``/``""`` gives ``None``."""
    if value is None or value == "":
        return None
    try:
        if len(str(value)) == 10:
            return datetime.combine(date.fromisoformat(str(value)), time.max, SHANGHAI)
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{field} 时间格式应为 ISO 8601", field=field, reason="bad_time") from None
    if moment.tzinfo is None:
        raise Invalid(f"{field} 时间须带时区", field=field, reason="bad_time")
    return moment


def require_month(value: Any, field: str = "month") -> str:
    """``YYYY-MM``."""
    try:
        parse_month(value)
    except (AttributeError, TypeError, ValueError):
        raise Invalid("月份格式应为 YYYY-MM", field=field, reason="bad_month") from None
    return str(value)


def require_text(value: Any, field: str, max_length: int = 200) -> str:
    """A non-empty string without NUL, at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field} 不能为空", reason="missing_field", field=field)
    if "\x00" in value:
        raise Invalid(f"{field} 含有非法字符", reason="bad_text", field=field)
    if len(value) > max_length:
        raise Invalid(f"{field} 过长（最多{max_length}字符）", reason="too_long", field=field)
    return value


def optional_text(value: Any, field: str, max_length: int = 200) -> str | None:
    return None if value is None else require_text(value, field, max_length)
