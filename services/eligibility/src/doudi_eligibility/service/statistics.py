"""Caseload and pending work of a division for a month (the officials' figures)."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.ids import division_prefix

from doudi_eligibility.domain import statistics as figures
from doudi_eligibility.domain.application import check_division_code
from doudi_eligibility.store import statistics as store


class Statistics:
    @rpc
    def caseload_statistics(self, division_code, month) -> dict:
        code = check_division_code(division_code)
        first, last = figures.month_bounds(month)
        prefix, today = division_prefix(code), self.clock.today()
        rows = store.enrolments_touching(self.db.session, prefix, first, last)
        in_care = [r["next_review_on"] for r in rows
                   if r["next_review_on"] and figures.in_care_on(r, min(today, last))]
        return {"division_code": code, "month": month,
                **store.counts(self.db.session, prefix),
                **figures.caseload(rows, first, last),
                "pending": figures.pending(store.open_applications(self.db.session, prefix),
                                           today),
                "reviews": figures.reviews(in_care, today, last)}
