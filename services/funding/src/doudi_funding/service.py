"""funding: the ledger and monthly settlement (issue 6).

Thin entrypoints: parse, call the domain, store through the unit of work, add
events to the outbox.
"""

from __future__ import annotations

from doudi_common.db import Database
from doudi_common.entrypoints import rpc, subscribe
from doudi_common.errors import NotFound
from doudi_common.ids import validate_id_number
from doudi_common.persons import get_person, record_person
from doudi_common.service_base import ServiceBase
from doudi_funding.models import metadata, person_directory
from doudi_funding.schemas import KnownPersonSchema


class FundingService(ServiceBase):
    name = "funding"

    db = Database(metadata)

    @subscribe("eligibility", "person.registered")
    def on_person_registered(self, event):
        record_person(self.db, person_directory, event)

    @rpc
    def get_known_person(self, id_number: str) -> dict:
        person = get_person(self.db, person_directory, validate_id_number(id_number))
        if person is None:
            raise NotFound("未找到该人员", resource="person")
        return KnownPersonSchema().dump(person)
