"""Caseload and pending work of a division for a month (issue 18), from the
rows eligibility owns: who is registered, eligible and in care by hardship and
care mode, who entered and left care in the month (and why), what waits at which
stage and for how long, which annual reviews are due or overdue. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from statistics import median
from typing import Any

from doudi_common import dates
from doudi_common.errors import Invalid


def in_care_on(row: dict[str, Any], day: date) -> bool:
    return row["started_on"] <= day and (row["ended_on"] is None or row["ended_on"] >= day)


def group_of(row: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """How an enrolment counts in a month: in care at its end, entered in it,
    left in it (the store's ``enrolment_groups`` says the same in SQL)."""
    ended = row["ended_on"]
    return {"care_mode": row["care_mode"], "hardship": row["hardship"],
            "end_reason": row["end_reason"], "in_care_end": in_care_on(row, last),
            "entered": first <= row["started_on"] <= last,
            "exited": ended is not None and first <= ended <= last, "n": 1}


def caseload(enrolments: list[dict[str, Any]], first: date, last: date) -> dict[str, Any]:
    """In care at the month's end by hardship × care mode (a person with two
    statuses counts under each), entries and exits in the month by reason."""
    return caseload_of_groups([group_of(r, first, last) for r in enrolments])


def caseload_of_groups(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The same figures as ``caseload``, from enrolments already counted in
    groups (the store's ``enrolment_groups``: each group's care mode, hardship
    list, end reason, whether in care at the month's end, entered or left in the
    month — by ``in_care_on`` and the month's bounds — and how many)."""
    by: dict[str, Counter[str]] = defaultdict(Counter)
    in_care = entries = 0
    exits: Counter[str] = Counter()
    for g in groups:
        n = g["n"]
        if g["in_care_end"]:
            in_care += n
            for status in g["hardship"] or ["none"]:
                by[status][g["care_mode"]] += n
        entries += n if g["entered"] else 0
        if g["exited"]:
            exits[g["end_reason"] or "other"] += n
    return {"in_care": in_care,
            "by_hardship": {h: dict(sorted(modes.items())) for h, modes in sorted(by.items())},
            "entries": entries, "exits": sum(exits.values()),
            "exits_by_reason": dict(sorted(exits.items()))}


def pending(applications: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """Open applications by stage with days waiting since they reached it."""
    waits: dict[str, list[int]] = defaultdict(list)
    for row in applications:
        waits[row["state"]].append((today - row["since"]).days)
    return {state: {"count": len(days), "median_days": float(median(days)),
                    "max_days": max(days)} for state, days in sorted(waits.items())}


def reviews(next_reviews: list[date], today: date, last: date) -> dict[str, int]:
    """Annual reviews of people in care: due by the month's end, and overdue
    today (the store's ``enrolment_groups`` counts the same in SQL)."""
    return {"due": sum(1 for d in next_reviews if d <= last),
            "overdue": sum(1 for d in next_reviews if d < today)}


def month_bounds(month: Any) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``; Invalid on anything else."""
    try:
        return dates.month_bounds(str(month))
    except ValueError:
        raise Invalid("月份格式应为 YYYY-MM", field="month") from None
