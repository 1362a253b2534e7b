"""The institution register: institutions, status and grade history, bed counts, merges."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound

from doudi_institutions.models import (
    beds,
    grade_history,
    institutions,
    merges,
    placements,
    status_history,
)
from doudi_institutions.store.shared import in_division


def institution_by_uscc(session, code: str, lock: bool = False) -> dict:
    query = sa.select(institutions).where(institutions.c.uscc == code)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        raise NotFound("未找到该机构", resource="institution", uscc=code)
    return dict(row._mapping)


def institution_by_id(session, pk: int) -> dict:
    return dict(session.execute(sa.select(institutions).where(institutions.c.id == pk))
                .first()._mapping)


def uscc_registered(session, code: str) -> bool:
    return session.execute(sa.select(institutions.c.id).where(institutions.c.uscc == code)
                           ).first() is not None


def insert_institution(session, *, status: str, registered_on: date, **values) -> int:
    """A new institution and the first line of its status history."""
    now = utcnow()
    pk = session.execute(sa.insert(institutions).values(
        registered_on=registered_on, status=status, created_at=now, updated_at=now, **values)
        .returning(institutions.c.id)).scalar_one()
    session.execute(sa.insert(status_history).values(
        institution_id=pk, status=status, on=registered_on, reason="登记", recorded_at=now))
    return pk


def update_institution(session, inst_id: int, **values) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(updated_at=utcnow(), **values))


def record_status(session, inst_id: int, status: str, on: date, reason: str | None) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(status=status, updated_at=utcnow()))
    session.execute(sa.insert(status_history).values(
        institution_id=inst_id, status=status, on=on, reason=reason, recorded_at=utcnow()))


def record_grade(session, inst_id: int, grade: int, assessed_on: date) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(grade=grade, graded_on=assessed_on, updated_at=utcnow()))
    session.execute(sa.insert(grade_history).values(
        institution_id=inst_id, grade=grade, assessed_on=assessed_on, recorded_at=utcnow()))


def bed_counts(session, inst_id: int) -> dict:
    total = session.execute(sa.select(sa.func.count()).select_from(beds).where(
        beds.c.institution_id == inst_id, beds.c.out_of_service.is_(False))).scalar_one()
    occupied = session.execute(sa.select(sa.func.count()).select_from(placements).where(
        placements.c.institution_id == inst_id, placements.c.status == "open")
    ).scalar_one()
    return {"capacity": total, "occupied": occupied}


def households_at(session, inst_id: int) -> int:
    """Households living at a site: the rooms (dwellings) with an open placement —
    a co-housing site gives each household its own dwelling (puyang-2020 §四(三)
    每户平均2间住房), registered as one room."""
    return session.execute(
        sa.select(sa.func.count(sa.distinct(beds.c.room_id)))
        .select_from(placements.join(beds, beds.c.id == placements.c.bed_id))
        .where(placements.c.institution_id == inst_id, placements.c.status == "open")
    ).scalar_one()


def status_history_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(status_history.c.status, status_history.c.on, status_history.c.reason)
        .where(status_history.c.institution_id == inst_id)
        .order_by(status_history.c.id)).all()]


def grade_history_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(grade_history.c.grade, grade_history.c.assessed_on)
        .where(grade_history.c.institution_id == inst_id)
        .order_by(grade_history.c.id)).all()]


def institutions_query(division_code=None, kind=None, status=None):
    query = in_division(sa.select(institutions).order_by(institutions.c.id), division_code)
    if kind:
        query = query.where(institutions.c.kind == kind)
    if status:
        query = query.where(institutions.c.status == status)
    return query


def institutions_in_states(session, states, division_code=None) -> list[dict]:
    query = sa.select(institutions).where(institutions.c.status.in_(states)) \
        .order_by(institutions.c.id)
    return [dict(r._mapping) for r in session.execute(in_division(query, division_code)).all()]


def county_homes(session, county: str, states) -> list[dict]:
    """The county's tekun homes in ``states``, oldest first."""
    return [dict(r._mapping) for r in session.execute(sa.select(institutions).where(
        institutions.c.county_code == county, institutions.c.kind == "tekun_home",
        institutions.c.status.in_(states)).order_by(institutions.c.id)).all()]


def county_institutions(session, county: str) -> list[dict]:
    """The county's institutions that are not closed."""
    return [dict(r._mapping) for r in session.execute(sa.select(institutions).where(
        institutions.c.county_code == county, institutions.c.status != "closed")).all()]


def insert_merge(session, source_id: int, target_id: int, on: date, moved: int,
                 staying: int) -> None:
    session.execute(sa.insert(merges).values(
        source_id=source_id, target_id=target_id, on=on, moved=moved, staying=staying,
        recorded_at=utcnow()))
