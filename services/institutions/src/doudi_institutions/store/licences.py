"""Licences and designation agreements."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow

from doudi_institutions.models import (
    designations,
    institutions,
    licences,
)
from doudi_institutions.store.shared import in_division


def licences_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(licences).where(licences.c.institution_id == inst_id)
        .order_by(licences.c.id)).all()]


def insert_licence(session, inst_id: int, kind: str, number: str, issuer: str,
                   valid_from: date, valid_until: date | None) -> dict:
    pk = session.execute(sa.insert(licences).values(
        institution_id=inst_id, kind=kind, number=number, issuer=issuer,
        valid_from=valid_from, valid_until=valid_until, created_at=utcnow())
        .returning(licences.c.id)).scalar_one()
    return dict(session.execute(sa.select(licences).where(licences.c.id == pk))
                .first()._mapping)


def set_licence_alerted(session, licence_id: int, until: date) -> None:
    session.execute(sa.update(licences).where(licences.c.id == licence_id)
                    .values(alerted_until=until))


def licences_expiring(session, division_code=None) -> list[dict]:
    """Licences with an end date of institutions not closed, with the institution."""
    query = (sa.select(licences, institutions.c.uscc, institutions.c.name,
                       institutions.c.division_code)
             .join(institutions, institutions.c.id == licences.c.institution_id)
             .where(institutions.c.status != "closed", licences.c.valid_until.is_not(None))
             .order_by(licences.c.valid_until, licences.c.id))
    return [dict(r._mapping) for r in session.execute(in_division(query, division_code)).all()]


def designations_signed(session, division_code=None) -> list[dict]:
    """Signed designations of institutions not closed, with the institution."""
    query = (sa.select(designations, institutions.c.id.label("institution_id"),
                       institutions.c.name, institutions.c.division_code)
             .join(institutions, institutions.c.uscc == designations.c.uscc)
             .where(institutions.c.status != "closed", designations.c.status == "signed")
             .order_by(designations.c.valid_until))
    return [dict(r._mapping) for r in session.execute(in_division(query, division_code)).all()]


def designations_of(session, uscc: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(designations).where(designations.c.uscc == uscc)).all()]


def designations_newest_first(session, uscc: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(designations).where(designations.c.uscc == uscc)
        .order_by(designations.c.valid_from.desc())).all()]


def save_designation(session, uscc: str, agreement_no: str, **values) -> None:
    key = (designations.c.uscc == uscc) & (designations.c.agreement_no == agreement_no)
    values["updated_at"] = utcnow()
    if session.execute(sa.select(designations.c.uscc).where(key)).first():
        session.execute(sa.update(designations).where(key).values(**values))
    else:
        session.execute(sa.insert(designations).values(
            uscc=uscc, agreement_no=agreement_no, **values))
