"""Storage for eligibility: rows <-> domain objects, and the re-decision that
both the service and the benchmark use. Takes a unit of work (``uow.session``,
``uow.outbox``); commits nothing itself."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.ids import mask_id_number
from doudi_common.serialize import to_jsonable
from sqlalchemy.orm import Session

from doudi_eligibility.domain.decision import Decision, decide
from doudi_eligibility.domain.packs import PackRegistry
from doudi_eligibility.domain.person import Fact, PersonFacts, snapshot
from doudi_eligibility.models import counters, decisions, pending_facts, person_facts, persons


def next_number(session, name: str) -> int:
    """A gap-free counter per ``name``: created race-free (ON CONFLICT DO NOTHING),
    then incremented under its row lock (PostgreSQL; SQLite serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(counters).values(name=name, value=0).on_conflict_do_nothing())
    value = session.execute(sa.select(counters.c.value).where(counters.c.name == name)
                            .with_for_update()).scalar_one() + 1
    session.execute(sa.update(counters).where(counters.c.name == name).values(value=value))
    return value


# built once: SQLAlchemy then reuses the statement's cache key and compiled form
_PERSON = sa.select(persons).where(persons.c.id_number == sa.bindparam("id_number"))
_PERSON_LOCKED = _PERSON.with_for_update()
_FACTS = (sa.select(person_facts).where(person_facts.c.id_number == sa.bindparam("id_number"))
          .order_by(person_facts.c.id))
_FACTS_KNOWN = (sa.select(person_facts)
                .where(person_facts.c.id_number == sa.bindparam("id_number"),
                       person_facts.c.recorded_at <= sa.bindparam("known_at"))
                .order_by(person_facts.c.id))


def get_person_row(session, id_number: str, lock: bool = False) -> dict:
    row = session.execute(_PERSON_LOCKED if lock else _PERSON,
                          {"id_number": id_number}).first()
    if row is None:
        raise NotFound("未找到该人员", resource="person", id_number=mask_id_number(id_number))
    return dict(row._mapping)


def _fact(row) -> Fact:
    return Fact(kind=row.kind, source=row.source, valid_from=row.valid_from,
                valid_until=row.valid_until, payload=row.payload,
                source_event_id=row.source_event_id, seq=row.id)


def load_facts(session, id_number: str, known_at: datetime | None = None) -> list[Fact]:
    """The person's fact history; with ``known_at`` only what had been recorded
    by then (to replay what a past decision could know)."""
    if known_at is None:
        rows = session.execute(_FACTS, {"id_number": id_number})
    else:
        rows = session.execute(_FACTS_KNOWN, {"id_number": id_number, "known_at": known_at})
    return [_fact(r) for r in rows]


def add_fact(session, id_number: str, fact: Fact) -> int:
    return session.execute(sa.insert(person_facts).values(
        id_number=id_number, kind=fact.kind, source=fact.source,
        source_event_id=fact.source_event_id, valid_from=fact.valid_from,
        valid_until=fact.valid_until, recorded_at=utcnow(),
        payload=to_jsonable(fact.payload)).returning(person_facts.c.id)).scalar_one()


def park_fact(session, id_number: str, fact: Fact) -> None:
    """Keep a fact about a person not registered yet."""
    session.execute(sa.insert(pending_facts).values(
        id_number=id_number, kind=fact.kind, source=fact.source,
        source_event_id=fact.source_event_id, valid_from=fact.valid_from,
        valid_until=fact.valid_until, recorded_at=utcnow(), payload=to_jsonable(fact.payload)))


def adopt_pending_facts(session, id_number: str) -> list[Fact]:
    """Move parked facts into the person's history (in arrival order, with
    their original recording time); returns them."""
    rows = session.execute(sa.select(pending_facts).where(pending_facts.c.id_number == id_number)
                           .order_by(pending_facts.c.id).with_for_update()).all()
    for r in rows:
        session.execute(sa.insert(person_facts).values(
            id_number=id_number, kind=r.kind, source=r.source, source_event_id=r.source_event_id,
            valid_from=r.valid_from, valid_until=r.valid_until, recorded_at=r.recorded_at,
            payload=r.payload))
    if rows:
        session.execute(sa.delete(pending_facts).where(pending_facts.c.id_number == id_number))
    return [_fact(r) for r in rows]


def add_fact_once(session, id_number: str, fact: Fact) -> bool:
    """Add ``fact`` unless the same fact (kind, source, dates, payload) is the
    latest of its kind already: registering the same household twice is no news."""
    payload = to_jsonable(fact.payload)
    latest = session.execute(
        sa.select(person_facts.c.source, person_facts.c.valid_from, person_facts.c.valid_until,
                  person_facts.c.payload)
        .where(person_facts.c.id_number == id_number, person_facts.c.kind == fact.kind)
        .order_by(person_facts.c.id.desc())).all()
    for row in latest:
        if (row.source, row.valid_from, row.valid_until, row.payload) == (
                fact.source, fact.valid_from, fact.valid_until, payload):
            return False
        if fact.kind == "household":
            break  # only the latest household counts
    add_fact(session, id_number, fact)
    return True


def person_snapshot(session, person: dict, on: date,
                    known_at: datetime | None = None) -> PersonFacts:
    return snapshot(person["birth_date"], person["division_code"], person.get("registration"),
                    load_facts(session, person["id_number"], known_at), on)


def evaluate(session, registry: PackRegistry, person: dict, on: date,
             explain: bool = True, known_at: datetime | None = None
             ) -> tuple[Decision, PersonFacts]:
    pf = person_snapshot(session, person, on, known_at)
    pack = registry.for_division(person["division_code"], on)
    return decide(pack, pf, explain=explain), pf


# -- the evaluate RPC: decisions with explanation, remembered per facts version ----------
#
# Facts are only ever added (``person_facts`` rows are never updated or
# deleted), so a person's facts as of a transaction are named by their number
# and highest id (with ``known_at``: of those recorded by then). Together with
# the person's columns a decision reads (``person_snapshot``: birth date,
# division, registration), the date, ``known_at`` and the pack registry, that
# names the decision exactly: ``decide`` is pure.

def _fact_state(*conds):
    f = person_facts.c
    where = (f.id_number == persons.c.id_number, *conds)
    return (sa.select(sa.func.count()).select_from(person_facts).where(*where)
            .scalar_subquery().label("fact_count"),
            sa.select(sa.func.max(f.id)).where(*where).scalar_subquery().label("fact_last"))


_DECIDING = (persons.c.birth_date, persons.c.division_code, persons.c.registration)
_EVAL_STATE = (sa.select(*_DECIDING, *_fact_state())
               .where(persons.c.id_number == sa.bindparam("id_number")))
_EVAL_STATE_KNOWN = (sa.select(*_DECIDING, *_fact_state(
    person_facts.c.recorded_at <= sa.bindparam("known_at")))
    .where(persons.c.id_number == sa.bindparam("id_number")))

EVALUATIONS_MAX = 4096
_evaluations: dict[tuple, dict] = {}


def evaluation(db, registry: PackRegistry, id_number: str, on: date,
               known_at: datetime | None = None) -> dict:
    """``decide(...).to_dict(id_number)`` with explanation for the person on
    ``on`` (facts known by ``known_at``), NotFound if not registered. One query
    finds the person and their facts version; the facts are loaded and decided
    only when that version was not evaluated before (in this process). The
    answer is shared: copy before changing it."""
    if known_at is None:
        row = db.execute(_EVAL_STATE, {"id_number": id_number}).first()
    else:
        row = db.execute(_EVAL_STATE_KNOWN, {"id_number": id_number,
                                             "known_at": known_at}).first()
    if row is None:
        raise NotFound("未找到该人员", resource="person", id_number=mask_id_number(id_number))
    # the database too: fact ids restart in another database (tests run many
    # in one process); objects themselves, not id()s, which can be reused
    engine = db.get_bind().engine if isinstance(db, Session) else db.engine
    key = (engine, id_number, tuple(row), on, known_at, registry)
    hit = _evaluations.get(key)
    if hit is None:
        person = {"id_number": id_number, "birth_date": row.birth_date,
                  "division_code": row.division_code, "registration": row.registration}
        decision, _ = evaluate(db, registry, person, on, known_at=known_at)
        hit = decision.to_dict(id_number)
        if len(_evaluations) >= EVALUATIONS_MAX:
            _evaluations.clear()
        _evaluations[key] = hit
    return hit


def stored_decision(session, id_number: str) -> dict | None:
    row = session.execute(sa.select(decisions).where(decisions.c.id_number == id_number)).first()
    return dict(row._mapping) if row else None


def _decision_values(decision: Decision, trigger: str, now: datetime) -> dict:
    o = decision.outcome
    return {"decided_on": decision.on, "policy_pack": o.policy_pack,
            "pack_version": o.pack_version, "eligible": o.eligible,
            "care_modes": list(o.care_modes), "target_groups": list(o.target_groups),
            "priority": o.priority, "digest": o.digest, "trigger": trigger, "decided_at": now}


def changed_event(person: dict, decision: Decision, previous_modes: list[str],
                  trigger: str) -> dict:
    o = decision.outcome
    return {"id_number": person["id_number"], "division_code": person["division_code"],
            "decided_on": decision.on, "policy_pack": o.policy_pack,
            "pack_version": o.pack_version, "eligible": o.eligible,
            "care_modes": list(o.care_modes), "previous_care_modes": list(previous_modes),
            "target_groups": list(o.target_groups), "priority": o.priority,
            "clauses": decision.clauses, "trigger": trigger[:64]}


def record_decision(uow, person: dict, decision: Decision, trigger: str) -> bool:
    """Store the decision; emit ``eligibility.changed`` only when the outcome
    differs from the stored one (no stored one = not eligible). True if changed."""
    session = uow.session
    previous = stored_decision(session, person["id_number"])
    values = _decision_values(decision, trigger, utcnow())
    if previous is None:
        session.execute(sa.insert(decisions).values(id_number=person["id_number"], **values))
        changed = decision.outcome.eligible
        previous_modes: list[str] = []
    else:
        changed = previous["digest"] != decision.outcome.digest
        previous_modes = previous["care_modes"]
        if changed:
            session.execute(sa.update(decisions)
                            .where(decisions.c.id_number == person["id_number"]).values(**values))
    if changed:
        uow.outbox.add("eligibility.changed",
                       changed_event(person, decision, previous_modes, trigger),
                       division_code=person["division_code"], key=person["id_number"])
    return changed


def redecide_persons(uow, registry: PackRegistry, on: date, id_numbers: Iterable[str] | None = None,
                     division_prefix: str | None = None, trigger: str = "pack.changed",
                     batch_size: int = 2000) -> dict:
    """Re-decide many persons in batches (after a pack change). Persons are read
    in ID-number order by key ranges, with their facts and stored decisions by
    the same range (index range scans, no long IN lists); only changed outcomes
    are written and announced (``eligibility.changed``, one multi-row insert per
    batch)."""
    session = uow.session
    wanted = set(id_numbers) if id_numbers is not None else None
    total = changed = 0
    now = utcnow()
    last = ""
    while True:
        stmt = sa.select(persons).where(persons.c.id_number > last)
        if division_prefix:
            stmt = stmt.where(persons.c.division_code.like(f"{division_prefix}%"))
        if wanted is not None:
            stmt = stmt.where(persons.c.id_number.in_(sorted(wanted)))
        rows = session.execute(stmt.order_by(persons.c.id_number).limit(batch_size)).all()
        if not rows:
            break
        people = {r.id_number: dict(r._mapping) for r in rows}
        low, last = rows[0].id_number, rows[-1].id_number
        facts: dict[str, list[Fact]] = {i: [] for i in people}
        parsed: dict[str, dict] = {}
        c = person_facts.c
        for r in session.execute(
                sa.select(c.id_number, c.id, c.kind, c.source, c.valid_from, c.valid_until,
                          sa.cast(c.payload, sa.Text))
                .where(c.id_number.between(low, last)).order_by(c.id)).all():
            mine = facts.get(r[0])
            if mine is None:
                continue
            payload = parsed.get(r[6])
            if payload is None:
                payload = parsed[r[6]] = json.loads(r[6])
            mine.append(Fact(r[2], r[3], r[4], r[5], payload, None, r[1]))
        stored = {r[0]: (r[1], r[2]) for r in session.execute(
            sa.select(decisions.c.id_number, decisions.c.digest,
                      sa.cast(decisions.c.care_modes, sa.Text))
            .where(decisions.c.id_number.between(low, last))).all()}
        inserts, updates, events = [], [], []
        for id_number, person in people.items():
            pf = snapshot(person["birth_date"], person["division_code"],
                          person.get("registration"), facts[id_number], on)
            decision = decide(registry.for_division(person["division_code"], on), pf,
                              explain=False)
            total += 1
            old = stored.get(id_number)
            if old is not None and old[0] == decision.outcome.digest:
                continue
            values = _decision_values(decision, trigger, now)
            if old is None:
                inserts.append({"id_number": id_number, **values})
                if not decision.outcome.eligible:
                    continue  # never eligible, still not: nothing to announce
            else:
                updates.append({"b_id": id_number, **{f"v_{k}": v for k, v in values.items()}})
            events.append(("eligibility.changed",
                           changed_event(person, decision, json.loads(old[1]) if old else [],
                                         trigger),
                           person["division_code"], id_number))
            changed += 1
        uow.outbox.add_many(events)
        if inserts:
            session.execute(sa.insert(decisions), inserts)
        if updates:
            session.execute(
                sa.update(decisions).where(decisions.c.id_number == sa.bindparam("b_id"))
                .values({k[2:]: sa.bindparam(k) for k in updates[0] if k != "b_id"}), updates)
    return {"persons": total, "changed": changed}
