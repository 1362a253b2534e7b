"""Rules of visits (lanzhou-2021 §四(三)3: regular visits to persons in
special hardship; neighbour visits where neighbours help): a schedule every
1–366 days for a living person; a visit not in the future and not after the
person's death.

Pure: no storage, no framework."""

from __future__ import annotations

from datetime import date, timedelta

from doudi_common.errors import Conflict, Invalid

KINDS = ("regular", "neighbor")
MAX_INTERVAL_DAYS = 366


def check_kind(kind: object) -> None:
    if kind not in KINDS:
        raise Invalid("探访类型须为 regular 或 neighbor", reason="bad_kind")


def check_interval(every_days: object) -> int:
    if isinstance(every_days, bool) or not isinstance(every_days, int) \
            or not 1 <= every_days <= MAX_INTERVAL_DAYS:
        raise Invalid("探访周期须为1到366天", reason="bad_interval")
    return every_days


def check_schedulable(died_on: date | None) -> None:
    if died_on is not None:
        raise Conflict("服务对象已死亡", reason="after_death")


def check_visit_day(day: date, today: date, died_on: date | None) -> None:
    if day > today:
        raise Invalid("探访日期不能晚于今天", reason="in_future")
    if died_on is not None and day > died_on:
        raise Conflict(f"探访日期晚于服务对象死亡日期 {died_on}", reason="after_death")


def next_due(base: date, every_days: int) -> date:
    return base + timedelta(days=every_days)


def moves_schedule(last_visit_on: date | None, day: date) -> bool:
    """A visit moves the schedule on unless an older visit is recorded late."""
    return last_visit_on is None or day >= last_visit_on
