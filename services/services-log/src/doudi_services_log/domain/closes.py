"""Rules of the month close (qingyunpu-2021 §四(三)6: the community records
the services, "补贴由街道审核按月发放" — the township reviews and pays monthly): a
township (9-digit
division; persons known only at county level close with the 6-digit county
code) or an institution closes a month once, after the month is over; what
is verified later is paid in the next open month.

Pure: no storage, no framework."""

from __future__ import annotations

from datetime import date

from doudi_common.dates import month_of
from doudi_common.errors import Conflict, Invalid


def close_unit_of(division_code: str | None, institution_uscc: str | None
                  ) -> tuple[str, str | None]:
    """The unit that closes: an institution (its USCC is checked by the
    caller) or a township. ``division_code`` is required either way (it
    files the close)."""
    if division_code is None:
        raise Invalid("须提供 division_code", reason="missing_field", field="division_code")
    if institution_uscc is not None:
        return "institution", None
    if len(division_code) == 12:
        raise Invalid("月结须按乡镇（街道，9位区划代码）或机构进行", reason="bad_unit")
    return "township", division_code


def check_month_over(month: str, today: date) -> None:
    if month >= month_of(today):
        raise Conflict(f"{month} 尚未结束，不能月结", reason="month_not_over", month=month)


def check_not_closed(closed: bool, month: str) -> None:
    if closed:
        raise Conflict(f"{month} 已月结", reason="already_closed", month=month)


def check_recordable(closed: bool, month: str) -> None:
    """A closed month is locked: no record lands in it."""
    if closed:
        raise Conflict(f"{month} 已月结，记录已锁定", reason="month_closed", month=month)


def lookup_unit(division_code: str | None, institution_uscc: str | None) -> str:
    """Which kind of unit a close is looked up by."""
    if institution_uscc is not None:
        return "institution"
    if division_code is not None:
        return "township"
    raise Invalid("须提供 division_code 或 institution_uscc", reason="missing_field")
