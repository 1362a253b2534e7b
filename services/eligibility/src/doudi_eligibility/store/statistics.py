"""The rows the caseload statistics are made of (one division prefix, one month)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa

from doudi_eligibility.domain.application import OPEN_STATES
from doudi_eligibility.models import (
    application_steps,
    applications,
    decisions,
    division_tallies,
    enrolments,
    persons,
)


def counts(session, prefix: str) -> dict[str, int]:
    """Living persons registered in the division, and those currently eligible:
    the sums of the division's tallies (kept by triggers, migration 0007)."""
    t = division_tallies.c
    registered, eligible = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(t.registered), 0),
        sa.func.coalesce(sa.func.sum(t.eligible), 0))
        .where(t.division_code.like(f"{prefix}%"))).one()
    return {"registered": int(registered), "eligible": int(eligible)}


def counts_from_rows(session, prefix: str) -> dict[str, int]:
    """The same two figures counted from the rows (what the tallies must equal)."""
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


def _in_care_on(day: date) -> sa.ColumnElement[bool]:
    """``domain.statistics.in_care_on`` in SQL: started by ``day``, not ended
    before it (tests/service check both give the same figures)."""
    e = enrolments.c
    return sa.and_(e.started_on <= day, sa.or_(e.ended_on.is_(None), e.ended_on >= day))


def _flag(condition: sa.ColumnElement[bool]) -> sa.Case[int]:
    return sa.case((condition, 1), else_=0)


def enrolment_groups(session, prefix: str, first: date, last: date,
                     review_day: date, today: date) -> tuple[list[dict[str, Any]], dict]:
    """The month's enrolments counted in groups (care mode, hardship, end reason,
    in care at the month's end, entered, left) for ``caseload_of_groups``, and
    the annual reviews of those in care on ``review_day``: due by the month's
    end, overdue today — one GROUP BY instead of a row per enrolment."""
    e = enrolments.c
    in_care_end, entered = _flag(_in_care_on(last)), _flag(e.started_on.between(first, last))
    exited = _flag(sa.and_(e.ended_on.is_not(None), e.ended_on.between(first, last)))
    hardship = sa.cast(e.hardship, sa.Text)
    reviewed = sa.and_(_in_care_on(review_day), e.next_review_on.is_not(None))
    rows = session.execute(sa.select(
        e.care_mode, hardship.label("hardship"), e.end_reason, in_care_end.label("in_care_end"),
        entered.label("entered"), exited.label("exited"), sa.func.count().label("n"),
        sa.func.sum(_flag(sa.and_(reviewed, e.next_review_on <= last))).label("due"),
        sa.func.sum(_flag(sa.and_(reviewed, e.next_review_on < today))).label("overdue"))
        .where(e.division_code.like(f"{prefix}%"), e.started_on <= last,
               sa.or_(e.ended_on.is_(None), e.ended_on >= first))
        .group_by(e.care_mode, hardship, e.end_reason, in_care_end, entered, exited)).all()
    groups = [{"care_mode": r.care_mode, "hardship": json.loads(r.hardship or "[]"),
               "end_reason": r.end_reason, "in_care_end": bool(r.in_care_end),
               "entered": bool(r.entered), "exited": bool(r.exited), "n": int(r.n)}
              for r in rows]
    reviews = {"due": sum(int(r.due or 0) for r in rows),
               "overdue": sum(int(r.overdue or 0) for r in rows)}
    return groups, reviews


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
