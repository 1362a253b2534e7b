"""Background jobs: created once per (kind, key), claimed by one worker at a
time (compare-and-set on the state, so it works on SQLite too), their
progress and outcome written as they happen."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.queries import dialect_insert

from doudi_funding.models import jobs


def create(session, *, kind: str, key: str, county: str, params: dict[str, Any], by: str,
           now: datetime) -> dict[str, Any]:
    """The job for (kind, key): a new one queued, or the one that exists."""
    session.execute(dialect_insert(session, jobs).values(
        job_id=f"JOB-{uuid.uuid4().hex[:20].upper()}", kind=kind, key=key, county=county,
        params=params, state="queued", phase="queued", done=0, attempts=0,
        requested_by=by, created_at=now).on_conflict_do_nothing(index_elements=["kind", "key"]))
    return dict(session.execute(sa.select(jobs).where(jobs.c.kind == kind,
                                                      jobs.c.key == key)).one()._mapping)


def get(session, job_id: str) -> dict[str, Any] | None:
    row = session.execute(sa.select(jobs).where(jobs.c.job_id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def of_requester(session, by: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.execute(sa.select(jobs).where(jobs.c.requested_by == by)
                           .order_by(jobs.c.created_at.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def claim(session, now: datetime, stale: datetime) -> dict[str, Any] | None:
    """Take the oldest queued job, or a running one whose worker stopped
    beating; None when there is none (or another worker took it first)."""
    candidates = session.execute(
        sa.select(jobs).where(sa.or_(jobs.c.state == "queued", sa.and_(
            jobs.c.state == "running",
            sa.or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at < stale))))
        .order_by(jobs.c.created_at).limit(5)).all()
    for row in candidates:  # compare-and-set: the row must still be as it was read
        taken = session.execute(
            sa.update(jobs).where(jobs.c.job_id == row.job_id, jobs.c.state == row.state,
                                  (jobs.c.heartbeat_at.is_(None) if row.heartbeat_at is None
                                   else jobs.c.heartbeat_at == row.heartbeat_at))
            .values(state="running", started_at=row.started_at or now, heartbeat_at=now,
                    attempts=row.attempts + 1)).rowcount
        if taken == 1:
            return get(session, row.job_id)
    return None


def progress(session, job_id: str, phase: str, done: int, total: int | None,
             now: datetime) -> None:
    session.execute(sa.update(jobs).where(jobs.c.job_id == job_id, jobs.c.state == "running")
                    .values(phase=phase, done=done, total=total, heartbeat_at=now))


def succeed(session, job_id: str, result: dict[str, Any], now: datetime) -> None:
    session.execute(sa.update(jobs).where(jobs.c.job_id == job_id).values(
        state="succeeded", phase="done", result=result, error=None, finished_at=now,
        heartbeat_at=now))


def fail(session, job_id: str, error: dict[str, Any], now: datetime) -> None:
    session.execute(sa.update(jobs).where(jobs.c.job_id == job_id).values(
        state="failed", error=error, finished_at=now, heartbeat_at=now))
