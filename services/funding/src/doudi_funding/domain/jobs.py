"""Rules of background jobs: their states, when an abandoned one may be
resumed, and what a caller reads of one.

Pure: no storage, no framework."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STATES = ("queued", "running", "succeeded", "failed")
PHASES = ("queued", "loading", "settling", "posting", "paying", "done")


def settlement_key(county: str, month: str) -> str:
    """One job per county and month: asking twice gives the same job."""
    return f"{county}:{month}"


def stale_before(now: datetime, stale_seconds: float) -> datetime:
    """A running job whose heartbeat is older than this was abandoned (its
    process died): another worker resumes it."""
    return now - timedelta(seconds=stale_seconds)


def reply(row: dict[str, Any]) -> dict[str, Any]:
    """What a caller reads of a job."""
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {"job_id": row["job_id"], "kind": row["kind"], "state": row["state"],
            "phase": row["phase"], "done": row["done"], "total": row["total"],
            "attempts": row["attempts"], "division_code": row["county"],
            "params": row["params"], "result": row["result"], "error": row["error"],
            "requested_by": row["requested_by"], "created_at": iso(row["created_at"]),
            "started_at": iso(row["started_at"]), "finished_at": iso(row["finished_at"])}
