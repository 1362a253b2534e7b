"""The volunteer time bank."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import timebank as store

log = get_logger(__name__)


class TimeBank:
    @rpc
    def time_bank_balance(self, id_number) -> dict:
        return store.time_bank_balance(self.db.session, id_number)

    @rpc
    def time_bank_history(self, id_number, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.time_bank_history(self.db.session, id_number, page, per_page)

    @rpc
    def transfer_time(self, from_id_number, to_id_number, minutes, relation, by) -> dict:
        return store.transfer_time(self.db.session, self.clock.now(),
                                   from_id_number=from_id_number, to_id_number=to_id_number,
                                   minutes=minutes, relation=relation, by=by)

    @rpc
    def redeem_time(self, id_number, minutes, by, service_item=None, note=None) -> dict:
        return store.redeem_time(self.db.session, self.clock.now(), id_number=id_number,
                                 minutes=minutes, by=by, service_item=service_item, note=note)
