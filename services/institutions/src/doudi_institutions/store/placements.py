"""Placements: admissions, discharges, transfers, hospital stays, care levels, consents."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import Conflict, NotFound
from doudi_common.queries import dialect_insert

from doudi_institutions.models import (
    absences,
    beds,
    care_level_changes,
    consents,
    infections,
    institutions,
    placements,
    rooms,
)
from doudi_institutions.store.shared import in_division


def institution_for_admission(session, uscc: str, id_number: str) -> tuple[dict, bool, bool]:
    """The institution (locked ``FOR UPDATE`` on PostgreSQL: admissions to one
    home queue for its beds), whether the person has an open placement and
    whether an infection of theirs is not yet cleared — one round trip. The
    two checks read the statement's snapshot, taken before any wait for the
    lock: a placement of the same person committed by the admission waited for
    is refused by the unique index when this one inserts (409 already_placed)."""
    placed = sa.exists().where(placements.c.id_number == id_number,
                               placements.c.status == "open")
    infected = sa.exists().where(infections.c.id_number == id_number,
                                 infections.c.cleared_on.is_(None))
    query = sa.select(institutions, placed.label("_placed"), infected.label("_infected")
                      ).where(institutions.c.uscc == uscc)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=institutions)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("未找到该机构", resource="institution", uscc=uscc)
    inst = dict(row._mapping)
    return inst, bool(inst.pop("_placed")), bool(inst.pop("_infected"))


def open_placement_for(session, id_number: str) -> dict | None:
    row = session.execute(sa.select(placements).where(
        placements.c.id_number == id_number, placements.c.status == "open")).first()
    return dict(row._mapping) if row else None


def placement_row(session, pk: int) -> dict:
    row = session.execute(sa.select(placements).where(placements.c.id == pk)).first()
    if row is None:
        raise NotFound("未找到该入住记录", resource="placement")
    return dict(row._mapping)


def insert_placement(session, *, care_level: str, admitted_on: date, **values) -> dict:
    """An open placement and its first care level, as its row; ``Conflict`` when
    the person or the bed is taken meanwhile (the unique indexes: the insert does
    nothing and returns no row, so no savepoint is needed)."""
    row = session.execute(dialect_insert(session, placements).values(
        care_level=care_level, status="open", admitted_on=admitted_on,
        created_at=utcnow(), **values).on_conflict_do_nothing()
        .returning(*placements.c)).first()
    if row is None:
        raise Conflict("该人员已入住或床位已被占用", reason="already_placed")
    session.execute(sa.insert(care_level_changes).values(
        placement_id=row.id, care_level=care_level, from_on=admitted_on, source="admission",
        recorded_at=utcnow()))
    return dict(row._mapping)


def close_placement(session, pk: int, on: date, reason: str, note) -> None:
    """Close a placement and any absence still open on ``on``."""
    session.execute(sa.update(placements).where(placements.c.id == pk).values(
        status="closed", discharged_on=on, discharge_reason=reason, discharge_note=note))
    session.execute(sa.update(absences).where(
        absences.c.placement_id == pk, absences.c.ended_on.is_(None)).values(ended_on=on))


def update_placement(session, pk: int, **values) -> None:
    session.execute(sa.update(placements).where(placements.c.id == pk).values(**values))


def placements_query():
    """Placements with institution, bed number and room type."""
    query = (sa.select(placements, institutions.c.uscc, institutions.c.name.label(
        "institution_name"), beds.c.bed_no, rooms.c.room_type)
             .join(institutions, institutions.c.id == placements.c.institution_id)
             .outerjoin(beds, beds.c.id == placements.c.bed_id)
             .outerjoin(rooms, rooms.c.id == beds.c.room_id))
    return query


def list_placements_query(uscc=None, id_number=None, status=None, division_code=None,
                          active_between: tuple[date, date] | None = None):
    query = in_division(placements_query().order_by(placements.c.id), division_code)
    if active_between:
        first, last = active_between
        query = query.where(placements.c.admitted_on <= last,
                            sa.or_(placements.c.discharged_on.is_(None),
                                   placements.c.discharged_on >= first))
    if uscc:
        query = query.where(institutions.c.uscc == uscc)
    if id_number:
        query = query.where(placements.c.id_number == id_number)
    if status:
        query = query.where(placements.c.status == status)
    return query


def placement_joined(session, pk: int) -> dict | None:
    row = session.execute(placements_query().where(placements.c.id == pk)).first()
    return dict(row._mapping) if row else None


def open_placements_in(session, inst_ids) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(placements).where(
        placements.c.institution_id.in_(list(inst_ids)), placements.c.status == "open")
        .order_by(placements.c.id)).all()]


def absences_of(session, placement_id: int) -> list[dict]:
    return [dict(a._mapping) for a in session.execute(
        sa.select(absences).where(absences.c.placement_id == placement_id)
        .order_by(absences.c.id)).all()]


def start_hospital_stay(session, placement_id: int, hospital_uscc, on) -> None:
    session.execute(sa.insert(absences).values(
        placement_id=placement_id, kind="hospital", hospital_uscc=hospital_uscc,
        started_on=on))


def end_hospital_stay(session, placement_id: int, on) -> None:
    session.execute(sa.update(absences).where(
        absences.c.placement_id == placement_id, absences.c.kind == "hospital",
        absences.c.ended_on.is_(None)).values(ended_on=on))


def latest_care_level_change(session, placement_id: int) -> date | None:
    return session.execute(sa.select(sa.func.max(care_level_changes.c.from_on)).where(
        care_level_changes.c.placement_id == placement_id)).scalar_one()


def insert_care_level_change(session, placement_id: int, care_level: str, from_on: date,
                             source: str) -> None:
    """A care level from ``from_on``, also made the placement's current one."""
    session.execute(sa.insert(care_level_changes).values(
        placement_id=placement_id, care_level=care_level, from_on=from_on, source=source,
        recorded_at=utcnow()))
    session.execute(sa.update(placements).where(placements.c.id == placement_id)
                    .values(care_level=care_level))


def care_level_changes_of(session, placement_id: int) -> list[tuple[date, str]]:
    return [(r.from_on, r.care_level) for r in session.execute(
        sa.select(care_level_changes).where(care_level_changes.c.placement_id == placement_id)
        .order_by(care_level_changes.c.id)).all()]


def insert_consent(session, id_number: str, inst_id: int, given: bool, recorded_on: date,
                   recorded_by=None, note=None) -> int:
    return session.execute(sa.insert(consents).values(
        id_number=id_number, to_institution_id=inst_id, given=given, recorded_on=recorded_on,
        recorded_by=recorded_by, note=note, recorded_at=utcnow())
        .returning(consents.c.id)).scalar_one()


def latest_consent(session, id_number: str, inst_id: int) -> bool | None:
    row = session.execute(sa.select(consents.c.given).where(
        consents.c.id_number == id_number, consents.c.to_institution_id == inst_id)
        .order_by(consents.c.recorded_on.desc(), consents.c.id.desc()).limit(1)).first()
    return None if row is None else row.given
