"""Visit schedules, visits and overdue visits."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.args import require_date, require_text
from doudi_common.ids import (
    division_prefix,
    mask_id_number,
    validate_id_number,
)

from doudi_services_log.domain import visits as visit_rules
from doudi_services_log.domain.records import (
    parse_provider,
)
from doudi_services_log.models import (
    schedules,
    visits,
)
from doudi_services_log.schemas import iso
from doudi_services_log.store.shared import (
    _new_id,
    death_of,
    paginate,
    person_division,
    person_name,
)

# -- visits --------------------------------------------------------------------------------

def dump_schedule(session, r, today: date) -> dict:
    return {"id_number": r["id_number"], "id_number_masked": mask_id_number(r["id_number"]),
            "name": person_name(session, r["id_number"]), "division_code": r["division_code"],
            "kind": r["kind"], "every_days": r["every_days"], "start_on": iso(r["start_on"]),
            "last_visit_on": iso(r["last_visit_on"]), "next_due_on": iso(r["next_due_on"]),
            "overdue": r["active"] and r["next_due_on"] < today, "active": r["active"],
            "overdue_notified_on": iso(r["overdue_notified_on"])}


def set_visit_schedule(session, now, *, id_number, every_days, kind, by, division_code=None,
                       start_on=None) -> dict:
    id_number = validate_id_number(id_number)
    visit_rules.check_kind(kind)
    every_days = visit_rules.check_interval(every_days)
    by = require_text(by, "by", 100)
    visit_rules.check_schedulable(death_of(session, id_number))
    division = person_division(session, id_number, division_code)
    start = require_date(start_on, "start_on") if start_on is not None else now.date()
    key = (schedules.c.id_number == id_number, schedules.c.kind == kind)
    row = session.execute(sa.select(schedules).where(*key)).first()
    base = row.last_visit_on if row is not None and row.last_visit_on else start
    values = {"division_code": division, "every_days": every_days, "start_on": start,
              "next_due_on": visit_rules.next_due(base, every_days), "active": True,
              "updated_by": by, "updated_at": now, "overdue_notified_on": None}
    if row is None:
        session.execute(sa.insert(schedules).values(id_number=id_number, kind=kind, **values))
    else:
        session.execute(sa.update(schedules).where(*key).values(**values))
    r = session.execute(sa.select(schedules).where(*key)).first()
    return dump_schedule(session, r._mapping, now.date())


def record_visit(session, now, *, id_number, visited_on, visitor, content, by,
                 kind="regular") -> dict:
    id_number = validate_id_number(id_number)
    visit_rules.check_kind(kind)
    day = require_date(visited_on, "visited_on")
    visit_rules.check_visit_day(day, now.date(), death_of(session, id_number))
    who = parse_provider(visitor)
    content = require_text(content, "content", 2000)
    by = require_text(by, "by", 100)
    division = person_division(session, id_number)
    visit_id = _new_id("VS")
    session.execute(sa.insert(visits).values(
        visit_id=visit_id, id_number=id_number, division_code=division, kind=kind,
        visited_on=day, visitor=who.as_dict(), content=content, recorded_by=by,
        recorded_at=now))
    key = (schedules.c.id_number == id_number, schedules.c.kind == kind)
    row = session.execute(sa.select(schedules).where(*key)).first()
    if row is not None and visit_rules.moves_schedule(row.last_visit_on, day):
        session.execute(sa.update(schedules).where(*key).values(
            last_visit_on=day, next_due_on=visit_rules.next_due(day, row.every_days),
            overdue_notified_on=None, updated_at=now, updated_by=by))
    return {"visit_id": visit_id, "id_number": id_number, "kind": kind,
            "visited_on": day.isoformat(), "visitor": who.as_dict(), "content": content,
            "recorded_by": by, "recorded_at": now.isoformat()}


def list_visits(session, *, id_number, page=1, per_page=50) -> dict:
    id_number = validate_id_number(id_number)
    q = sa.select(visits).where(visits.c.id_number == id_number)
    return paginate(session, q, [visits.c.visited_on.desc(), visits.c.id.desc()], page,
                    per_page, lambda r: {
                        "visit_id": r["visit_id"], "id_number": r["id_number"],
                        "kind": r["kind"], "visited_on": iso(r["visited_on"]),
                        "visitor": r["visitor"], "content": r["content"],
                        "recorded_by": r["recorded_by"], "recorded_at": iso(r["recorded_at"])})


def list_overdue_visits(session, now, *, division_code, page=1, per_page=50) -> dict:
    today = now.date()
    q = sa.select(schedules).where(
        schedules.c.division_code.like(division_prefix(division_code) + "%"),
        schedules.c.active.is_(True), schedules.c.next_due_on < today)
    return paginate(session, q, [schedules.c.next_due_on, schedules.c.id_number], page,
                    per_page, lambda r: dump_schedule(session, r, today))


def notify_overdue_visits(uow, now, limit: int = 500) -> int:
    session = uow.session
    today = now.date()
    rows = session.execute(sa.select(schedules).where(
        schedules.c.active.is_(True), schedules.c.next_due_on < today,
        sa.or_(schedules.c.overdue_notified_on.is_(None),
               schedules.c.overdue_notified_on != schedules.c.next_due_on))
        .order_by(schedules.c.next_due_on).limit(limit).with_for_update(skip_locked=True)).all()
    for r in rows:
        uow.outbox.add("visit.overdue", {
            "id_number": r.id_number, "division_code": r.division_code,
            "due_on": r.next_due_on, "last_visit_on": r.last_visit_on},
            division_code=r.division_code, key=r.id_number)
        session.execute(sa.update(schedules).where(
            schedules.c.id_number == r.id_number, schedules.c.kind == r.kind)
            .values(overdue_notified_on=r.next_due_on))
    return len(rows)
