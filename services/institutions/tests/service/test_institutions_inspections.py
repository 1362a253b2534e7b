"""Inspections (hangzhou-2024 §五(四)): monthly fire/food patrols, yearly fund
and policy inspection, findings with rectification and sign-off, and the
``inspection.overdue`` raised by a controllable clock."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from doudi_common.clock import clock_of
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.fixtures import count_rows, db_engine
from doudi_institutions.testing import open_home


def overdue_events(container):
    with db_engine(container).connect() as conn:
        rows = conn.execute(sa.text("SELECT envelope FROM outbox WHERE event_type = "
                                    "'inspection.overdue' ORDER BY seq")).scalars().all()
    return [json.loads(r)["data"] for r in rows]


def test_record_inspection_with_findings(institutions):
    container, rpc = institutions
    home = open_home(rpc)
    with pytest.raises(Invalid):
        rpc.record_inspection(uscc=home, kind="fire_safety", inspected_on="2026-03-01",
                              result="rectification_required")
    with pytest.raises(Invalid):
        rpc.record_inspection(uscc=home, kind="fire_safety", inspected_on="2026-03-09",
                              result="passed")      # in the future
    view = rpc.record_inspection(
        uscc=home, kind="fire_safety", inspected_on="2026-03-01", inspector="王科长",
        result="rectification_required",
        findings=[{"severity": "major", "description": "二楼安全出口堆放杂物",
                   "rectify_by": "2026-03-08"}])
    assert view["inspection_id"].startswith("INS-")
    assert view["findings"][0]["overdue"] is False
    assert count_rows(container, "outbox", event_type="inspection.recorded") == 1
    rpc.update_inspection(inspection_id=view["inspection_id"], notes="复查时间另行通知")
    listed = rpc.list_inspections(uscc=home, kind="fire_safety")
    assert listed["total"] == 1 and listed["items"][0]["notes"] == "复查时间另行通知"
    fid = view["findings"][0]["finding_id"]
    done = rpc.rectify_finding(finding_id=fid, rectified_on="2026-03-02", signed_off_by="王科长")
    assert done["findings"][0]["rectified_on"] == "2026-03-02"
    with pytest.raises(Conflict):
        rpc.rectify_finding(finding_id=fid, rectified_on="2026-03-02", signed_off_by="王科长")


def test_overdue_patrol_and_finding_raised_once(institutions):
    container, rpc = institutions
    home = open_home(rpc)                      # opened 2026-01-01
    clock = clock_of(container)
    clock.set(date(2026, 1, 20))
    rpc.record_inspection(uscc=home, kind="fire_safety", inspected_on="2026-01-20",
                          result="rectification_required",
                          findings=[{"severity": "minor", "description": "灭火器过期",
                                     "rectify_by": "2026-01-31"}])
    rpc.record_inspection(uscc=home, kind="food_safety", inspected_on="2026-01-20",
                          result="passed")
    rpc.record_inspection(uscc=home, kind="fund_policy", inspected_on="2026-01-20",
                          result="passed")
    assert rpc.run_deadline_checks()["overdue_raised"] == 0
    clock.set(date(2026, 2, 1))                # finding's deadline passed, not rectified
    assert rpc.run_deadline_checks()["overdue_raised"] == 1
    assert overdue_events(container)[0] == {
        "institution_uscc": home, "kind": "fire_safety", "due_on": "2026-01-31",
        "last_inspected_on": "2026-01-20"}
    clock.set(date(2026, 2, 20))
    rpc.record_inspection(uscc=home, kind="food_safety", inspected_on="2026-02-19",
                          result="passed")
    clock.set(date(2026, 2, 21))               # fire patrol was due 2026-02-20
    assert rpc.run_deadline_checks()["overdue_raised"] == 1
    assert rpc.run_deadline_checks()["overdue_raised"] == 0   # once per due date
    assert overdue_events(container)[1]["kind"] == "fire_safety"
    assert overdue_events(container)[1]["due_on"] == "2026-02-20"
    overdue = rpc.list_overdue()
    assert {(o["what"], o["kind"]) for o in overdue["items"]} == {
        ("finding", "fire_safety"), ("patrol", "fire_safety")}
    schedule = {s["kind"]: s for s in rpc.inspection_schedule(uscc=home)}
    assert schedule["fund_policy"]["due_on"] == "2027-01-20"
    assert schedule["food_safety"]["overdue"] is False


def test_timer_entrypoint_exists(institutions):
    container, _ = institutions
    from doudi_common.entrypoints import Timer
    timers = [e for e in container.entrypoints if isinstance(e, Timer)]
    assert [t.method_name for t in timers] == ["deadlines"]
