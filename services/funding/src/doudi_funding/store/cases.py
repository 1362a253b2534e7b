"""What funding knows of each person and case between settlements: cases
(placements, neighbour care), care levels, hospital stays, subsidies, self-pay
ratios, catalogue prices, closed months and the services owed to providers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.queries import row_by

from doudi_funding.models import (
    care_levels,
    cases,
    catalog_items,
    closed_months,
    hospital_stays,
    person_directory,
    person_subsidies,
    self_pay_ratios,
    service_lines,
)

# -- cases ---------------------------------------------------------------------------

def get_case(session, case_id: str) -> dict | None:
    return row_by(session, cases.c.case_id, case_id)


def case_exists(session, case_id: str) -> bool:
    return session.execute(sa.select(cases.c.case_id).where(cases.c.case_id == case_id)
                           ).first() is not None


def insert_case(session, **values: Any) -> None:
    session.execute(sa.insert(cases).values(updated_at=utcnow(), **values))


def end_case(session, case_id: str, end: date, reason: str) -> None:
    session.execute(sa.update(cases).where(cases.c.case_id == case_id).values(
        end_date=end, end_reason=reason, updated_at=utcnow()))


def case_ids_of(session, id_number: str, kinds=None) -> list[str]:
    q = sa.select(cases.c.case_id).where(cases.c.id_number == id_number)
    if kinds:
        q = q.where(cases.c.kind.in_(kinds))
    return list(session.execute(q).scalars())


def case_ids_at(session, institution_uscc: str) -> list[str]:
    return list(session.execute(sa.select(cases.c.case_id).where(
        cases.c.institution_uscc == institution_uscc)).scalars())


def open_case_of_kind(session, id_number: str, kind: str) -> dict | None:
    row = session.execute(sa.select(cases).where(
        cases.c.id_number == id_number, cases.c.kind == kind,
        cases.c.end_date.is_(None))).first()
    return dict(row._mapping) if row is not None else None


def division_of(session, id_number: str) -> str | None:
    """The person's division as funding knows it: from a case, else the
    person directory."""
    row = session.execute(sa.select(cases.c.division_code).where(
        cases.c.id_number == id_number)).first()
    if row is None:
        row = session.execute(sa.select(person_directory.c.division_code).where(
            person_directory.c.id_number == id_number)).first()
    return row[0] if row else None


# -- care levels ----------------------------------------------------------------------

def care_level_of(session, id_number: str) -> dict | None:
    return row_by(session, care_levels.c.id_number, id_number)


def save_care_level(session, id_number: str, **values: Any) -> None:
    """Insert or update the person's care level row (``values`` without
    ``updated_at``; the missing columns of a new row are empty)."""
    now = utcnow()
    if care_level_of(session, id_number) is None:
        session.execute(sa.insert(care_levels).values(
            id_number=id_number, **{"hardship": "", **values}, updated_at=now))
    else:
        session.execute(sa.update(care_levels).where(care_levels.c.id_number == id_number)
                        .values(**values, updated_at=now))


# -- hospital stays ---------------------------------------------------------------------

def add_hospital_stay(session, id_number: str, hospital_uscc: str, admitted_on: date,
                      event_id: str) -> None:
    session.execute(sa.insert(hospital_stays).values(
        id_number=id_number, hospital_uscc=hospital_uscc, admitted_on=admitted_on,
        event_id=event_id))


def close_hospital_stay(session, id_number: str, discharged_on: date) -> date | None:
    """End the person's latest open stay begun by ``discharged_on``; its
    admission date, or None when none is open."""
    hs = hospital_stays.c
    open_stay = session.execute(sa.select(hs.id, hs.admitted_on).where(
        hs.id_number == id_number, hs.discharged_on.is_(None),
        hs.admitted_on <= discharged_on).order_by(hs.admitted_on.desc())).first()
    if open_stay is None:
        return None
    session.execute(sa.update(hospital_stays).where(hs.id == open_stay.id)
                    .values(discharged_on=discharged_on))
    return open_stay.admitted_on


# -- subsidies and self-pay -------------------------------------------------------------

def stop_subsidies(session, id_number: str, kind: str, to_month: str) -> bool:
    """End the person's open grants of ``kind`` with ``to_month``; False when
    none was open."""
    ps = person_subsidies.c
    open_rows = session.execute(sa.select(ps.id).where(
        ps.id_number == id_number, ps.kind == kind,
        sa.or_(ps.to_month.is_(None), ps.to_month > to_month))).scalars().all()
    if not open_rows:
        return False
    session.execute(sa.update(person_subsidies).where(ps.id.in_(open_rows))
                    .values(to_month=to_month))
    return True


def add_self_pay_ratio(session, **values: Any) -> None:
    session.execute(sa.insert(self_pay_ratios).values(recorded_at=utcnow(), **values))


# -- catalogue prices ---------------------------------------------------------------------

def replace_catalog_price(session, key: dict, values: dict) -> None:
    """The price of an institution's item from a date, as institutions announced it."""
    session.execute(sa.delete(catalog_items).where(
        *[getattr(catalog_items.c, k) == v for k, v in key.items()]))
    session.execute(sa.insert(catalog_items).values(**key, **values, recorded_at=utcnow()))


# -- closed months and services owed ------------------------------------------------------

def month_closed(session, close_key: str, month: str) -> bool:
    return session.execute(sa.select(closed_months.c.month).where(
        closed_months.c.close_key == close_key,
        closed_months.c.month == month)).first() is not None


def record_month_closed(session, close_key: str, month: str, event_id: str,
                        closed_at: datetime) -> None:
    session.execute(sa.insert(closed_months).values(
        close_key=close_key, month=month, event_id=event_id, closed_at=closed_at))


def add_service_lines(session, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(service_lines), rows)


def service_batch_number(session, county: str) -> int:
    """The number of the next batch of service payments of the county (the
    payments already made, by reference, plus one; the month-close consumer
    pays one batch at a time)."""
    return session.execute(sa.select(sa.func.count(sa.distinct(service_lines.c.paid_ref)))
                           .where(service_lines.c.county == county)).scalar_one() + 1
