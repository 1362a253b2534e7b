"""Helpers every part of the services-log store shares: ids, paging, ISO and money
dumps, counters, what is known of a person (name, division, death)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from doudi_common.errors import NotFound
from doudi_common.ids import (
    mask_id_number,
    validate_division_code,
)
from doudi_common.paging import offset_of, page_args
from doudi_common.queries import next_number

from doudi_services_log.domain.records import (
    MAX_MINUTES,
)
from doudi_services_log.models import (
    cards,
    counters,
    deaths,
    person_directory,
    schedules,
)

MAX_RECORD_SPAN = timedelta(minutes=MAX_MINUTES)


# -- small helpers ----------------------------------------------------------------

def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20].upper()}"


def paginate(session, query: sa.Select, order_by, page: int, per_page: int, dump) -> dict:
    page, per_page = page_args(page, per_page)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(*order_by).limit(per_page)
                           .offset(offset_of(page, per_page))).all()
    return {"items": [dump(r._mapping) for r in rows], "page": page, "per_page": per_page,
            "total": total}


def next_counter(session, name: str) -> int:
    """The next number of a race-free counter (service card numbers)."""
    return next_number(session, counters, name)


def person_name(session, id_number: str) -> str | None:
    return session.execute(sa.select(person_directory.c.name)
                           .where(person_directory.c.id_number == id_number)).scalar()


def person_division(session, id_number: str, given: str | None = None) -> str:
    if given is not None:
        return validate_division_code(given)
    code = session.execute(sa.select(cards.c.division_code)
                           .where(cards.c.id_number == id_number)).scalar()
    if code is None:
        code = session.execute(sa.select(person_directory.c.division_code)
                               .where(person_directory.c.id_number == id_number)).scalar()
    if code is None:
        code = session.execute(sa.select(schedules.c.division_code)
                               .where(schedules.c.id_number == id_number).limit(1)).scalar()
    if code is None:
        raise NotFound(f"未找到该人员的行政区划（{mask_id_number(id_number)}），"
                       "请提供 division_code",
                       reason="unknown_person")
    return code


def death_of(session, id_number: str) -> date | None:
    return session.execute(sa.select(deaths.c.date_of_death)
                           .where(deaths.c.id_number == id_number)).scalar()
