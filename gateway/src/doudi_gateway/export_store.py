"""Export jobs in the gateway's database: created by a request, claimed by one
worker thread at a time (a compare-and-set on the state and heartbeat, so two
gunicorn workers or pods never render the same report), progress while the
rows are read, the rendered file when done. A job whose heartbeat went stale
(its worker died) is claimed again."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from doudi_gateway.models import export_jobs as X

_REPLY = [c for c in X.c if c.name != "content"]


def create(engine: sa.Engine, *, report: str, fmt: str, params: dict, division_code: str,
           by: str, now: datetime) -> dict:
    job_id = "EXP-" + secrets.token_hex(10).upper()
    with engine.begin() as conn:
        conn.execute(sa.insert(X).values(
            job_id=job_id, report=report, format=fmt, params=params,
            division_code=division_code, requested_by=by, state="queued", phase="queued",
            done=0, attempts=0, created_at=now))
    return get(engine, job_id) or {}


def get(engine: sa.Engine, job_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_REPLY).where(X.c.job_id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def of_requester(engine: sa.Engine, by: str, limit: int = 50) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_REPLY).where(X.c.requested_by == by)
                            .order_by(X.c.created_at.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def claim(engine: sa.Engine, job_id: str, now: datetime, stale_before: datetime) -> dict | None:
    """The job for this worker, if it is queued or its worker went quiet."""
    with engine.begin() as conn:
        done = conn.execute(sa.update(X).where(
            X.c.job_id == job_id,
            sa.or_(X.c.state == "queued",
                   sa.and_(X.c.state == "running", X.c.heartbeat_at < stale_before)))
            .values(state="running", phase="loading", started_at=now, heartbeat_at=now,
                    attempts=X.c.attempts + 1))
    return get(engine, job_id) if done.rowcount else None


def progress(engine: sa.Engine, job_id: str, phase: str, done: int, total: int | None,
             now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(X).where(X.c.job_id == job_id, X.c.state == "running")
                     .values(phase=phase, done=done, total=total, heartbeat_at=now))


def succeed(engine: sa.Engine, job_id: str, content: bytes, content_type: str, filename: str,
            rows: int, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(X).where(X.c.job_id == job_id).values(
            state="succeeded", phase="done", done=rows, total=rows, content=content,
            content_type=content_type, filename=filename, finished_at=now, heartbeat_at=now))


def fail(engine: sa.Engine, job_id: str, problem: dict[str, Any], now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(X).where(X.c.job_id == job_id).values(
            state="failed", error=json.loads(json.dumps(problem, default=str)),
            finished_at=now, heartbeat_at=now))


def file_of(engine: sa.Engine, job_id: str) -> tuple[bytes, str, str] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(X.c.content, X.c.content_type, X.c.filename)
                           .where(X.c.job_id == job_id, X.c.state == "succeeded")).first()
    return (row.content, row.content_type, row.filename) if row is not None else None
