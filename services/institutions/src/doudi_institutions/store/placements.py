"""Placements: admissions, discharges, transfers, hospital stays, care levels, consents."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.queries import built_once, dialect_insert_of

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
from doudi_institutions.store.beds import beds_query, free_bed_query
from doudi_institutions.store.shared import in_division


@built_once
def _admission_query(dialect: str, by_number: bool):
    uscc = sa.bindparam("uscc")
    inst_id = sa.select(institutions.c.id).where(institutions.c.uscc == uscc).scalar_subquery()
    bed = (beds_query(inst_id).where(beds.c.bed_no == sa.bindparam("bed_no")) if by_number
           else free_bed_query(inst_id)).subquery("bed")
    placed = sa.exists().where(placements.c.id_number == sa.bindparam("id_number"),
                               placements.c.status == "open")
    infected = sa.exists().where(infections.c.id_number == sa.bindparam("id_number"),
                                 infections.c.cleared_on.is_(None))
    query = (sa.select(institutions, placed.label("_placed"), infected.label("_infected"),
                       *[c.label(f"_bed_{c.key}") for c in bed.c])
             .select_from(institutions.outerjoin(bed, sa.true()))
             .where(institutions.c.uscc == uscc))
    return query.with_for_update(of=institutions) if dialect == "postgresql" else query


def admission_read(session, uscc: str, id_number: str, bed_no: str | None = None
                   ) -> tuple[dict, bool, bool, dict | None]:
    """What an admission decides on, in one round trip: the institution
    (locked ``FOR UPDATE`` on PostgreSQL: admissions to one home queue for its
    beds), whether the person has an open placement, whether an infection of
    theirs is not yet cleared, and the bed — the first free one, or ``bed_no``
    with its ``out_of_service`` and ``placement_pk`` (None: no such bed).

    The reads see the statement's snapshot, taken before any wait for the
    lock: what the admission waited for committed may be missing from them,
    and the insert then meets the unique indexes (``insert_placement`` returns
    None). Read again — the lock is held by then, so that read is current."""
    by_number = bed_no is not None
    row = session.execute(_admission_query(session, by_number), {
        "uscc": uscc, "id_number": id_number, **({"bed_no": str(bed_no)} if by_number else {})
    }).first()
    if row is None:
        raise NotFound("未找到该机构", resource="institution", uscc=uscc)
    inst = dict(row._mapping)
    bed = {key[len("_bed_"):]: inst.pop(key) for key in list(inst) if key.startswith("_bed_")}
    return (inst, bool(inst.pop("_placed")), bool(inst.pop("_infected")),
            bed if bed["id"] is not None else None)


def open_placement_for(session, id_number: str) -> dict | None:
    row = session.execute(sa.select(placements).where(
        placements.c.id_number == id_number, placements.c.status == "open")).first()
    return dict(row._mapping) if row else None


def placement_row(session, pk: int) -> dict:
    row = session.execute(sa.select(placements).where(placements.c.id == pk)).first()
    if row is None:
        raise NotFound("未找到该入住记录", resource="placement")
    return dict(row._mapping)


@built_once
def _placement_insert(dialect: str, columns: tuple[str, ...]):
    """The placement's insert (``columns`` bound by name, ``RETURNING`` its
    row); on PostgreSQL with its first care level inserted from that row."""
    placement = (dialect_insert_of(dialect, placements)
                 .values({c: sa.bindparam(c, type_=placements.c[c].type) for c in columns})
                 .on_conflict_do_nothing().returning(*placements.c))
    if dialect != "postgresql":
        return placement
    new = placement.cte("new_placement")
    first_level = sa.insert(care_level_changes).from_select(
        ["placement_id", "care_level", "from_on", "source", "recorded_at"],
        sa.select(new.c.id, new.c.care_level, new.c.admitted_on, sa.literal("admission"),
                  new.c.created_at))
    return sa.select(new).add_cte(first_level.cte("first_level"))


def insert_placement(session, *, care_level: str, admitted_on: date, **values) -> dict | None:
    """An open placement and its first care level, as its row; None when the
    person or the bed is taken meanwhile (the unique indexes: the insert does
    nothing and returns no row, so no savepoint is needed). On PostgreSQL one
    statement: the care level is inserted from the placement's ``RETURNING``."""
    now = utcnow()
    values = {**values, "care_level": care_level, "status": "open",
              "admitted_on": admitted_on, "created_at": now}
    row = session.execute(_placement_insert(session, tuple(sorted(values))), values).first()
    if row is None:
        return None
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(care_level_changes).values(
            placement_id=row.id, care_level=care_level, from_on=admitted_on,
            source="admission", recorded_at=now))
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
