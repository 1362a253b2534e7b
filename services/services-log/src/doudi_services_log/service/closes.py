"""Month close of a township or an institution."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import closes as store

log = get_logger(__name__)


class MonthClose:
    @rpc
    def close_month(self, month, closed_by, division_code=None, institution_uscc=None) -> dict:
        return store.close_month(self.db, self.clock.now(), month=month,
                                 division_code=division_code,
                                 institution_uscc=institution_uscc, closed_by=closed_by)

    @rpc
    def get_month_close(self, month, division_code=None, institution_uscc=None) -> dict:
        return store.get_month_close(self.db.session, month=month, division_code=division_code,
                                     institution_uscc=institution_uscc)

    @rpc
    def list_month_closes(self, division_code, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_month_closes(self.db.session, division_code=division_code, page=page,
                                       per_page=per_page)
