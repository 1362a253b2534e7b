"""The monthly settlement: on a month's close (see ``events``), on request, or
by the calendar fallback; its status and lines."""

from __future__ import annotations

from doudi_common.dates import month_of
from doudi_common.entrypoints import rpc, timer
from doudi_common.ids import validate_id_number, validate_uscc
from doudi_common.logs import get_logger
from doudi_common.paging import page_args, page_of

from doudi_funding.domain.days import check_month, prev_month
from doudi_funding.domain.settlement import check_month_over
from doudi_funding.schemas import county_arg, line_reply, run_reply
from doudi_funding.store.settlement import (
    settle_county_month,
    settlement_lines_page,
    settlement_run,
    unsettled_counties,
)

log = get_logger(__name__)


class Settlement:
    @timer(interval=3600)
    def settle_overdue_months(self) -> list[str]:
        """Calendar fallback: from ``SETTLE_AFTER_DAY`` (default the 5th) of a
        month, every county with cases in care last month whose month no
        services-log close has settled yet is settled now."""
        today = self.clock.today()
        after = int(self.config.get("SETTLE_AFTER_DAY", 5))
        if today.day < after:
            return []
        month = prev_month(month_of(today))
        done = []
        for county in unsettled_counties(self.db.session, month):
            run, _ = settle_county_month(self.db, county, month, self.clock.now())
            done.append(run["settlement_id"])
        if done:
            log.info("overdue months settled", settlements=done)
        return done

    @rpc
    def settle_month(self, division_code: str, month: str) -> dict:
        county, month = county_arg(division_code), check_month(month)
        check_month_over(month, self.clock.month())
        run, rerun = settle_county_month(self.db, county, month, self.clock.now())
        return run_reply(run, rerun)

    @rpc
    def settlement_status(self, division_code: str, month: str) -> dict:
        county, month = county_arg(division_code), check_month(month)
        row = settlement_run(self.db.session, county, month)
        if row is None:
            return {"status": "not_settled", "division_code": county, "month": month}
        return run_reply(row, True)

    @rpc
    def list_settlements(self, month: str, division_code: str | None = None,
                         institution_uscc: str | None = None, id_number: str | None = None,
                         page=1, per_page=100) -> dict:
        page, per_page = page_args(page, per_page)
        rows, total = settlement_lines_page(
            self.db.session, check_month(month),
            county=county_arg(division_code) if division_code else None,
            institution_uscc=validate_uscc(institution_uscc) if institution_uscc else None,
            id_number=validate_id_number(id_number) if id_number else None,
            page=page, per_page=per_page)
        return page_of([line_reply(r) for r in rows], page, per_page, total)
