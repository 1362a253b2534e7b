"""Rules of the register: status transitions, grades, names, jurisdiction of
registration, staff counts and ratios, designation agreements.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid

from doudi_institutions.domain.vocab import TRANSITIONS

# -- registry ----------------------------------------------------------------------


def check_transition(current: str, new: str) -> None:
    if new == current:
        raise Conflict(f"机构已是该状态（{current}）", reason="same_status", status=current)
    if new not in TRANSITIONS.get(current, set()):
        raise Conflict(f"机构状态不能从 {current} 变为 {new}", reason="bad_transition",
                       status=current, to=new)


def check_grade(grade: Any) -> int:
    if not isinstance(grade, int) or isinstance(grade, bool) or not 1 <= grade <= 5:
        raise Invalid("等级应为 1–5（养老机构等级划分与评定）", field="grade", reason="bad_grade")
    return grade


# -- registry checks ------------------------------------------------------------------------


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("机构名称必填（100字以内）", field="name", reason="bad_name")
    return name.strip()


def check_county_or_below(division: str) -> str:
    if len(division) == 6 and division[4:] == "00":
        raise Invalid("机构所在地应为县级或以下区划", field="division_code",
                      reason="not_county")
    return division


def check_staff_counts(counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Invalid("人数应为非负整数", field=key, reason="bad_count")


def carers_per_resident(carers: int, residents: int) -> str | None:
    return None if residents == 0 else f"{carers / residents:.2f}"


def designation_status(newest_first: list[dict[str, Any]], on: date) -> dict[str, Any] | None:
    """The medical-insurance designation to show on ``on``: the active signed one,
    else the newest, with its state."""
    active = [d for d in newest_first if d["status"] == "signed" and
              d["valid_from"] <= on <= d["valid_until"]]
    chosen = active[0] if active else (newest_first[0] if newest_first else None)
    if chosen is None:
        return None
    state = "active" if active else ("terminated" if chosen["status"] == "terminated"
                                     else "expired" if chosen["valid_until"] < on
                                     else "not_yet_valid")
    return {"agreement_no": chosen["agreement_no"], "valid_from": chosen["valid_from"],
            "valid_until": chosen["valid_until"], "status": state}


def check_period(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise Invalid("有效期止不能早于起", field="valid_until", reason="bad_period")


def check_not_registered(registered: bool, uscc: str) -> None:
    """One register entry per unified social credit code."""
    if registered:
        raise Conflict("该统一社会信用代码已登记", reason="exists", uscc=uscc)


def check_updatable(changes: dict[str, Any], updatable: Any) -> dict[str, Any]:
    unknown = set(changes) - set(updatable)
    if unknown:
        raise Invalid("不可修改的字段", reason="unknown_fields", unknown=sorted(unknown))
    return dict(changes)


def check_can_close(status: str, occupied: int) -> None:
    """An institution with residents is not closed (they are moved first)."""
    if status == "closed" and occupied:
        raise Conflict("机构仍有在住人员，不能关闭", reason="has_residents")


def check_merge(source: dict[str, Any], target: dict[str, Any]) -> None:
    """hangzhou-2024: residents move into an open institution; a closed one is
    not merged again."""
    if source["id"] == target["id"]:
        raise Invalid("不能合并到自身", field="target_uscc", reason="same_institution")
    if target["status"] != "open":
        raise Conflict("接收机构未开放", reason="institution_not_open")
    if source["status"] == "closed":
        raise Conflict("原机构已撤并关闭", reason="closed")
