"""Storage for institutions: every SQL statement of the service, as functions
taking the session (``uow.session``). Rows come back as dicts (or SQLAlchemy
rows where the caller reads attributes); commits nothing itself."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import Conflict, NotFound
from doudi_common.ids import division_prefix
from doudi_common.queries import dialect_insert

from doudi_institutions.models import (
    absences,
    admission_requests,
    beds,
    care_level_changes,
    catalog_items,
    consents,
    designations,
    enrolments,
    findings,
    grade_history,
    infections,
    inspections,
    institutions,
    item_prices,
    licences,
    merges,
    overdue_notices,
    placements,
    rooms,
    status_history,
)


def _in_division(query, division_code):
    if division_code:
        query = query.where(institutions.c.division_code.startswith(
            division_prefix(division_code), autoescape=True))
    return query


# ---------------------------------------------------------------------- institutions


def institution_by_uscc(session, code: str, lock: bool = False) -> dict:
    query = sa.select(institutions).where(institutions.c.uscc == code)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        raise NotFound("未找到该机构", resource="institution", uscc=code)
    return dict(row._mapping)


def institution_by_id(session, pk: int) -> dict:
    return dict(session.execute(sa.select(institutions).where(institutions.c.id == pk))
                .first()._mapping)


def uscc_registered(session, code: str) -> bool:
    return session.execute(sa.select(institutions.c.id).where(institutions.c.uscc == code)
                           ).first() is not None


def insert_institution(session, *, status: str, registered_on: date, **values) -> int:
    """A new institution and the first line of its status history."""
    now = utcnow()
    pk = session.execute(sa.insert(institutions).values(
        registered_on=registered_on, status=status, created_at=now, updated_at=now, **values)
        .returning(institutions.c.id)).scalar_one()
    session.execute(sa.insert(status_history).values(
        institution_id=pk, status=status, on=registered_on, reason="登记", recorded_at=now))
    return pk


def update_institution(session, inst_id: int, **values) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(updated_at=utcnow(), **values))


def record_status(session, inst_id: int, status: str, on: date, reason: str | None) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(status=status, updated_at=utcnow()))
    session.execute(sa.insert(status_history).values(
        institution_id=inst_id, status=status, on=on, reason=reason, recorded_at=utcnow()))


def record_grade(session, inst_id: int, grade: int, assessed_on: date) -> None:
    session.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                    .values(grade=grade, graded_on=assessed_on, updated_at=utcnow()))
    session.execute(sa.insert(grade_history).values(
        institution_id=inst_id, grade=grade, assessed_on=assessed_on, recorded_at=utcnow()))


def bed_counts(session, inst_id: int) -> dict:
    total = session.execute(sa.select(sa.func.count()).select_from(beds).where(
        beds.c.institution_id == inst_id, beds.c.out_of_service.is_(False))).scalar_one()
    occupied = session.execute(sa.select(sa.func.count()).select_from(placements).where(
        placements.c.institution_id == inst_id, placements.c.status == "open")
    ).scalar_one()
    return {"capacity": total, "occupied": occupied}


def status_history_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(status_history.c.status, status_history.c.on, status_history.c.reason)
        .where(status_history.c.institution_id == inst_id)
        .order_by(status_history.c.id)).all()]


def grade_history_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        sa.select(grade_history.c.grade, grade_history.c.assessed_on)
        .where(grade_history.c.institution_id == inst_id)
        .order_by(grade_history.c.id)).all()]


def institutions_query(division_code=None, kind=None, status=None):
    query = _in_division(sa.select(institutions).order_by(institutions.c.id), division_code)
    if kind:
        query = query.where(institutions.c.kind == kind)
    if status:
        query = query.where(institutions.c.status == status)
    return query


def institutions_in_states(session, states, division_code=None) -> list[dict]:
    query = sa.select(institutions).where(institutions.c.status.in_(states)) \
        .order_by(institutions.c.id)
    return [dict(r._mapping) for r in session.execute(_in_division(query, division_code)).all()]


def county_homes(session, county: str, states) -> list[dict]:
    """The county's tekun homes in ``states``, oldest first."""
    return [dict(r._mapping) for r in session.execute(sa.select(institutions).where(
        institutions.c.county_code == county, institutions.c.kind == "tekun_home",
        institutions.c.status.in_(states)).order_by(institutions.c.id)).all()]


def county_institutions(session, county: str) -> list[dict]:
    """The county's institutions that are not closed."""
    return [dict(r._mapping) for r in session.execute(sa.select(institutions).where(
        institutions.c.county_code == county, institutions.c.status != "closed")).all()]


def insert_merge(session, source_id: int, target_id: int, on: date, moved: int,
                 staying: int) -> None:
    session.execute(sa.insert(merges).values(
        source_id=source_id, target_id=target_id, on=on, moved=moved, staying=staying,
        recorded_at=utcnow()))


# ---------------------------------------------------------------------- licences, designations


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
    return [dict(r._mapping) for r in session.execute(_in_division(query, division_code)).all()]


def designations_signed(session, division_code=None) -> list[dict]:
    """Signed designations of institutions not closed, with the institution."""
    query = (sa.select(designations, institutions.c.id.label("institution_id"),
                       institutions.c.name, institutions.c.division_code)
             .join(institutions, institutions.c.uscc == designations.c.uscc)
             .where(institutions.c.status != "closed", designations.c.status == "signed")
             .order_by(designations.c.valid_until))
    return [dict(r._mapping) for r in session.execute(_in_division(query, division_code)).all()]


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


# ---------------------------------------------------------------------- catalogue and prices


def catalog_item(session, inst_id: int, code: str) -> dict:
    row = session.execute(sa.select(catalog_items).where(
        catalog_items.c.institution_id == inst_id, catalog_items.c.code == code)).first()
    if row is None:
        raise NotFound("未找到该服务项目", resource="catalog_item", code=code)
    return dict(row._mapping)


def item_code_taken(session, inst_id: int, code: str) -> bool:
    return session.execute(sa.select(catalog_items.c.id).where(
        catalog_items.c.institution_id == inst_id,
        catalog_items.c.code == code)).first() is not None


def insert_catalog_item(session, inst_id: int, **values) -> int:
    return session.execute(sa.insert(catalog_items).values(
        institution_id=inst_id, created_at=utcnow(), **values)
        .returning(catalog_items.c.id)).scalar_one()


def catalog_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(catalog_items).where(
        catalog_items.c.institution_id == inst_id).order_by(catalog_items.c.id)).all()]


def monthly_items(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(catalog_items).where(
        catalog_items.c.institution_id == inst_id, catalog_items.c.monthly.is_(True))
        .order_by(catalog_items.c.id)).all()]


def prices_of(session, item_id: int) -> list[tuple[date, object]]:
    """(effective_from, price) of an item, oldest first."""
    return [(r.effective_from, r.price) for r in session.execute(
        sa.select(item_prices.c.effective_from, item_prices.c.price)
        .where(item_prices.c.item_id == item_id)
        .order_by(item_prices.c.effective_from)).all()]


def insert_price(session, item_id: int, price, effective_from: date, reason=None) -> None:
    session.execute(sa.insert(item_prices).values(
        item_id=item_id, price=price, effective_from=effective_from, reason=reason,
        recorded_at=utcnow()))


def price_change_days(session, inst_id: int, after: date, until: date) -> list[date]:
    """Days in (after, until] on which a monthly item's price changes."""
    return session.execute(
        sa.select(item_prices.c.effective_from).join(
            catalog_items, catalog_items.c.id == item_prices.c.item_id)
        .where(catalog_items.c.institution_id == inst_id,
               catalog_items.c.monthly.is_(True),
               item_prices.c.effective_from > after, item_prices.c.effective_from <= until)
    ).scalars().all()


# ---------------------------------------------------------------------- rooms and beds


def room_no_taken(session, inst_id: int, room_no) -> bool:
    return session.execute(sa.select(rooms.c.id).where(
        rooms.c.institution_id == inst_id, rooms.c.room_no == room_no)).first() is not None


def bed_nos_taken(session, inst_id: int, bed_nos) -> list[str]:
    return session.execute(sa.select(beds.c.bed_no).where(
        beds.c.institution_id == inst_id, beds.c.bed_no.in_(bed_nos))).scalars().all()


def insert_room(session, inst_id: int, room_no, room_type, bed_nos) -> None:
    room_id = session.execute(sa.insert(rooms).values(
        institution_id=inst_id, room_no=room_no, room_type=room_type)
        .returning(rooms.c.id)).scalar_one()
    for bed_no in bed_nos:
        session.execute(sa.insert(beds).values(
            institution_id=inst_id, room_id=room_id, bed_no=str(bed_no)))


def beds_query(inst_id: int):
    """Beds of an institution with room, and the open placement in each (``placement_pk``)."""
    occupant = (sa.select(placements.c.id).where(placements.c.bed_id == beds.c.id,
                                                 placements.c.status == "open")
                .scalar_subquery())
    return (sa.select(beds.c.id, beds.c.bed_no, beds.c.out_of_service, rooms.c.room_no,
                      rooms.c.room_type, occupant.label("placement_pk"))
            .join(rooms, rooms.c.id == beds.c.room_id)
            .where(beds.c.institution_id == inst_id)
            .order_by(beds.c.bed_no))


def beds_in_status_query(inst_id: int, status: str | None):
    query = beds_query(inst_id)
    if not status:
        return query
    sub = query.subquery()
    cond = {"occupied": sub.c.placement_pk.is_not(None),
            "available": sa.and_(sub.c.placement_pk.is_(None),
                                 sub.c.out_of_service.is_(False)),
            "out_of_service": sa.and_(sub.c.placement_pk.is_(None),
                                      sub.c.out_of_service.is_(True))}[status]
    return sa.select(sub).where(cond).order_by(sub.c.bed_no)


def bed_by_no(session, inst_id: int, bed_no):
    return session.execute(beds_query(inst_id).where(beds.c.bed_no == bed_no)).first()


def bed_by_id(session, inst_id: int, bed_id: int):
    return session.execute(beds_query(inst_id).where(beds.c.id == bed_id)).first()


def set_out_of_service(session, bed_id: int, out_of_service: bool) -> None:
    session.execute(sa.update(beds).where(beds.c.id == bed_id)
                    .values(out_of_service=out_of_service))


def first_free_bed(session, inst_id: int):
    taken = sa.exists().where(placements.c.bed_id == beds.c.id,
                              placements.c.status == "open")
    return session.execute(
        sa.select(beds.c.id, beds.c.bed_no, rooms.c.room_type)
        .join(rooms, rooms.c.id == beds.c.room_id)
        .where(beds.c.institution_id == inst_id, beds.c.out_of_service.is_(False), ~taken)
        .order_by(beds.c.bed_no).limit(1)).first()


def room_type_of_bed(session, bed_id: int):
    return session.execute(sa.select(rooms.c.room_type).join(
        beds, beds.c.room_id == rooms.c.id).where(beds.c.id == bed_id)).scalar_one()


# ---------------------------------------------------------------------- placements


def open_placement_for(session, id_number: str) -> dict | None:
    row = session.execute(sa.select(placements).where(
        placements.c.id_number == id_number, placements.c.status == "open")).first()
    return dict(row._mapping) if row else None


def placement_row(session, pk: int) -> dict:
    row = session.execute(sa.select(placements).where(placements.c.id == pk)).first()
    if row is None:
        raise NotFound("未找到该入住记录", resource="placement")
    return dict(row._mapping)


def insert_placement(session, *, care_level: str, admitted_on: date, **values) -> int:
    """An open placement and its first care level; ``Conflict`` when the person or
    the bed is taken meanwhile (the unique indexes)."""
    try:
        with session.begin_nested():
            pk = session.execute(sa.insert(placements).values(
                care_level=care_level, status="open", admitted_on=admitted_on,
                created_at=utcnow(), **values).returning(placements.c.id)).scalar_one()
    except sa.exc.IntegrityError:
        raise Conflict("该人员已入住或床位已被占用", reason="already_placed") from None
    session.execute(sa.insert(care_level_changes).values(
        placement_id=pk, care_level=care_level, from_on=admitted_on, source="admission",
        recorded_at=utcnow()))
    return pk


def close_placement(session, pk: int, on: date, reason: str, note) -> None:
    """Close a placement and any absence still open on ``on``."""
    session.execute(sa.update(placements).where(placements.c.id == pk).values(
        status="closed", discharged_on=on, discharge_reason=reason, discharge_note=note))
    session.execute(sa.update(absences).where(
        absences.c.placement_id == pk, absences.c.ended_on.is_(None)).values(ended_on=on))


def update_placement(session, pk: int, **values) -> None:
    session.execute(sa.update(placements).where(placements.c.id == pk).values(**values))


def placements_query():
    """Placements with institution, bed number and room type."""
    query = (sa.select(placements, institutions.c.uscc, institutions.c.name.label(
        "institution_name"), beds.c.bed_no, rooms.c.room_type)
             .join(institutions, institutions.c.id == placements.c.institution_id)
             .outerjoin(beds, beds.c.id == placements.c.bed_id)
             .outerjoin(rooms, rooms.c.id == beds.c.room_id))
    return query


def list_placements_query(uscc=None, id_number=None, status=None, division_code=None,
                          active_between: tuple[date, date] | None = None):
    query = _in_division(placements_query().order_by(placements.c.id), division_code)
    if active_between:
        first, last = active_between
        query = query.where(placements.c.admitted_on <= last,
                            sa.or_(placements.c.discharged_on.is_(None),
                                   placements.c.discharged_on >= first))
    if uscc:
        query = query.where(institutions.c.uscc == uscc)
    if id_number:
        query = query.where(placements.c.id_number == id_number)
    if status:
        query = query.where(placements.c.status == status)
    return query


def placement_joined(session, pk: int) -> dict | None:
    row = session.execute(placements_query().where(placements.c.id == pk)).first()
    return dict(row._mapping) if row else None


def open_placements_in(session, inst_ids) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(placements).where(
        placements.c.institution_id.in_(list(inst_ids)), placements.c.status == "open")
        .order_by(placements.c.id)).all()]


def absences_of(session, placement_id: int) -> list[dict]:
    return [dict(a._mapping) for a in session.execute(
        sa.select(absences).where(absences.c.placement_id == placement_id)
        .order_by(absences.c.id)).all()]


def start_hospital_stay(session, placement_id: int, hospital_uscc, on) -> None:
    session.execute(sa.insert(absences).values(
        placement_id=placement_id, kind="hospital", hospital_uscc=hospital_uscc,
        started_on=on))


def end_hospital_stay(session, placement_id: int, on) -> None:
    session.execute(sa.update(absences).where(
        absences.c.placement_id == placement_id, absences.c.kind == "hospital",
        absences.c.ended_on.is_(None)).values(ended_on=on))


def latest_care_level_change(session, placement_id: int) -> date | None:
    return session.execute(sa.select(sa.func.max(care_level_changes.c.from_on)).where(
        care_level_changes.c.placement_id == placement_id)).scalar_one()


def insert_care_level_change(session, placement_id: int, care_level: str, from_on: date,
                             source: str) -> None:
    """A care level from ``from_on``, also made the placement's current one."""
    session.execute(sa.insert(care_level_changes).values(
        placement_id=placement_id, care_level=care_level, from_on=from_on, source=source,
        recorded_at=utcnow()))
    session.execute(sa.update(placements).where(placements.c.id == placement_id)
                    .values(care_level=care_level))


def care_level_changes_of(session, placement_id: int) -> list[tuple[date, str]]:
    return [(r.from_on, r.care_level) for r in session.execute(
        sa.select(care_level_changes).where(care_level_changes.c.placement_id == placement_id)
        .order_by(care_level_changes.c.id)).all()]


def insert_consent(session, id_number: str, inst_id: int, given: bool, recorded_on: date,
                   recorded_by=None, note=None) -> int:
    return session.execute(sa.insert(consents).values(
        id_number=id_number, to_institution_id=inst_id, given=given, recorded_on=recorded_on,
        recorded_by=recorded_by, note=note, recorded_at=utcnow())
        .returning(consents.c.id)).scalar_one()


def latest_consent(session, id_number: str, inst_id: int) -> bool | None:
    row = session.execute(sa.select(consents.c.given).where(
        consents.c.id_number == id_number, consents.c.to_institution_id == inst_id)
        .order_by(consents.c.recorded_on.desc(), consents.c.id.desc()).limit(1)).first()
    return None if row is None else row.given


# ---------------------------------------------------------------------- enrolments, admissions


def upsert_enrolment(session, data: dict) -> None:
    values = {"id_number": data["id_number"], "division_code": data["division_code"],
              "county_code": data["division_code"][:6], "care_mode": data["care_mode"],
              "tekun": "tekun" in data["hardship"],
              "incapacity_level": data["incapacity_level"],
              "started_on": data["started_on"]}
    session.execute(dialect_insert(session, enrolments).values(enrolment_id=data["enrolment_id"], **values)
                    .on_conflict_do_update(index_elements=["enrolment_id"], set_=values))


def update_enrolment(session, enrolment_id, **values) -> None:
    session.execute(sa.update(enrolments).where(enrolments.c.enrolment_id == enrolment_id)
                    .values(**values))


def enrolment_admitted(session, enrolment_id) -> bool:
    return session.execute(sa.select(admission_requests.c.id).where(
        admission_requests.c.enrolment_id == enrolment_id,
        admission_requests.c.status == "admitted")).first() is not None


def insert_admission_request(session, **values) -> None:
    values.setdefault("received_at", utcnow())
    session.execute(sa.insert(admission_requests).values(**values))


def latest_centralised_request(session, id_number: str):
    """The person's latest admission request under a running centralised enrolment,
    with the enrolment's start, care level and division."""
    return session.execute(
        sa.select(admission_requests, enrolments.c.started_on,
                  enrolments.c.incapacity_level, enrolments.c.division_code)
        .join(enrolments, enrolments.c.enrolment_id == admission_requests.c.enrolment_id)
        .where(admission_requests.c.id_number == id_number,
               enrolments.c.ended_on.is_(None), enrolments.c.care_mode == "centralized")
        .order_by(admission_requests.c.id.desc()).limit(1)).first()


def mark_pending_admitted(session, enrolment_id, placement_id: int, uscc: str) -> None:
    session.execute(sa.update(admission_requests).where(
        admission_requests.c.enrolment_id == enrolment_id,
        admission_requests.c.status == "pending").values(
        status="admitted", placement_id=placement_id, institution_uscc=uscc))


def admission_requests_query(status=None, uscc=None):
    query = sa.select(admission_requests).order_by(admission_requests.c.id)
    if status:
        query = query.where(admission_requests.c.status == status)
    if uscc:
        query = query.where(admission_requests.c.institution_uscc == uscc)
    return query


def count_tekun_needing_care(session, county: str) -> tuple[int, int]:
    """(tekun people with a running enrolment in the county, of them in an open placement)."""
    needing = sa.select(enrolments.c.id_number).where(
        enrolments.c.county_code == county, enrolments.c.tekun.is_(True),
        enrolments.c.ended_on.is_(None)).distinct()
    need = session.execute(sa.select(sa.func.count()).select_from(needing.subquery())
                           ).scalar_one()
    placed = session.execute(sa.select(sa.func.count(sa.distinct(placements.c.id_number)))
                             .where(placements.c.status == "open",
                                    placements.c.id_number.in_(needing))).scalar_one()
    return need, placed


# ---------------------------------------------------------------------- health


def insert_infection(session, id_number: str, disease_code, on) -> None:
    session.execute(sa.insert(infections).values(
        id_number=id_number, disease_code=disease_code, flagged_on=on))


def clear_infection(session, id_number: str, disease_code, on) -> None:
    session.execute(sa.update(infections).where(
        infections.c.id_number == id_number, infections.c.disease_code == disease_code,
        infections.c.cleared_on.is_(None)).values(cleared_on=on))


def infection_open(session, id_number: str) -> bool:
    return session.execute(sa.select(infections.c.id).where(
        infections.c.id_number == id_number, infections.c.cleared_on.is_(None))
    ).first() is not None


# ---------------------------------------------------------------------- inspections


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
    query = _in_division(query, division_code)
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
