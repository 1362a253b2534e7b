"""Set-based handling of CDPF certificates for people not in the register yet.

That is the bulk of a department's stream when a jurisdiction joins or CDPF
sends its back catalogue, and one-by-one handling costs about ten statements per
event. Here a whole batch of such certificates takes a handful of statements:
one look-up of who is known, then one multi-row insert each for persons, facts
and decisions, and one for the outbox.

The rows and events are the same as the one-by-one path
(``service.departments`` ``_certificate``: register → fact → decide), which
``tests/service/test_eligibility_ingest_batch.py`` checks by running one stream both ways.
Anything else — a person already registered or with parked facts, a second
event for the same person in the batch, an event that fails its checks — is
returned untouched, in order, for the one-by-one path. A person registered
concurrently (by a clerk) between the look-up and the insert makes the insert
fail; the subscriber then rolls the batch back and handles its events one by one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import DoudiError
from doudi_common.logs import get_logger
from doudi_common.queries import any_of, insert_rows

from doudi_eligibility.domain.decision import changed_event, decide, is_news
from doudi_eligibility.domain.packs import PackRegistry
from doudi_eligibility.domain.person import fact_from_event, identity_from, snapshot
from doudi_eligibility.models import decisions, pending_facts, person_facts, persons
from doudi_eligibility.store.decisions import decision_values
from doudi_eligibility.store.persons import fact_values

log = get_logger(__name__)

CERTIFICATES = frozenset({"certificate.issued", "certificate.changed"})


def _person_key(event: dict) -> str:
    return str(event["data"].get("id_number", "")).upper()


def register_new_certificates(uow, registry: PackRegistry, today: date,
                              events: list[dict]) -> list[dict]:
    """Register, record and decide in bulk every certificate event in ``events``
    about a person not known yet; returns the other events, in order."""
    mentions = Counter(_person_key(e) for e in events)
    identities = {}
    for event in events:
        if event["type"] not in CERTIFICATES or mentions[_person_key(event)] != 1:
            continue
        data = event["data"]
        try:
            identities[event["id"]] = identity_from(data["id_number"], data["name"],
                                                    data["division_code"])
        except DoudiError:
            continue  # the one-by-one path refuses it with its reason
    if not identities:
        return events

    session = uow.session
    wanted = [identity.id_number for identity in identities.values()]
    known = set(session.execute(sa.select(persons.c.id_number)
                                .where(any_of(session, persons.c.id_number, wanted))).scalars())
    known.update(session.execute(sa.select(pending_facts.c.id_number)
                                 .where(any_of(session, pending_facts.c.id_number, wanted))
                                 ).scalars())
    chosen = [(event, identities[event["id"]]) for event in events
              if event["id"] in identities and identities[event["id"]].id_number not in known]
    if not chosen:
        return events

    now = utcnow()
    person_rows, fact_rows, decision_rows, outgoing = [], [], [], []
    for event, identity in chosen:
        person = {"id_number": identity.id_number, "name": identity.name,
                  "birth_date": identity.birth_date, "sex": identity.sex,
                  "division_code": identity.division_code, "registration": None,
                  "deceased_on": None, "created_at": now, "updated_at": now}
        person_rows.append(person)
        fact = fact_from_event("cdpf", event["type"], event["id"], event["data"],
                               event.get("time"))
        row = fact_values(identity.id_number, fact, now)
        fact_rows.append(row)
        stored = replace(fact, payload=row["payload"])
        facts = snapshot(identity.birth_date, identity.division_code, None, [stored], today)
        # no explanation: what is stored and announced (outcome, clauses) does
        # not need it; ``evaluate`` explains on request
        decision = decide(registry.for_division(identity.division_code, today), facts,
                          explain=False)
        decision_rows.append({"id_number": identity.id_number,
                              **decision_values(decision, event["type"], now)})
        outgoing.append(("person.registered", {
            "id_number": identity.id_number, "name": identity.name,
            "birth_date": identity.birth_date, "sex": identity.sex,
            "division_code": identity.division_code, "source_event": event["id"],
        }, identity.division_code, identity.id_number))
        if is_news(None, decision):  # nothing stored yet
            outgoing.append(("eligibility.changed",
                             changed_event(person, decision, [], event["type"]),
                             identity.division_code, identity.id_number))
    # one statement each on PostgreSQL: the tally triggers (per statement)
    # upsert each division once for the whole batch
    for table, rows in ((persons, person_rows), (person_facts, fact_rows),
                        (decisions, decision_rows)):
        session.execute(*insert_rows(session, table, rows))
    uow.outbox.add_many(outgoing)
    log.info("persons registered from certificates", count=len(chosen))
    done = {event["id"] for event, _identity in chosen}
    return [event for event in events if event["id"] not in done]
