"""Alerts (爱心门铃): raise, acknowledge, resolve, list; the timer that escalates
unacknowledged ones."""

from __future__ import annotations

from doudi_common.entrypoints import config_timer, rpc
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import alerts as store

log = get_logger(__name__)


class Alerts:
    @config_timer("ALERT_CHECK_INTERVAL", 30.0)
    def escalate_alerts(self):
        minutes = float(self.config.get("ALERT_ACK_MINUTES", 15))
        count = store.escalate_alerts(self.db, self.clock.now(), minutes)
        if count:
            log.warning("alerts escalated", count=count)

    @rpc
    def raise_alert(self, id_number, kind, raised_by, summary=None, raised_at=None,
                    division_code=None) -> dict:
        return store.raise_alert(self.db, self.clock.now(), id_number=id_number, kind=kind,
                                 raised_by=raised_by, summary=summary, raised_at=raised_at,
                                 division_code=division_code)

    @rpc
    def acknowledge_alert(self, alert_id, by) -> dict:
        return store.acknowledge_alert(self.db.session, self.clock.now(), alert_id=alert_id,
                                       by=by)

    @rpc
    def resolve_alert(self, alert_id, resolution, by) -> dict:
        return store.resolve_alert(self.db, self.clock.now(), alert_id=alert_id,
                                   resolution=resolution, by=by)

    @rpc
    def get_alert(self, alert_id) -> dict:
        return store.get_alert(self.db.session, alert_id)

    @rpc
    def list_alerts(self, division_code, status=None, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_alerts(self.db.session, division_code=division_code, status=status,
                                 page=page, per_page=per_page)
