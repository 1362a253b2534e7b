"""Inspection schedules and findings (hangzhou-2024 §五(四)).

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid

from doudi_institutions.domain.inputs import as_date, choice
from doudi_institutions.domain.vocab import SEVERITIES

# -- inspections (hangzhou-2024 §五(四)) --------------------------------------------------

#: months between inspections of each scheduled kind
SCHEDULE = {"fire_safety": 1, "food_safety": 1, "fund_policy": 12}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(kind: str, last_inspected: date | None, since: date) -> date:
    """When the next inspection of ``kind`` is due: one period after the last one,
    or one period after ``since`` (opening/registration) when there was none."""
    return add_months(last_inspected or since, SCHEDULE[kind])


def is_overdue(due: date, today: date) -> bool:
    return today > due


# -- inspections input -----------------------------------------------------------------------


def check_finding(f: Any, inspected_on: date) -> date:
    """A finding's shape; returns its rectification deadline."""
    if not isinstance(f, dict):
        raise Invalid("问题格式错误", field="findings", reason="bad_finding")
    choice(f.get("severity"), SEVERITIES, "severity")
    if not f.get("description"):
        raise Invalid("请描述发现的问题", field="description", reason="missing")
    by = as_date(f.get("rectify_by"), "rectify_by")
    if by < inspected_on:
        raise Invalid("整改期限不能早于检查日期", field="rectify_by", reason="bad_date")
    return by


def check_findings_given(result: str, findings: list[Any]) -> None:
    """A result that requires rectification lists the problems and deadlines."""
    if result == "rectification_required" and not findings:
        raise Invalid("需要整改时必须列出问题和整改期限", field="findings", reason="missing")


def check_not_rectified(rectified_on: Any) -> None:
    if rectified_on is not None:
        raise Conflict("该问题已整改销号", reason="already_rectified")
