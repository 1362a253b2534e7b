"""Service items and their prices."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger

from doudi_services_log.store import items as store

log = get_logger(__name__)


class Items:
    @rpc
    def list_items(self, division_code=None, jurisdiction=None) -> list:
        return store.list_items(self.db.session, division_code, jurisdiction)

    @rpc
    def set_item_price(self, jurisdiction, code, unit_price, by) -> dict:
        return store.set_item_price(self.db.session, self.clock.now(), jurisdiction, code,
                                    unit_price, by)
