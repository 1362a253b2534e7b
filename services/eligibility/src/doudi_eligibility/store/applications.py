"""Applications, their steps, and the applications a public notice lists."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.ids import division_prefix
from doudi_common.queries import fetch_page, row_by
from doudi_common.serialize import to_jsonable

from doudi_eligibility.domain.application import OPEN_STATES
from doudi_eligibility.models import application_steps, applications, enrolments, persons

_WITH_NAME = sa.select(applications, persons.c.name).join(
    persons, persons.c.id_number == applications.c.id_number)


def open_application(session, id_number: str, care_mode: str) -> str | None:
    """The person's open (or approved) application for ``care_mode``, if any."""
    row = session.execute(sa.select(applications.c.application_id).where(
        applications.c.id_number == id_number, applications.c.care_mode == care_mode,
        applications.c.state.in_(OPEN_STATES + ("approved",)))).first()
    return row.application_id if row is not None else None


def active_enrolment(session, id_number: str, care_mode: str) -> str | None:
    row = session.execute(sa.select(enrolments.c.enrolment_id).where(
        enrolments.c.id_number == id_number, enrolments.c.care_mode == care_mode,
        enrolments.c.status == "active")).first()
    return row.enrolment_id if row is not None else None


def insert_application(session, **values: Any) -> None:
    now = utcnow()
    session.execute(sa.insert(applications).values(created_at=now, updated_at=now, **values))


def application_row(session, application_id: str, lock: bool = False) -> dict:
    row = row_by(session, applications.c.application_id, application_id, lock=lock)
    if row is None:
        raise NotFound("申请不存在", resource="application", application_id=application_id)
    return row


def application_with_name(session, application_id: str) -> dict:
    row = session.execute(_WITH_NAME.where(applications.c.application_id == application_id)
                          ).first()
    if row is None:
        raise NotFound("申请不存在", resource="application", application_id=application_id)
    return dict(row._mapping)


def update_application(session, application_id: str, **values: Any) -> None:
    session.execute(sa.update(applications)
                    .where(applications.c.application_id == application_id)
                    .values(updated_at=utcnow(), **values))


def open_or_approved_of(session, id_number: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(applications).where(
        applications.c.id_number == id_number,
        applications.c.state.in_(OPEN_STATES + ("approved",)))).all()]


def add_step(session, application_id: str, action: str, from_state: str | None,
             to_state: str, actor: str, role: str, on_date: date, comment: str | None,
             data: dict | None) -> None:
    session.execute(sa.insert(application_steps).values(
        application_id=application_id, action=action, from_state=from_state,
        to_state=to_state, actor=actor, role=role, on_date=on_date, at=utcnow(),
        comment=comment, data=to_jsonable(data or {})))


def steps_of(session, application_id: str) -> list[dict]:
    return [dict(s._mapping) for s in session.execute(
        sa.select(application_steps)
        .where(application_steps.c.application_id == application_id)
        .order_by(application_steps.c.id)).all()]


def list_applications(session, *, statuses: list[str] | None, division_prefix_: str | None,
                      date_from: date | None, date_to: date | None, policy_pack: str | None,
                      id_number: str | None, page: int, per_page: int
                      ) -> tuple[list[dict], int]:
    conds = []
    if statuses:
        conds.append(applications.c.state.in_(statuses))
    if division_prefix_:
        conds.append(applications.c.division_code.like(
            f"{division_prefix(division_prefix_)}%"))
    if date_from:
        conds.append(applications.c.submitted_on >= date_from)
    if date_to:
        conds.append(applications.c.submitted_on <= date_to)
    if policy_pack:
        conds.append(applications.c.policy_pack == policy_pack)
    if id_number:
        conds.append(applications.c.id_number == id_number)
    return fetch_page(session, _WITH_NAME.where(*conds).order_by(
        applications.c.submitted_on, applications.c.application_id), page, per_page)


def _notice_query(code: str, start: date, end: date):
    return (_WITH_NAME
            .where(applications.c.division_code.like(f"{code}%"),
                   applications.c.state.in_(("in_notice", "approved", "enrolled")),
                   applications.c.approved_on >= start, applications.c.approved_on <= end)
            .order_by(applications.c.approved_on, applications.c.application_id))


def notice_page(session, code: str, start: date, end: date, page: int,
                per_page: int) -> tuple[list[dict], int]:
    """Applications approved in the period in the division ``code`` (a page)."""
    return fetch_page(session, _notice_query(code, start, end), page, per_page)
