"""Rooms and beds and their status."""


from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.errors import NotFound
from doudi_common.logs import get_logger

from doudi_institutions.domain import beds as beds_rules
from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import vocab
from doudi_institutions.schemas import (
    bed_view,
)
from doudi_institutions.store import beds as beds_store

log = get_logger(__name__)


class RoomsAndBeds:
    @rpc
    def add_room(self, uscc, room_no, room_type, beds=()) -> dict:
        inst = self._institution(uscc, lock=True)
        bed_nos = list(beds or [])
        beds_rules.check_room(room_no, room_type, bed_nos)
        beds_rules.check_room_free(beds_store.room_no_taken(self.session, inst["id"], room_no),
                                   room_no)
        beds_rules.check_beds_free(beds_store.bed_nos_taken(self.session, inst["id"], bed_nos))
        beds_store.insert_room(self.session, inst["id"], room_no, room_type, bed_nos)
        return {"uscc": inst["uscc"], "room_no": room_no, "room_type": room_type,
                "beds": [{"bed_no": str(b), "status": "available"} for b in bed_nos]}

    @rpc
    def list_beds(self, uscc, status=None, page=1, per_page=50) -> dict:
        inst = self._institution(uscc)
        if status:
            inputs_rules.choice(status, ("available", "occupied", "out_of_service"), "status")
        return self._page(beds_store.beds_in_status_query(inst["id"], status), page, per_page,
                          bed_view)

    @rpc
    def set_bed_status(self, uscc, bed_no, status) -> dict:
        inst = self._institution(uscc, lock=True)
        inputs_rules.choice(status, vocab.BED_STATUSES, "status")
        row = beds_store.bed_by_no(self.session, inst["id"], bed_no)
        if row is None:
            raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
        beds_rules.check_can_take_out_of_service(bool(row.placement_pk), status)
        beds_store.set_out_of_service(self.session, row.id, status == "out_of_service")
        return bed_view(dict(beds_store.bed_by_id(self.session, inst["id"], row.id)._mapping))
