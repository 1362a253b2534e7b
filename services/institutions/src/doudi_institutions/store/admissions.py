"""Enrolments from eligibility, admission requests, and the infections that bar admission."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.queries import dialect_insert

from doudi_institutions.models import (
    admission_requests,
    enrolments,
    infections,
    placements,
)


def upsert_enrolment(session, data: dict) -> None:
    values = {"id_number": data["id_number"], "division_code": data["division_code"],
              "county_code": data["division_code"][:6], "care_mode": data["care_mode"],
              "tekun": "tekun" in data["hardship"],
              "incapacity_level": data["incapacity_level"],
              "started_on": data["started_on"]}
    session.execute(dialect_insert(session, enrolments).values(enrolment_id=data["enrolment_id"],
                                                               **values)
                    .on_conflict_do_update(index_elements=["enrolment_id"], set_=values))


def update_enrolment(session, enrolment_id, **values) -> None:
    session.execute(sa.update(enrolments).where(enrolments.c.enrolment_id == enrolment_id)
                    .values(**values))


def enrolment_admitted(session, enrolment_id) -> bool:
    return session.execute(sa.select(admission_requests.c.id).where(
        admission_requests.c.enrolment_id == enrolment_id,
        admission_requests.c.status == "admitted")).first() is not None


def insert_admission_request(session, **values) -> None:
    values.setdefault("received_at", utcnow())
    session.execute(sa.insert(admission_requests).values(**values))


def latest_centralised_request(session, id_number: str):
    """The person's latest admission request under a running centralised enrolment,
    with the enrolment's start, care level and division."""
    return session.execute(
        sa.select(admission_requests, enrolments.c.started_on,
                  enrolments.c.incapacity_level, enrolments.c.division_code)
        .join(enrolments, enrolments.c.enrolment_id == admission_requests.c.enrolment_id)
        .where(admission_requests.c.id_number == id_number,
               enrolments.c.ended_on.is_(None), enrolments.c.care_mode == "centralized")
        .order_by(admission_requests.c.id.desc()).limit(1)).first()


def mark_pending_admitted(session, enrolment_id, placement_id: int, uscc: str) -> None:
    session.execute(sa.update(admission_requests).where(
        admission_requests.c.enrolment_id == enrolment_id,
        admission_requests.c.status == "pending").values(
        status="admitted", placement_id=placement_id, institution_uscc=uscc))


def admission_requests_query(status=None, uscc=None):
    query = sa.select(admission_requests).order_by(admission_requests.c.id)
    if status:
        query = query.where(admission_requests.c.status == status)
    if uscc:
        query = query.where(admission_requests.c.institution_uscc == uscc)
    return query


def count_tekun_needing_care(session, county: str) -> tuple[int, int]:
    """(tekun people with a running enrolment in the county, of them in an open placement)."""
    needing = sa.select(enrolments.c.id_number).where(
        enrolments.c.county_code == county, enrolments.c.tekun.is_(True),
        enrolments.c.ended_on.is_(None)).distinct()
    need = session.execute(sa.select(sa.func.count()).select_from(needing.subquery())
                           ).scalar_one()
    placed = session.execute(sa.select(sa.func.count(sa.distinct(placements.c.id_number)))
                             .where(placements.c.status == "open",
                                    placements.c.id_number.in_(needing))).scalar_one()
    return need, placed


def insert_infection(session, id_number: str, disease_code, on) -> None:
    session.execute(sa.insert(infections).values(
        id_number=id_number, disease_code=disease_code, flagged_on=on))


def clear_infection(session, id_number: str, disease_code, on) -> None:
    session.execute(sa.update(infections).where(
        infections.c.id_number == id_number, infections.c.disease_code == disease_code,
        infections.c.cleared_on.is_(None)).values(cleared_on=on))


def infection_open(session, id_number: str) -> bool:
    return session.execute(sa.select(infections.c.id).where(
        infections.c.id_number == id_number, infections.c.cleared_on.is_(None))
    ).first() is not None
