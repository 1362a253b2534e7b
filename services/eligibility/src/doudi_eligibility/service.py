"""eligibility: persons and the facts departments send about them.

Thin entrypoints: parse, call the domain, store through the unit of work, add
events to the outbox. Grows with issue 4 (policy packs, decisions, applications).
"""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.db import Database, utcnow
from doudi_common.entrypoints import rpc, subscribe
from doudi_common.errors import NotFound
from doudi_common.ids import validate_id_number
from doudi_common.logs import get_logger
from doudi_common.serialize import to_jsonable
from doudi_common.service_base import ServiceBase
from doudi_eligibility.domain.person import certificate_fact, identity_from
from doudi_eligibility.models import metadata, person_facts, persons
from doudi_eligibility.schemas import PersonSchema

log = get_logger(__name__)


class EligibilityService(ServiceBase):
    name = "eligibility"

    db = Database(metadata)

    # A department's whole exchange comes through one queue: a type the contract
    # does not know is dead-lettered before we run; a known type we do not act on
    # (yet) is acknowledged and recorded in the inbox only.
    @subscribe("cdpf", "#")
    def on_cdpf(self, event):
        handler = {"certificate.issued": self._certificate,
                   "certificate.changed": self._certificate}.get(event["type"])
        if handler is not None:
            handler(event)

    def _certificate(self, event):
        data = event["data"]
        identity = identity_from(data["id_number"], data["name"], data["division_code"])
        session = self.db.session
        now = utcnow()
        existing = session.execute(
            sa.select(persons).where(persons.c.id_number == identity.id_number)).first()
        if existing is None:
            session.execute(sa.insert(persons).values(
                id_number=identity.id_number, name=identity.name,
                birth_date=identity.birth_date, sex=identity.sex,
                division_code=identity.division_code, created_at=now, updated_at=now))
            self.db.outbox.add("person.registered", {
                "id_number": identity.id_number, "name": identity.name,
                "birth_date": identity.birth_date, "sex": identity.sex,
                "division_code": identity.division_code, "source_event": event["id"],
            }, division_code=identity.division_code, key=identity.id_number)
            log.info("person registered", id_number=identity.id_number, event_id=event["id"])
        fact = certificate_fact(event["type"], event["id"], data)
        session.execute(sa.insert(person_facts).values(
            id_number=identity.id_number, kind=fact.kind, source=fact.source,
            source_event_id=fact.source_event_id, valid_from=fact.valid_from,
            valid_until=fact.valid_until, recorded_at=now, payload=to_jsonable(fact.payload)))

    @rpc
    def get_person(self, id_number: str) -> dict:
        id_number = validate_id_number(id_number)
        session = self.db.session
        row = session.execute(sa.select(persons).where(persons.c.id_number == id_number)).first()
        if row is None:
            raise NotFound("未找到该人员", resource="person")
        facts = session.execute(sa.select(person_facts)
                                .where(person_facts.c.id_number == id_number)
                                .order_by(person_facts.c.id)).all()
        person = dict(row._mapping)
        person["facts"] = [dict(f._mapping) for f in facts]
        return PersonSchema().dump(person)
