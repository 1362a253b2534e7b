"""The stored decision per person, evaluation with explanation (remembered per
facts version), and re-decision of many persons in batches."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.ids import mask_id_number
from doudi_common.queries import next_number
from sqlalchemy.orm import Session

from doudi_eligibility.domain.decision import Decision, changed_event, decide, is_news
from doudi_eligibility.domain.packs import PackRegistry
from doudi_eligibility.domain.person import Fact, PersonFacts, snapshot
from doudi_eligibility.models import counters, decisions, person_facts, persons
from doudi_eligibility.store.persons import load_facts


def next_in_sequence(session, name: str) -> int:
    """The next number of a gap-free, race-free sequence (applications, decisions,
    enrolments)."""
    return next_number(session, counters, name)


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


def decision_values(decision: Decision, trigger: str, now: datetime) -> dict:
    """The ``decisions`` row of ``decision`` (without the ID number)."""
    o = decision.outcome
    return {"decided_on": decision.on, "policy_pack": o.policy_pack,
            "pack_version": o.pack_version, "eligible": o.eligible,
            "care_modes": list(o.care_modes), "target_groups": list(o.target_groups),
            "priority": o.priority, "digest": o.digest, "trigger": trigger, "decided_at": now}


def record_decision(uow, person: dict, decision: Decision, trigger: str) -> bool:
    """Store the decision; emit ``eligibility.changed`` when it is news
    (``domain.decision.is_news``). True if it was."""
    session = uow.session
    previous = stored_decision(session, person["id_number"])
    values = decision_values(decision, trigger, utcnow())
    changed = is_news(previous["digest"] if previous else None, decision)
    if previous is None:
        session.execute(sa.insert(decisions).values(id_number=person["id_number"], **values))
    elif changed:
        session.execute(sa.update(decisions)
                        .where(decisions.c.id_number == person["id_number"]).values(**values))
    if changed:
        uow.outbox.add("eligibility.changed",
                       changed_event(person, decision,
                                     previous["care_modes"] if previous else [], trigger),
                       division_code=person["division_code"], key=person["id_number"])
    return changed


def _facts_between(session, people: dict, low: str, high: str) -> dict[str, list[Fact]]:
    """The facts of ``people`` (an ID-number range), parsed once per payload text."""
    facts: dict[str, list[Fact]] = {i: [] for i in people}
    parsed: dict[str, dict] = {}
    c = person_facts.c
    for r in session.execute(
            sa.select(c.id_number, c.id, c.kind, c.source, c.valid_from, c.valid_until,
                      sa.cast(c.payload, sa.Text))
            .where(c.id_number.between(low, high)).order_by(c.id)).all():
        mine = facts.get(r[0])
        if mine is None:
            continue
        payload = parsed.get(r[6])
        if payload is None:
            payload = parsed[r[6]] = json.loads(r[6])
        mine.append(Fact(r[2], r[3], r[4], r[5], payload, None, r[1]))
    return facts


def _person_batches(session, wanted: set[str] | None, division_prefix: str | None,
                    batch_size: int):
    """Persons in ID-number order, ``batch_size`` at a time (key ranges)."""
    last = ""
    while True:
        stmt = sa.select(persons).where(persons.c.id_number > last)
        if division_prefix:
            stmt = stmt.where(persons.c.division_code.like(f"{division_prefix}%"))
        if wanted is not None:
            stmt = stmt.where(persons.c.id_number.in_(sorted(wanted)))
        rows = session.execute(stmt.order_by(persons.c.id_number).limit(batch_size)).all()
        if not rows:
            return
        last = rows[-1].id_number
        yield {r.id_number: dict(r._mapping) for r in rows}, rows[0].id_number, last


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
    for people, low, high in _person_batches(session, wanted, division_prefix, batch_size):
        facts = _facts_between(session, people, low, high)
        stored = {r[0]: (r[1], r[2]) for r in session.execute(
            sa.select(decisions.c.id_number, decisions.c.digest,
                      sa.cast(decisions.c.care_modes, sa.Text))
            .where(decisions.c.id_number.between(low, high))).all()}
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
            values = decision_values(decision, trigger, now)
            if old is None:
                inserts.append({"id_number": id_number, **values})
            else:
                updates.append({"b_id": id_number, **{f"v_{k}": v for k, v in values.items()}})
            if not is_news(old[0] if old else None, decision):
                continue  # never eligible, still not: nothing to announce
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
