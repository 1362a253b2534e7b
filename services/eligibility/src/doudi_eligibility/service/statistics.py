"""Caseload and pending work of a division for a month (the officials' figures)."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.figures import kept
from doudi_common.ids import division_prefix

from doudi_eligibility.domain import statistics as figures
from doudi_eligibility.domain.application import check_division_code
from doudi_eligibility.models import figure_cache, figure_versions
from doudi_eligibility.store import statistics as store


class Statistics:
    @rpc
    def caseload_statistics(self, division_code, month) -> dict:
        code = check_division_code(division_code)
        first, last = figures.month_bounds(month)
        today = self.clock.today()
        return kept(self.db.session, figure_versions, figure_cache,
                    f"caseload:{code}:{month}", today,
                    lambda: self._caseload(code, month, first, last, today))

    def _caseload(self, code, month, first, last, today) -> dict:
        prefix = division_prefix(code)
        groups, reviews = store.enrolment_groups(self.db.session, prefix, first, last,
                                                 min(today, last), today)
        return {"division_code": code, "month": month,
                **store.counts(self.db.session, prefix),
                **figures.caseload_of_groups(groups),
                "pending": figures.pending(store.open_applications(self.db.session, prefix),
                                           today),
                "reviews": reviews}
