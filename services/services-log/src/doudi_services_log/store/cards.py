"""Service cards: opened by an enrolment, issued with items and providers after
the needs assessment, changed, suspended, resumed, ended; their documents and
history."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from doudi_common.args import optional_text, require_date, require_text
from doudi_common.errors import Invalid, NotFound
from doudi_common.ids import (
    division_prefix,
    mask_id_number,
    validate_division_code,
    validate_id_number,
)
from doudi_common.paging import offset_of, page_args

from doudi_services_log import policy
from doudi_services_log.domain import cards as cards_rules
from doudi_services_log.domain import catalogue
from doudi_services_log.domain.records import (
    CardView,
    Provider,
)
from doudi_services_log.models import (
    card_documents,
    card_history,
    card_items,
    card_providers,
    cards,
    deaths,
    person_directory,
    schedules,
)
from doudi_services_log.schemas import iso
from doudi_services_log.store.shared import (
    death_of,
    next_counter,
    person_division,
    person_name,
)

# -- cards ----------------------------------------------------------------------------

def history(session, now, id_number: str, action: str, by: str, detail: dict | None = None):
    session.execute(sa.insert(card_history).values(id_number=id_number, at=now, action=action,
                                                   by=by, detail=detail))


def update_card(session, now, id_number: str, values: dict) -> None:
    session.execute(sa.update(cards).where(cards.c.id_number == id_number)
                    .values(**values, updated_at=now))


def card_row(session, id_number: str, lock: bool = False):
    q = sa.select(cards).where(cards.c.id_number == id_number)
    return session.execute(q.with_for_update() if lock else q).first()


def require_card(session, id_number: str, lock: bool = True):
    row = card_row(session, id_number, lock)
    if row is None:
        raise NotFound(f"该人员没有服务卡（{mask_id_number(id_number)}）", reason="no_card")
    return row


def card_view(session, id_number: str) -> tuple[Any, CardView | None]:
    row = card_row(session, id_number)
    if row is None:
        return None, None
    items = {r.code: r.times_per_month for r in session.execute(
        sa.select(card_items).where(card_items.c.id_number == id_number))}
    providers = [_provider_of(r) for r in session.execute(
        sa.select(card_providers).where(card_providers.c.id_number == id_number))]
    return row, CardView(id_number, row.service_no, row.status, row.issued_on, row.ended_on,
                         items, providers)


def _item_info(j, code, times):
    try:
        item = catalogue.item_of(j, code) if j else None
    except Invalid:
        item = None
    return {"code": code, "name": item.name if item else None,
            "unit": item.unit if item else None, "times_per_month": times}


def _dump_card_row(row, items: dict, providers: list, died, name) -> dict:
    j = policy.JURISDICTIONS.get(row.jurisdiction) if row.jurisdiction else None
    return {"id_number": row.id_number, "id_number_masked": mask_id_number(row.id_number),
            "name": row.name or name, "division_code": row.division_code,
            "service_no": row.service_no, "status": row.status, "care_mode": row.care_mode,
            "enrolment_id": row.enrolment_id, "jurisdiction": row.jurisdiction,
            "assessed_on": iso(row.assessed_on), "issued_on": iso(row.issued_on),
            "ended_on": iso(row.ended_on), "end_reason": row.end_reason,
            "suspended_reason": row.suspended_reason, "date_of_death": iso(died),
            "items": [_item_info(j, c, items[c]) for c in sorted(items)],
            "providers": [p.as_dict() for p in providers]}


def _provider_of(r) -> Provider:
    return Provider(r.kind, r.uscc, r.provider_id_number, r.name,
                    tuple(r.items) if r.items is not None else None)


def dump_cards(session, rows) -> list[dict]:
    """Cards of a list page in five queries, whatever the page size."""
    ids = [r.id_number for r in rows]
    if not ids:
        return []
    items: dict[str, dict] = {i: {} for i in ids}
    for r in session.execute(sa.select(card_items).where(card_items.c.id_number.in_(ids))):
        items[r.id_number][r.code] = r.times_per_month
    providers: dict[str, list] = {i: [] for i in ids}
    for r in session.execute(sa.select(card_providers)
                             .where(card_providers.c.id_number.in_(ids))):
        providers[r.id_number].append(_provider_of(r))
    died = dict(session.execute(sa.select(deaths.c.id_number, deaths.c.date_of_death)
                                .where(deaths.c.id_number.in_(ids))).all())
    names = dict(session.execute(sa.select(person_directory.c.id_number, person_directory.c.name)
                                 .where(person_directory.c.id_number.in_(ids))).all())
    return [_dump_card_row(r, items[r.id_number], providers[r.id_number],
                           died.get(r.id_number), names.get(r.id_number)) for r in rows]


def dump_card(session, id_number: str, history: bool = False) -> dict:
    row = card_row(session, id_number)
    out = dump_cards(session, [row])[0]
    if history:
        out["documents"] = [
            {"kind": d.kind, "ref": d.ref, "note": d.note, "added_by": d.added_by,
             "added_at": iso(d.added_at)}
            for d in session.execute(sa.select(card_documents)
                                     .where(card_documents.c.id_number == id_number)
                                     .order_by(card_documents.c.id))]
        out["history"] = [
            {"at": iso(h.at), "action": h.action, "by": h.by, "detail": h.detail}
            for h in session.execute(sa.select(card_history)
                                     .where(card_history.c.id_number == id_number)
                                     .order_by(card_history.c.id))]
    return out


def open_card(session, now, *, id_number: str, division_code: str, care_mode: str | None,
              enrolment_id: str | None, by: str, detail: dict | None = None) -> None:
    """A pending card from an enrolment (needs assessment to follow)."""
    row = card_row(session, id_number, lock=True)
    j = policy.jurisdiction_for(division_code)
    if row is None:
        session.execute(sa.insert(cards).values(
            id_number=id_number, name=person_name(session, id_number),
            division_code=division_code, jurisdiction=j.code if j else None,
            status="pending_assessment", care_mode=care_mode, enrolment_id=enrolment_id,
            created_at=now, updated_at=now))
    else:
        values = {"care_mode": care_mode, "enrolment_id": enrolment_id,
                  "division_code": division_code, "updated_at": now,
                  "jurisdiction": j.code if j else row.jurisdiction}
        if row.status == "ended":
            values.update(status="pending_assessment", ended_on=None, end_reason=None,
                          version=row.version + 1)
        session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(**values))
    history(session, now, id_number, "opened", by, detail)


def _set_items(session, id_number: str, j: catalogue.Jurisdiction, items: Any) -> None:
    rows = [{"id_number": id_number, "code": code, "times_per_month": times}
            for code, times in cards_rules.granted_items(j, items)]
    session.execute(sa.delete(card_items).where(card_items.c.id_number == id_number))
    session.execute(sa.insert(card_items), rows)


def _set_providers(session, id_number: str, j: catalogue.Jurisdiction, providers: Any) -> None:
    rows = [{"id_number": id_number, "provider_key": p.key, "kind": p.kind, "uscc": p.uscc,
             "provider_id_number": p.id_number, "name": p.name,
             "items": list(p.items) if p.items is not None else None}
            for p in cards_rules.assigned_providers(j, id_number, providers)]
    session.execute(sa.delete(card_providers).where(card_providers.c.id_number == id_number))
    session.execute(sa.insert(card_providers), rows)


def issue_card(session, now, *, id_number, items, providers, assessed_on, by,
               division_code=None, name=None, care_mode=None) -> dict:
    id_number = validate_id_number(id_number)
    by = require_text(by, "by", 100)
    assessed = require_date(assessed_on, "assessed_on")
    cards_rules.check_assessment(assessed, now.date(), death_of(session, id_number))
    row = card_row(session, id_number, lock=True)
    if row is None:
        if division_code is None:
            division_code = person_division(session, id_number)
        division_code = validate_division_code(division_code)
        open_card(session, now, id_number=id_number, division_code=division_code,
                  care_mode=care_mode, enrolment_id=None, by=by, detail={"direct": True})
        row = card_row(session, id_number, lock=True)
    else:
        cards_rules.check_can_issue(row.status)
    j = cards_rules.issuing_jurisdiction(row.division_code,
                                         policy.jurisdiction_for(row.division_code))
    _set_items(session, id_number, j, items)
    _set_providers(session, id_number, j, providers)
    service_no = row.service_no
    if service_no is None:
        unit = row.division_code[:9]
        service_no = cards_rules.service_number(unit, next_counter(session, "card:" + unit))
    values = {"status": "active", "service_no": service_no, "assessed_on": assessed,
              "issued_on": now.date(), "ended_on": None, "end_reason": None,
              "suspended_reason": None, "jurisdiction": j.code, "updated_at": now}
    if name is not None:
        values["name"] = require_text(name, "name", 100)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(**values))
    history(session, now, id_number, "issued", by,
             {"service_no": service_no, "items": items, "assessed_on": assessed.isoformat()})
    return dump_card(session, id_number)


def change_card(session, now, *, id_number, reason, by, items=None, providers=None) -> dict:
    id_number = validate_id_number(id_number)
    by, reason = require_text(by, "by", 100), require_text(reason, "reason", 500)
    row = require_card(session, id_number)
    cards_rules.check_can_change(row.status)
    j = policy.require_jurisdiction(row.jurisdiction)
    if items is not None:
        _set_items(session, id_number, j, items)
    if providers is not None:
        _set_providers(session, id_number, j, providers)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="active", suspended_reason=None, version=row.version + 1, updated_at=now))
    history(session, now, id_number, "changed", by,
             {"reason": reason, "items": items, "providers_changed": providers is not None})
    return dump_card(session, id_number)


def suspend_card(session, now, *, id_number, reason, by) -> dict:
    id_number = validate_id_number(id_number)
    by, reason = require_text(by, "by", 100), require_text(reason, "reason", 500)
    row = require_card(session, id_number)
    cards_rules.check_can_suspend(row.status)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="suspended", suspended_reason=reason, updated_at=now))
    history(session, now, id_number, "suspended", by, {"reason": reason})
    return dump_card(session, id_number)


def resume_card(session, now, *, id_number, by) -> dict:
    id_number = validate_id_number(id_number)
    by = require_text(by, "by", 100)
    row = require_card(session, id_number)
    cards_rules.check_can_resume(row.status)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="active", suspended_reason=None, updated_at=now))
    history(session, now, id_number, "resumed", by)
    return dump_card(session, id_number)


def end_card(session, now, *, id_number: str, ended_on: date, reason: str, by: str,
             detail: dict | None = None, missing_ok: bool = False) -> dict | None:
    row = card_row(session, id_number, lock=True)
    if row is None:
        if missing_ok:
            return None
        raise NotFound(f"该人员没有服务卡（{mask_id_number(id_number)}）", reason="no_card")
    if row.status == "ended":
        if missing_ok:
            # a later, earlier-dated end (death after exit) only narrows the card
            if cards_rules.narrows_end(row.ended_on, ended_on):
                session.execute(sa.update(cards).where(cards.c.id_number == id_number)
                                .values(ended_on=ended_on, end_reason=reason, updated_at=now))
                history(session, now, id_number, "end_corrected", by,
                         {"ended_on": ended_on.isoformat(), "reason": reason, **(detail or {})})
            return None
        cards_rules.check_not_ended(row.status)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="ended", ended_on=ended_on, end_reason=reason, updated_at=now))
    history(session, now, id_number, "ended", by,
             {"ended_on": ended_on.isoformat(), "reason": reason, **(detail or {})})
    return dump_card(session, id_number)


def add_card_document(session, now, *, id_number, kind, ref, by, note=None) -> dict:
    """Put a copy into the person's file (qingyunpu-2021 §五3: ID card, household
    register, illness/disability proofs, assistance proof, needs form,
    service-received form). ``ref`` points into the document store."""
    id_number = validate_id_number(id_number)
    cards_rules.check_document_kind(kind)
    ref, by = require_text(ref, "ref", 200), require_text(by, "by", 100)
    note = optional_text(note, "note", 500)
    require_card(session, id_number)
    session.execute(sa.insert(card_documents).values(id_number=id_number, kind=kind, ref=ref,
                                                     note=note, added_by=by, added_at=now))
    return dump_card(session, id_number, history=True)


def list_cards(session, *, division_code, status, page, per_page) -> dict:
    prefix = division_prefix(division_code)
    q = sa.select(cards).where(cards.c.division_code.like(prefix + "%"))
    cards_rules.check_status_filter(status)
    if status is not None:
        q = q.where(cards.c.status == status)
    page, per_page = page_args(page, per_page)
    total = session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(cards.c.service_no.is_(None), cards.c.service_no,
                                      cards.c.id_number)
                           .limit(per_page).offset(offset_of(page, per_page))).all()
    return {"items": dump_cards(session, rows), "page": page, "per_page": per_page,
            "total": total}


def record_death(session, now, *, id_number: str, date_of_death: date, event_id: str) -> None:
    if death_of(session, id_number) is None:
        session.execute(sa.insert(deaths).values(id_number=id_number,
                                                 date_of_death=date_of_death,
                                                 event_id=event_id, recorded_at=now))
    end_card(session, now, id_number=id_number, ended_on=date_of_death, reason="deceased",
             by="health", detail={"event_id": event_id}, missing_ok=True)
    session.execute(sa.update(schedules).where(schedules.c.id_number == id_number)
                    .values(active=False, updated_at=now, updated_by="health"))
