"""Service records: record one or a batch, verify, correct, read and list."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger
from doudi_common.paging import DEFAULT_PER_PAGE

from doudi_services_log.store import recording
from doudi_services_log.store import records as store

log = get_logger(__name__)


class Records:
    @rpc
    def record_service(self, **record) -> dict:
        row = recording.record_service(self.db, self.clock.now(), record)
        return store.get_record(self.db.session, row["record_id"])

    @rpc
    def record_services(self, records) -> dict:
        return recording.record_services(self.db, self.clock.now(), records)

    @rpc
    def verify_record(self, record_id, verified_by, verifier_role, note=None) -> dict:
        return store.verify_record(self.db, self.clock.now(), record_id=record_id,
                                   verified_by=verified_by, verifier_role=verifier_role,
                                   note=note)

    @rpc
    def correct_record(self, record_id, changes, reason, corrected_by) -> dict:
        return store.correct_record(self.db, self.clock.now(), record_id=record_id,
                                    changes=changes, reason=reason, corrected_by=corrected_by)

    @rpc
    def get_record(self, record_id) -> dict:
        return store.get_record(self.db.session, record_id)

    @rpc
    def list_records(self, id_number=None, provider_uscc=None, provider_id_number=None,
                     month=None, division_code=None, status=None, service_item=None,
                     counted=False, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_records(self.db.session, id_number=id_number,
                                  provider_uscc=provider_uscc,
                                  provider_id_number=provider_id_number, month=month,
                                  division_code=division_code, status=status,
                                  service_item=service_item, counted=bool(counted), page=page,
                                  per_page=per_page)
