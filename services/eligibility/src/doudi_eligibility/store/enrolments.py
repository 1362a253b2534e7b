"""Enrolments (who receives which care, since when) and their history, and
the calendar's queries: reviews due, assessments expired, hand-overs at an age."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.queries import fetch_page, row_by
from doudi_common.serialize import to_jsonable

from doudi_eligibility.models import enrolment_history, enrolments, persons


def insert_enrolment(session, **values: Any) -> None:
    now = utcnow()
    session.execute(sa.insert(enrolments).values(created_at=now, updated_at=now, **values))


def enrolment_row(session, enrolment_id: str, lock: bool = False) -> dict:
    row = row_by(session, enrolments.c.enrolment_id, enrolment_id, lock=lock)
    if row is None:
        raise NotFound("照护记录不存在", resource="enrolment", enrolment_id=enrolment_id)
    return row


def update_enrolment(session, enrolment_id: str, touch: bool = True, **values: Any) -> None:
    if touch:
        values["updated_at"] = utcnow()
    session.execute(sa.update(enrolments).where(enrolments.c.enrolment_id == enrolment_id)
                    .values(**values))


def active_of(session, id_number: str, lock: bool = False) -> list[dict]:
    """The person's active enrolments."""
    stmt = sa.select(enrolments).where(enrolments.c.id_number == id_number,
                                       enrolments.c.status == "active")
    return [dict(r._mapping) for r in session.execute(
        stmt.with_for_update() if lock else stmt).all()]


def enrolments_of(session, id_number: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(enrolments).where(enrolments.c.id_number == id_number)
        .order_by(enrolments.c.started_on, enrolments.c.enrolment_id)).all()]


def add_history(session, enrolment_id: str, kind: str, on_date: date, actor: str | None,
                data: dict) -> None:
    session.execute(sa.insert(enrolment_history).values(
        enrolment_id=enrolment_id, kind=kind, on_date=on_date, at=utcnow(), actor=actor,
        data=to_jsonable(data)))


def history_of(session, enrolment_id: str) -> list[dict]:
    return [dict(h._mapping) for h in session.execute(
        sa.select(enrolment_history)
        .where(enrolment_history.c.enrolment_id == enrolment_id)
        .order_by(enrolment_history.c.id)).all()]


# -- the calendar ------------------------------------------------------------------

def reviews_due(session, today: date) -> list[dict]:
    """Active enrolments whose annual review is due and not announced yet
    (locked; rows another worker holds are skipped)."""
    return [dict(r._mapping) for r in session.execute(sa.select(enrolments).where(
        enrolments.c.status == "active", enrolments.c.next_review_on <= today,
        sa.or_(enrolments.c.review_due_sent_for.is_(None),
               enrolments.c.review_due_sent_for != enrolments.c.next_review_on))
        .with_for_update(skip_locked=True)).all()]


def assessments_expired(session, today: date) -> list[dict]:
    """Active enrolments whose incapacity assessment expired, not announced yet."""
    return [dict(r._mapping) for r in session.execute(sa.select(enrolments).where(
        enrolments.c.status == "active", enrolments.c.assessment_valid_until < today,
        sa.or_(enrolments.c.assessment_review_sent_for.is_(None),
               enrolments.c.assessment_review_sent_for
               != enrolments.c.assessment_valid_until))
        .with_for_update(skip_locked=True)).all()]


def reaching_age(session, policy_pack: str, care_modes: tuple[str, ...],
                 born_by: date) -> dict[str, list[dict]]:
    """Active enrolments under ``policy_pack`` in ``care_modes`` of persons born
    by ``born_by``, per person (with ``birth_date``), in ID-number order."""
    rows = session.execute(
        sa.select(enrolments, persons.c.birth_date)
        .join(persons, persons.c.id_number == enrolments.c.id_number)
        .where(enrolments.c.status == "active", enrolments.c.policy_pack == policy_pack,
               enrolments.c.care_mode.in_(care_modes), persons.c.birth_date <= born_by)
        .order_by(enrolments.c.id_number).with_for_update(skip_locked=True)).all()
    by_person: dict[str, list[dict]] = {}
    for r in rows:
        by_person.setdefault(r.id_number, []).append(dict(r._mapping))
    return by_person


def standing_page(session, code: str, packs: tuple[str, ...], page: int,
                  per_page: int) -> tuple[list[dict], int]:
    """Current recipients (active enrolments) in the division ``code`` under
    ``packs``, by village then name: the standing public list (a page)."""
    stmt = (sa.select(enrolments, persons.c.name)
            .join(persons, persons.c.id_number == enrolments.c.id_number)
            .where(enrolments.c.division_code.like(f"{code}%"),
                   enrolments.c.status == "active", enrolments.c.policy_pack.in_(packs))
            .order_by(enrolments.c.division_code, persons.c.name, enrolments.c.enrolment_id))
    return fetch_page(session, stmt, page, per_page)
