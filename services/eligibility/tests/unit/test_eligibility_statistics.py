"""Caseload and pending work (issue 18): the figures from rows (pure)."""

from datetime import date

import pytest
from doudi_common.errors import Invalid
from doudi_eligibility.domain import statistics as figures

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def row(mode, hardship, start, end=None, reason=None, review=None):
    return {"care_mode": mode, "hardship": hardship, "started_on": start, "ended_on": end,
            "end_reason": reason, "next_review_on": review}


def test_caseload_counts_the_month_end_and_the_months_entries_and_exits():
    rows = [row("centralized", ["tekun"], date(2025, 1, 1)),
            row("centralized", ["tekun", "dibao"], date(2026, 3, 5)),          # entered
            row("home_visit", ["dibao"], date(2025, 6, 1), date(2026, 3, 17),   # died mid-month
                "deceased"),
            row("home_visit", ["dibao"], date(2026, 3, 2), date(2026, 3, 20), "improved"),
            row("day_care", [], date(2025, 1, 1), date(2026, 4, 2), "moved_away")]
    out = figures.caseload(rows, *MARCH)
    assert out["in_care"] == 3 and out["entries"] == 2 and out["exits"] == 2
    assert out["exits_by_reason"] == {"deceased": 1, "improved": 1}
    assert out["by_hardship"] == {"dibao": {"centralized": 1}, "none": {"day_care": 1},
                                  "tekun": {"centralized": 2}}


def test_pending_work_by_stage_with_days_waiting():
    today = date(2026, 3, 31)
    apps = [{"state": "submitted", "since": date(2026, 3, 30)},
            {"state": "submitted", "since": date(2026, 3, 1)},
            {"state": "submitted", "since": date(2026, 3, 21)},
            {"state": "township_checked", "since": date(2026, 2, 1)}]
    assert figures.pending(apps, today) == {
        "submitted": {"count": 3, "median_days": 10.0, "max_days": 30},
        "township_checked": {"count": 1, "median_days": 58.0, "max_days": 58}}
    assert figures.pending([], today) == {}


def test_reviews_due_and_overdue():
    assert figures.reviews([date(2026, 3, 10), date(2026, 3, 31), date(2026, 5, 1)],
                           date(2026, 3, 15), date(2026, 3, 31)) == {"due": 2, "overdue": 1}


@pytest.mark.parametrize("bad", ["2026-13", "2026/03", "", None, "march"])
def test_a_bad_month_is_refused(bad):
    with pytest.raises(Invalid):
        figures.month_bounds(bad)
    assert figures.month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
