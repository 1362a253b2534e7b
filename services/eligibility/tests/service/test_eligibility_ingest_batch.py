"""The set-based certificate path (``doudi_eligibility.ingest``) leaves exactly
what the one-by-one path leaves: the same stream of CDPF events is handled once
as one batch and once event by event with the bulk path switched off, on two
real PostgreSQL databases, and persons, facts, decisions, inbox and outbox
(per person, in order) are compared."""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_common.testing.fixtures import department_envelope
from doudi_common.testing.idnumbers import make_id_number
from doudi_common.testing.samples import certificate_issued
from doudi_contracts import policy
from doudi_contracts.registry import validate_event
from doudi_departments.simulate import Simulator
from doudi_eligibility.domain.packs import pack_from_data
from doudi_eligibility.models import metadata
from doudi_eligibility.policy import pack_data
from doudi_eligibility.service import EligibilityService
from doudi_eligibility.service import departments as service_module
from doudi_eligibility.testing import REGISTRY
from nameko.testing.services import worker_factory

TODAY = date(2026, 3, 10)
CLOCK = SimpleNamespace(today=lambda: TODAY,
                        now=lambda: datetime(2026, 3, 10, 9, 0).astimezone())


def _events() -> tuple[list[dict], list[dict]]:
    """(events before the batch, the batch): new people in four jurisdictions;
    one person registered before; one with a parked health fact; one person
    twice in the batch (issued, then changed); a certificate the handler
    refuses would fail the batch, so there is none here."""
    sim = Simulator("cdpf", seed=7, jurisdictions=["341502", "330106", "410928", "620102"])
    batch = [validate_event("cdpf", sim.new_certificate().envelope) for _ in range(40)]
    known = certificate_issued(make_id_number(seq=901))
    parked = make_id_number(seq=902)
    twice = certificate_issued(make_id_number(seq=903))
    before = [
        validate_event("cdpf", department_envelope("cdpf", "certificate.issued", known)),
        validate_event("health", department_envelope("health", "hospital.admitted", {
            "id_number": parked, "on": "2026-02-01", "hospital_uscc": "12341500485912345J"})),
    ]
    batch[5:5] = [validate_event("cdpf", department_envelope(
        "cdpf", "certificate.issued", dict(known, grade=1)))]
    batch[9:9] = [validate_event("cdpf", department_envelope(
        "cdpf", "certificate.issued", certificate_issued(parked)))]
    batch[12:12] = [validate_event("cdpf", department_envelope("cdpf", "certificate.issued",
                                                               twice))]
    batch[20:20] = [validate_event("cdpf", department_envelope(
        "cdpf", "certificate.changed", dict(twice, grade=1)))]
    return before, batch


def _generous_registry():
    """Hangzhou's pack, but a grade-1 certificate alone makes one eligible — so
    that the stream also produces decisions that announce ``eligibility.changed``
    (no real pack decides on a certificate alone)."""
    data = pack_data(policy.load("hangzhou-2024"))
    data["target_groups"][0]["when"] = {"attr": "disability.grade", "le": 1}
    data["care_modes"]["dispersed"]["rules"][0]["when"] = {"attr": "disability.grade", "le": 1}
    return REGISTRY.with_pack(pack_from_data(data))


def _run(url: str, before: list[dict], batch: list[dict], one_by_one: bool) -> dict:
    core = DatabaseCore(url, "doudi_eligibility", "eligibility", metadata)
    service = worker_factory(EligibilityService, clock=CLOCK)
    service.registry = _generous_registry()
    try:
        for event in before:
            with core.unit_of_work() as uow:
                service.db = uow
                handler = service.on_cdpf if event["source"].startswith("cdpf") \
                    else service.on_health
                handler([event])
        if one_by_one:
            for event in batch:
                with core.unit_of_work() as uow:
                    service.db = uow
                    service.on_cdpf([event])
        else:
            with core.unit_of_work() as uow:
                service.db = uow
                service.on_cdpf(batch)
        return _state(core)
    finally:
        core.dispose()


def _state(core) -> dict:
    with core.engine.connect() as conn:
        def rows(sql):
            return [dict(r._mapping) for r in conn.execute(sa.text(sql))]

        persons = rows("SELECT id_number, name, birth_date, sex, division_code, registration,"
                       " deceased_on FROM persons ORDER BY id_number")
        facts = rows("SELECT id_number, kind, source, source_event_id, valid_from,"
                     " valid_until, payload FROM person_facts ORDER BY id_number, id")
        decisions = rows("SELECT id_number, decided_on, policy_pack, pack_version, eligible,"
                         " care_modes, target_groups, priority, digest, trigger"
                         " FROM decisions ORDER BY id_number")
        inbox = rows("SELECT event_id, handler, event_type FROM inbox ORDER BY event_id")
        pending = rows("SELECT id_number, kind FROM pending_facts ORDER BY id_number")
        outbox: dict[str, list] = {}
        for row in conn.execute(sa.text("SELECT aggregate_key, envelope FROM outbox"
                                        " ORDER BY seq")):
            envelope = json.loads(row.envelope)
            outbox.setdefault(row.aggregate_key, []).append((envelope["type"], envelope["data"]))
    return {"persons": persons, "facts": facts, "decisions": decisions, "inbox": inbox,
            "pending": pending, "outbox": outbox}


@pytest.fixture
def bulk_off(monkeypatch):
    def switch():
        monkeypatch.setattr(service_module, "register_new_certificates",
                            lambda uow, registry, today, events: events)
    return switch


def test_bulk_path_leaves_what_the_one_by_one_path_leaves(make_db, bulk_off):
    before, batch = _events()
    bulk = _run(make_db("doudi_eligibility"), before, batch, one_by_one=False)
    bulk_off()
    single = _run(make_db("doudi_eligibility"), before, batch, one_by_one=True)

    assert len(bulk["persons"]) == 40 + 3
    assert bulk["pending"] == [] and single["pending"] == []
    for part in ("persons", "facts", "decisions", "inbox", "outbox"):
        assert bulk[part] == single[part], part
    types = [t for events in bulk["outbox"].values() for t, _data in events]
    assert types.count("person.registered") == 43
    assert "eligibility.changed" in types, "the stream should make someone eligible"


def test_bulk_path_takes_only_unknown_people(make_db):
    """Who goes the set-based way: new people once in the batch; the others are
    handed back in order."""
    from doudi_eligibility.store.ingest import register_new_certificates

    before, batch = _events()
    core = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility",
                        metadata)
    service = worker_factory(EligibilityService, clock=CLOCK)
    try:
        for event in before:
            with core.unit_of_work() as uow:
                service.db = uow
                (service.on_cdpf if event["source"].startswith("cdpf")
                 else service.on_health)([event])
        with core.unit_of_work() as uow:
            rest = register_new_certificates(uow, REGISTRY, TODAY, batch)
        assert [e["id"] for e in rest] == [batch[i]["id"] for i in (5, 9, 12, 20)]
    finally:
        core.dispose()
