"""How services_log answers (the edge): moments in Shanghai time (ISO 8601) and
money as yuan strings."""

from __future__ import annotations

from datetime import datetime

from doudi_common.dates import to_shanghai
from doudi_common.money import to_money


def iso(value) -> str | None:
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat()
    return value.isoformat() if value is not None else None


def money(value) -> str | None:
    return format(to_money(value), "f") if value is not None else None
