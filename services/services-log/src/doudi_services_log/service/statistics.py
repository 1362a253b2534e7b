"""Monthly statistics of a division."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger

from doudi_services_log.store import statistics as store

log = get_logger(__name__)


class Statistics:
    @rpc
    def monthly_statistics(self, month, division_code) -> dict:
        return store.monthly_statistics(self.db.session, month=month,
                                        division_code=division_code)
