"""Inspections, findings and overdue notices."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow

from doudi_institutions.models import (
    findings,
    inspections,
    institutions,
    overdue_notices,
)
from doudi_institutions.store.shared import in_division


def inspection_row(session, pk: int) -> dict | None:
    row = session.execute(sa.select(inspections, institutions.c.uscc).join(
        institutions, institutions.c.id == inspections.c.institution_id)
        .where(inspections.c.id == pk)).first()
    return dict(row._mapping) if row else None


def findings_of(session, inspection_id: int) -> list[dict]:
    return [dict(f._mapping) for f in session.execute(
        sa.select(findings).where(findings.c.inspection_id == inspection_id)
        .order_by(findings.c.id)).all()]


def insert_inspection(session, inst_id: int, kind: str, inspected_on: date, inspector,
                      result: str, notes) -> int:
    return session.execute(sa.insert(inspections).values(
        institution_id=inst_id, kind=kind, inspected_on=inspected_on, inspector=inspector,
        result=result, notes=notes, created_at=utcnow()).returning(inspections.c.id)
    ).scalar_one()


def update_inspection(session, pk: int, **values) -> None:
    session.execute(sa.update(inspections).where(inspections.c.id == pk).values(**values))


def insert_finding(session, inspection_id: int, severity: str, description: str,
                   rectify_by: date) -> None:
    session.execute(sa.insert(findings).values(
        inspection_id=inspection_id, severity=severity, description=description,
        rectify_by=rectify_by))


def finding_row(session, finding_id: int):
    return session.execute(sa.select(findings).where(findings.c.id == finding_id)).first()


def rectify_finding(session, finding_id: int, on: date, signed_off_by) -> None:
    session.execute(sa.update(findings).where(findings.c.id == finding_id).values(
        rectified_on=on, signed_off_by=signed_off_by))


def inspections_query(uscc=None, kind=None, division_code=None):
    query = (sa.select(inspections, institutions.c.uscc)
             .join(institutions, institutions.c.id == inspections.c.institution_id)
             .order_by(inspections.c.inspected_on.desc(), inspections.c.id.desc()))
    query = in_division(query, division_code)
    if uscc:
        query = query.where(institutions.c.uscc == uscc)
    if kind:
        query = query.where(inspections.c.kind == kind)
    return query


def last_inspected(session, inst_id: int, kind: str) -> date | None:
    return session.execute(sa.select(sa.func.max(inspections.c.inspected_on)).where(
        inspections.c.institution_id == inst_id, inspections.c.kind == kind)).scalar_one()


def overdue_findings(session, inst_id: int, today: date) -> list:
    """Findings not rectified past their deadline, with the inspection's kind and day."""
    return session.execute(
        sa.select(findings, inspections.c.kind, inspections.c.inspected_on)
        .join(inspections, inspections.c.id == findings.c.inspection_id)
        .where(inspections.c.institution_id == inst_id,
               findings.c.rectified_on.is_(None), findings.c.rectify_by < today)
        .order_by(findings.c.id)).all()


def notice_raised(session, inst_id: int, subject: str, due_on: date) -> bool:
    return session.execute(sa.select(overdue_notices.c.id).where(
        overdue_notices.c.institution_id == inst_id,
        overdue_notices.c.subject == subject,
        overdue_notices.c.due_on == due_on)).first() is not None


def insert_notice(session, inst_id: int, subject: str, due_on: date) -> None:
    session.execute(sa.insert(overdue_notices).values(
        institution_id=inst_id, subject=subject, due_on=due_on, raised_at=utcnow()))


def county_counts(session, county: str, since: date) -> dict[str, int]:
    """A county's inspections since ``since`` and its findings: still open, and
    rectified (the institutions' own division codes decide the county)."""
    in_county = institutions.c.division_code.startswith(county, autoescape=True)
    done = session.execute(sa.select(sa.func.count()).select_from(
        inspections.join(institutions, institutions.c.id == inspections.c.institution_id))
        .where(in_county, inspections.c.inspected_on >= since)).scalar_one()
    open_, rectified = session.execute(sa.select(
        sa.func.count().filter(findings.c.rectified_on.is_(None)),
        sa.func.count().filter(findings.c.rectified_on.is_not(None))).select_from(
        findings.join(inspections, inspections.c.id == findings.c.inspection_id)
        .join(institutions, institutions.c.id == inspections.c.institution_id))
        .where(in_county)).one()
    return {"done_this_year": int(done), "open_findings": int(open_),
            "rectified_findings": int(rectified)}
