"""Visit schedules and visits; the timer that reports overdue visits."""

from __future__ import annotations

from doudi_common.entrypoints import config_timer, rpc
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import visits as store

log = get_logger(__name__)


class Visits:
    @config_timer("VISIT_CHECK_INTERVAL", 300.0)
    def check_overdue_visits(self):
        count = store.notify_overdue_visits(self.db, self.clock.now())
        if count:
            log.info("visits overdue", count=count)

    @rpc
    def set_visit_schedule(self, id_number, every_days, kind, by, division_code=None,
                           start_on=None) -> dict:
        return store.set_visit_schedule(self.db.session, self.clock.now(), id_number=id_number,
                                        every_days=every_days, kind=kind, by=by,
                                        division_code=division_code, start_on=start_on)

    @rpc
    def record_visit(self, id_number, visited_on, visitor, content, by, kind="regular") -> dict:
        return store.record_visit(self.db.session, self.clock.now(), id_number=id_number,
                                  visited_on=visited_on, visitor=visitor, content=content,
                                  by=by, kind=kind)

    @rpc
    def list_visits(self, id_number, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_visits(self.db.session, id_number=id_number, page=page,
                                 per_page=per_page)

    @rpc
    def list_overdue_visits(self, division_code, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_overdue_visits(self.db.session, self.clock.now(),
                                         division_code=division_code, page=page,
                                         per_page=per_page)
