"""Service cards: issue, change, suspend, resume, end, documents; one card and a list."""

from __future__ import annotations

from doudi_common.args import require_date, require_text
from doudi_common.entrypoints import rpc
from doudi_common.ids import validate_id_number
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import cards as store

log = get_logger(__name__)


class Cards:
    @rpc
    def issue_card(self, id_number, items, providers, assessed_on, by, division_code=None,
                   name=None, care_mode=None) -> dict:
        return store.issue_card(self.db.session, self.clock.now(), id_number=id_number,
                                items=items, providers=providers, assessed_on=assessed_on,
                                by=by, division_code=division_code, name=name,
                                care_mode=care_mode)

    @rpc
    def change_card(self, id_number, reason, by, items=None, providers=None) -> dict:
        return store.change_card(self.db.session, self.clock.now(), id_number=id_number,
                                 reason=reason, by=by, items=items, providers=providers)

    @rpc
    def suspend_card(self, id_number, reason, by) -> dict:
        return store.suspend_card(self.db.session, self.clock.now(), id_number=id_number,
                                  reason=reason, by=by)

    @rpc
    def resume_card(self, id_number, by) -> dict:
        return store.resume_card(self.db.session, self.clock.now(), id_number=id_number, by=by)

    @rpc
    def end_card(self, id_number, ended_on, reason, by) -> dict:
        id_number = validate_id_number(id_number)
        return store.end_card(self.db.session, self.clock.now(), id_number=id_number,
                              ended_on=require_date(ended_on, "ended_on"),
                              reason=require_text(reason, "reason", 500),
                              by=require_text(by, "by", 100))

    @rpc
    def add_card_document(self, id_number, kind, ref, by, note=None) -> dict:
        return store.add_card_document(self.db.session, self.clock.now(), id_number=id_number,
                                       kind=kind, ref=ref, by=by, note=note)

    @rpc
    def get_card(self, id_number) -> dict:
        id_number = validate_id_number(id_number)
        store.require_card(self.db.session, id_number, lock=False)
        return store.dump_card(self.db.session, id_number, history=True)

    @rpc
    def list_cards(self, division_code, status=None, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_cards(self.db.session, division_code=division_code, status=status,
                                page=page, per_page=per_page)
