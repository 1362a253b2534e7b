"""Rules of alerts (the 爱心门铃 of qingyunpu-2021 §四(三)6, by which a person
living alone calls neighbours in an emergency, and alerts staff raise): raised
with a known kind and not in the future, acknowledged once, resolved once; an
unacknowledged alert escalates.

Pure: no storage, no framework."""

from __future__ import annotations

from datetime import datetime

from doudi_common.errors import Conflict, Invalid

KINDS = ("doorbell", "missed_visit", "health", "safety", "other")
STATUSES = ("raised", "acknowledged", "resolved")


def check_kind(kind: object) -> None:
    if kind not in KINDS:
        raise Invalid("警报类型不合法", reason="bad_kind", allowed=list(KINDS))


def check_raised_at(at: datetime, now: datetime) -> None:
    if at > now:
        raise Invalid("警报时间不能晚于当前时间", reason="in_future")


def check_can_acknowledge(status: str) -> None:
    if status != "raised":
        raise Conflict("警报已确认或已处理", reason="alert_" + status)


def check_can_resolve(status: str) -> None:
    if status == "resolved":
        raise Conflict("警报已处理", reason="alert_resolved")


def check_status_filter(status: object) -> None:
    if status is not None and status not in STATUSES:
        raise Invalid("警报状态不合法", reason="bad_status")


def time_to_resolve(spans: list[tuple[datetime, datetime]]) -> dict[str, float | int | None]:
    """How long the resolved alerts took, from raised to resolved, in minutes:
    the median and the longest (``None`` when none was resolved)."""
    minutes = sorted((resolved - raised).total_seconds() / 60 for raised, resolved in spans)
    if not minutes:
        return {"median_minutes": None, "max_minutes": None}
    mid = len(minutes) // 2
    median = minutes[mid] if len(minutes) % 2 else (minutes[mid - 1] + minutes[mid]) / 2
    return {"median_minutes": round(median, 1), "max_minutes": round(minutes[-1])}
