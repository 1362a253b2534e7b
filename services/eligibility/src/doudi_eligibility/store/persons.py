"""Persons and their dated facts (append-only), and facts about people not
registered yet (parked until someone registers them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.ids import division_prefix, mask_id_number
from doudi_common.queries import fetch_page
from doudi_common.serialize import to_jsonable

from doudi_eligibility.domain.person import Fact, Identity
from doudi_eligibility.models import (
    decisions,
    enrolments,
    pending_facts,
    person_facts,
    persons,
)

# built once: SQLAlchemy then reuses the statement's cache key and compiled form
_PERSON = sa.select(persons).where(persons.c.id_number == sa.bindparam("id_number"))
_PERSON_LOCKED = _PERSON.with_for_update()
_FACTS = (sa.select(person_facts).where(person_facts.c.id_number == sa.bindparam("id_number"))
          .order_by(person_facts.c.id))
_FACTS_KNOWN = (sa.select(person_facts)
                .where(person_facts.c.id_number == sa.bindparam("id_number"),
                       person_facts.c.recorded_at <= sa.bindparam("known_at"))
                .order_by(person_facts.c.id))


def _in_care(*extra) -> sa.ColumnElement[bool]:
    return sa.exists().where(enrolments.c.id_number == persons.c.id_number,
                             enrolments.c.status == "active", *extra)


def _holds_hardship(status: str, on: date) -> sa.ColumnElement[bool]:
    held = person_facts.alias("held")
    ended = person_facts.alias("ended")
    return sa.exists().where(
        held.c.id_number == persons.c.id_number, held.c.kind == "hardship",
        held.c.payload["status"].as_string() == status,
        sa.or_(held.c.valid_from.is_(None), held.c.valid_from <= on),
        sa.or_(held.c.valid_until.is_(None), held.c.valid_until >= on),
        ~sa.exists().where(ended.c.id_number == held.c.id_number,
                           ended.c.kind == "hardship_ended",
                           ended.c.payload["status"].as_string() == status,
                           ended.c.valid_from <= on,
                           sa.or_(held.c.valid_from.is_(None),
                                  ended.c.valid_from >= held.c.valid_from)))


def get_person_row(session, id_number: str, lock: bool = False) -> dict:
    row = session.execute(_PERSON_LOCKED if lock else _PERSON,
                          {"id_number": id_number}).first()
    if row is None:
        raise NotFound("未找到该人员", resource="person", id_number=mask_id_number(id_number))
    return dict(row._mapping)


def find_person_row(session, id_number: str, lock: bool = False) -> dict | None:
    row = session.execute(_PERSON_LOCKED if lock else _PERSON,
                          {"id_number": id_number}).first()
    return dict(row._mapping) if row is not None else None


def insert_person(session, identity: Identity, registration: str | None) -> None:
    now = utcnow()
    session.execute(sa.insert(persons).values(
        id_number=identity.id_number, name=identity.name, birth_date=identity.birth_date,
        sex=identity.sex, division_code=identity.division_code,
        registration=registration, created_at=now, updated_at=now))


def update_person(session, id_number: str, **values: Any) -> None:
    session.execute(sa.update(persons).where(persons.c.id_number == id_number)
                    .values(updated_at=utcnow(), **values))


def set_deceased(session, id_number: str, died: date, touch: bool = True) -> None:
    values: dict[str, Any] = {"deceased_on": died}
    if touch:
        values["updated_at"] = utcnow()
    session.execute(sa.update(persons).where(persons.c.id_number == id_number).values(**values))


def _fact(row) -> Fact:
    return Fact(kind=row.kind, source=row.source, valid_from=row.valid_from,
                valid_until=row.valid_until, payload=row.payload,
                source_event_id=row.source_event_id, seq=row.id,
                reported_at=row.reported_at or row.recorded_at)


def load_facts(session, id_number: str, known_at: datetime | None = None) -> list[Fact]:
    """The person's fact history; with ``known_at`` only what had been recorded
    by then (to replay what a past decision could know)."""
    if known_at is None:
        rows = session.execute(_FACTS, {"id_number": id_number})
    else:
        rows = session.execute(_FACTS_KNOWN, {"id_number": id_number, "known_at": known_at})
    return [_fact(r) for r in rows]


def fact_rows(db, id_number: str) -> list[dict]:
    """The person's facts as stored (for the person's reply)."""
    return [dict(f._mapping) for f in db.execute(_FACTS, {"id_number": id_number}).all()]


def fact_values(id_number: str, fact: Fact, now: datetime) -> dict[str, Any]:
    """A fact as a row of person_facts or pending_facts, recorded ``now``."""
    return {"id_number": id_number, "kind": fact.kind, "source": fact.source,
            "source_event_id": fact.source_event_id, "valid_from": fact.valid_from,
            "valid_until": fact.valid_until, "recorded_at": now,
            "reported_at": fact.reported_at or now, "payload": to_jsonable(fact.payload)}


def add_fact(session, id_number: str, fact: Fact) -> int:
    return session.execute(sa.insert(person_facts).values(
        **fact_values(id_number, fact, utcnow())).returning(person_facts.c.id)).scalar_one()


def park_fact(session, id_number: str, fact: Fact) -> None:
    """Keep a fact about a person not registered yet."""
    session.execute(sa.insert(pending_facts).values(**fact_values(id_number, fact, utcnow())))


def adopt_pending_facts(session, id_number: str) -> list[Fact]:
    """Move parked facts into the person's history (in arrival order, with
    their original recording time); returns them."""
    rows = session.execute(sa.select(pending_facts).where(pending_facts.c.id_number == id_number)
                           .order_by(pending_facts.c.id).with_for_update()).all()
    for r in rows:
        session.execute(sa.insert(person_facts).values(
            id_number=id_number, kind=r.kind, source=r.source, source_event_id=r.source_event_id,
            valid_from=r.valid_from, valid_until=r.valid_until, recorded_at=r.recorded_at,
            reported_at=r.reported_at or r.recorded_at, payload=r.payload))
    if rows:
        session.execute(sa.delete(pending_facts).where(pending_facts.c.id_number == id_number))
    return [_fact(r) for r in rows]


def latest_facts_of_kind(session, id_number: str, kind: str) -> list[tuple]:
    """(source, valid_from, valid_until, payload) of the person's facts of
    ``kind``, newest first."""
    return [tuple(r) for r in session.execute(
        sa.select(person_facts.c.source, person_facts.c.valid_from, person_facts.c.valid_until,
                  person_facts.c.payload)
        .where(person_facts.c.id_number == id_number, person_facts.c.kind == kind)
        .order_by(person_facts.c.id.desc())).all()]


def list_persons(session, *, division_prefix_: str | None, eligible: bool | None,
                 name: str | None, page: int, per_page: int, hardship: str | None = None,
                 care_mode: str | None = None, enrolled: bool | None = None,
                 alive: bool | None = None, on: date | None = None) -> tuple[list[dict], int]:
    """A page of persons with their last decision. ``hardship``: holds that
    status on ``on`` (a hardship fact in force, not ended since); ``care_mode``:
    in care that way now; ``enrolled``: in care (any way) or not; ``alive``: no
    death recorded (as the caseload figures count them) or one recorded."""
    conds = []
    if alive is not None:
        died = persons.c.deceased_on
        conds.append(died.is_(None) if alive else died.is_not(None))
    if division_prefix_:
        conds.append(persons.c.division_code.like(f"{division_prefix(division_prefix_)}%"))
    if eligible is not None:
        conds.append(decisions.c.eligible.is_(bool(eligible)))
    if name:
        conds.append(persons.c.name.like(f"%{name}%"))
    if hardship:
        conds.append(_holds_hardship(hardship, on or date.today()))
    if care_mode:
        conds.append(_in_care(enrolments.c.care_mode == care_mode))
    if enrolled is not None:
        conds.append(_in_care() if enrolled else ~_in_care())
    query = (sa.select(persons.c.id_number, persons.c.name, persons.c.division_code,
                       persons.c.registration, persons.c.deceased_on, decisions.c.eligible,
                       decisions.c.care_modes, decisions.c.policy_pack, decisions.c.priority)
             .outerjoin(decisions, decisions.c.id_number == persons.c.id_number).where(*conds)
             .order_by(persons.c.division_code, persons.c.id_number))
    return fetch_page(session, query, page, per_page)
