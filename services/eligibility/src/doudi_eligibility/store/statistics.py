"""The rows the caseload statistics are made of (one division prefix, one month)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from doudi_eligibility.domain.application import OPEN_STATES
from doudi_eligibility.models import application_steps, applications, decisions, enrolments, persons


def counts(session, prefix: str) -> dict[str, int]:
    """Living persons registered in the division, and those currently eligible."""
    alive = [persons.c.division_code.like(f"{prefix}%"), persons.c.deceased_on.is_(None)]
    registered = session.execute(sa.select(sa.func.count()).select_from(persons)
                                 .where(*alive)).scalar_one()
    eligible = session.execute(sa.select(sa.func.count()).select_from(
        persons.join(decisions, decisions.c.id_number == persons.c.id_number))
        .where(*alive, decisions.c.eligible.is_(True))).scalar_one()
    return {"registered": int(registered), "eligible": int(eligible)}


def enrolments_touching(session, prefix: str, first: date, last: date) -> list[dict[str, Any]]:
    e = enrolments.c
    rows = session.execute(sa.select(e.care_mode, e.hardship, e.started_on, e.ended_on,
                                     e.end_reason, e.next_review_on, e.status).where(
        e.division_code.like(f"{prefix}%"), e.started_on <= last,
        sa.or_(e.ended_on.is_(None), e.ended_on >= first))).all()
    return [dict(r._mapping) for r in rows]


def open_applications(session, prefix: str) -> list[dict[str, Any]]:
    """Each open application's state and the day it reached it (its last step)."""
    last_step = sa.select(sa.func.max(application_steps.c.on_date)).where(
        application_steps.c.application_id == applications.c.application_id) \
        .scalar_subquery()
    rows = session.execute(sa.select(applications.c.state, applications.c.submitted_on,
                                     last_step.label("since")).where(
        applications.c.division_code.like(f"{prefix}%"),
        applications.c.state.in_(OPEN_STATES))).all()
    return [{"state": r.state, "since": r.since or r.submitted_on} for r in rows]
