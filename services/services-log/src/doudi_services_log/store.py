"""Storage-side operations of services_log, on a unit of work.

Each function takes the worker's ``uow`` (session + outbox) and the clock's
``now`` and does one command in the caller's transaction; ``service.py`` only
parses arguments and calls these. The bench drives ``record_services`` the same
way without nameko.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from doudi_common.clock import SHANGHAI, month_of, parse_month, to_shanghai
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import (
    division_prefix,
    division_within,
    mask_id_number,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from doudi_common.money import ZERO, to_money

from doudi_services_log.domain import catalogue, timebank
from doudi_services_log.domain.records import (
    MAX_MINUTES,
    VERIFIER_ROLES,
    CardView,
    Provider,
    amount_for,
    check_against_card,
    check_frequency,
    close_unit,
    overlap_error,
    parse_provider,
    quantity_for,
    service_times,
)
from doudi_services_log.models import (
    DOCUMENT_KINDS,
    alerts,
    card_documents,
    card_history,
    card_items,
    card_providers,
    cards,
    counters,
    deaths,
    month_closes,
    person_directory,
    records,
    schedules,
    service_items,
    time_accounts,
    time_entries,
    visits,
)

MAX_PER_PAGE = 500
MAX_RECORD_SPAN = timedelta(minutes=MAX_MINUTES)
CARD_STATUSES = ("pending_assessment", "active", "suspended", "ended")
RECORD_STATUSES = ("recorded", "verified", "superseded")
ALERT_KINDS = ("doorbell", "missed_visit", "health", "safety", "other")
VISIT_KINDS = ("regular", "neighbor")


# -- small helpers ----------------------------------------------------------------

def _text(value: Any, name: str, max_length: int = 200, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} 不能为空", reason="missing_field", field=name)
    if "\x00" in value:
        raise Invalid(f"{name} 含有非法字符", reason="bad_text", field=name)
    if len(value) > max_length:
        raise Invalid(f"{name} 过长（最多{max_length}字符）", reason="too_long", field=name)
    return value


def _date(value: Any, name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} 日期格式应为 YYYY-MM-DD", reason="bad_date", field=name) from None


def _month(value: Any) -> str:
    try:
        parse_month(value)
    except (AttributeError, ValueError):
        raise Invalid("月份格式应为 YYYY-MM", reason="bad_month") from None
    return value


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20].upper()}"


def _paging(page: Any, per_page: Any) -> tuple[int, int]:
    for value, name in ((page, "page"), (per_page, "per_page")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise Invalid(f"{name} 须为正整数", reason="bad_paging")
    return page, min(per_page, MAX_PER_PAGE)


def paginate(session, query: sa.Select, order_by, page: int, per_page: int, dump) -> dict:
    page, per_page = _paging(page, per_page)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(*order_by).limit(per_page)
                           .offset((page - 1) * per_page)).all()
    return {"items": [dump(r._mapping) for r in rows], "page": page, "per_page": per_page,
            "total": total}


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat()
    return value.isoformat() if value is not None else None


def _money(value) -> str | None:
    return format(to_money(value), "f") if value is not None else None


def _next_counter(session, name: str) -> int:
    row = session.execute(sa.select(counters.c.last).where(counters.c.name == name)
                          .with_for_update()).first()
    if row is None:
        session.execute(sa.insert(counters).values(name=name, last=1))
        return 1
    session.execute(sa.update(counters).where(counters.c.name == name).values(last=row.last + 1))
    return row.last + 1


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
        raise NotFound(f"未找到该人员的行政区划（{mask_id_number(id_number)}），请提供 division_code",
                       reason="unknown_person")
    return code


def death_of(session, id_number: str) -> date | None:
    return session.execute(sa.select(deaths.c.date_of_death)
                           .where(deaths.c.id_number == id_number)).scalar()


# -- items ---------------------------------------------------------------------------

def prices(session, jurisdiction: str) -> dict[str, Decimal | None]:
    rows = session.execute(sa.select(service_items.c.code, service_items.c.unit_price)
                           .where(service_items.c.jurisdiction == jurisdiction)).all()
    return {r.code: r.unit_price for r in rows}


def dump_item(j: catalogue.Jurisdiction, item: catalogue.Item, price) -> dict:
    return {"jurisdiction": j.code, "pack": j.pack, "code": item.code, "name": item.name,
            "category": item.category, "unit": item.unit,
            "paid_per_record": item.paid_per_record, "unit_price": _money(price),
            "clause": item.clause}


def list_items(session, division_code: str | None, jurisdiction: str | None) -> list[dict]:
    if jurisdiction is not None:
        chosen = [catalogue.require_jurisdiction(jurisdiction)]
    elif division_code:
        # a division inside a jurisdiction gets its catalogue; a wider one (a
        # province, the whole country) every catalogue within it
        code = validate_division_code(division_code)
        inside = catalogue.jurisdiction_for(code)
        chosen = [j for j in catalogue.JURISDICTIONS.values()
                  if j is inside or division_within(j.code, code)]
    else:
        chosen = list(catalogue.JURISDICTIONS.values())
    out = []
    for j in chosen:
        p = prices(session, j.code)
        out += [dump_item(j, item, p.get(item.code)) for item in j.items]
    return out


def set_item_price(session, now, jurisdiction: str, code: str, unit_price, by: str) -> dict:
    j = catalogue.require_jurisdiction(jurisdiction)
    item = catalogue.item_of(j, code)
    by = _text(by, "by", 100)
    price = None
    if unit_price is not None:
        if not isinstance(unit_price, str):
            raise Invalid('单价须为字符串，如 "35.00"', reason="bad_amount")
        price = to_money(unit_price)
        if price < 0:
            raise Invalid("单价不能为负数", reason="bad_amount")
    exists = session.execute(sa.select(service_items.c.code).where(
        service_items.c.jurisdiction == j.code, service_items.c.code == code)).first()
    values = {"unit_price": price, "updated_at": now, "updated_by": by}
    if exists:
        session.execute(sa.update(service_items).where(
            service_items.c.jurisdiction == j.code, service_items.c.code == code).values(**values))
    else:
        session.execute(sa.insert(service_items).values(jurisdiction=j.code, code=code, **values))
    return dump_item(j, item, price)


# -- cards ----------------------------------------------------------------------------

def _history(session, now, id_number: str, action: str, by: str, detail: dict | None = None):
    session.execute(sa.insert(card_history).values(id_number=id_number, at=now, action=action,
                                                   by=by, detail=detail))


def _card_row(session, id_number: str, lock: bool = False):
    q = sa.select(cards).where(cards.c.id_number == id_number)
    return session.execute(q.with_for_update() if lock else q).first()


def require_card(session, id_number: str, lock: bool = True):
    row = _card_row(session, id_number, lock)
    if row is None:
        raise NotFound(f"该人员没有服务卡（{mask_id_number(id_number)}）", reason="no_card")
    return row


def card_view(session, id_number: str) -> tuple[Any, CardView | None]:
    row = _card_row(session, id_number)
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
    j = catalogue.JURISDICTIONS.get(row.jurisdiction) if row.jurisdiction else None
    return {"id_number": row.id_number, "id_number_masked": mask_id_number(row.id_number),
            "name": row.name or name, "division_code": row.division_code,
            "service_no": row.service_no, "status": row.status, "care_mode": row.care_mode,
            "enrolment_id": row.enrolment_id, "jurisdiction": row.jurisdiction,
            "assessed_on": _iso(row.assessed_on), "issued_on": _iso(row.issued_on),
            "ended_on": _iso(row.ended_on), "end_reason": row.end_reason,
            "suspended_reason": row.suspended_reason, "date_of_death": _iso(died),
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
    row = _card_row(session, id_number)
    out = dump_cards(session, [row])[0]
    if history:
        out["documents"] = [
            {"kind": d.kind, "ref": d.ref, "note": d.note, "added_by": d.added_by,
             "added_at": _iso(d.added_at)}
            for d in session.execute(sa.select(card_documents)
                                     .where(card_documents.c.id_number == id_number)
                                     .order_by(card_documents.c.id))]
        out["history"] = [
            {"at": _iso(h.at), "action": h.action, "by": h.by, "detail": h.detail}
            for h in session.execute(sa.select(card_history)
                                     .where(card_history.c.id_number == id_number)
                                     .order_by(card_history.c.id))]
    return out


def open_card(session, now, *, id_number: str, division_code: str, care_mode: str | None,
              enrolment_id: str | None, by: str, detail: dict | None = None) -> None:
    """A pending card from an enrolment (needs assessment to follow)."""
    row = _card_row(session, id_number, lock=True)
    j = catalogue.jurisdiction_for(division_code)
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
    _history(session, now, id_number, "opened", by, detail)


def _set_items(session, id_number: str, j: catalogue.Jurisdiction, items: Any) -> None:
    if not isinstance(items, list) or not items:
        raise Invalid("须核定至少一个服务项目", reason="no_items")
    seen = set()
    rows = []
    for entry in items:
        if not isinstance(entry, dict):
            raise Invalid("服务项目格式错误", reason="bad_items")
        code = entry.get("code")
        catalogue.item_of(j, code)
        if code in seen:
            raise Invalid(f"服务项目 {code} 重复", reason="bad_items")
        seen.add(code)
        times = entry.get("times_per_month")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)
                                  or not 1 <= times <= 400):
            raise Invalid("每月次数须为1到400的整数", reason="bad_items")
        rows.append({"id_number": id_number, "code": code, "times_per_month": times})
    session.execute(sa.delete(card_items).where(card_items.c.id_number == id_number))
    session.execute(sa.insert(card_items), rows)


def _set_providers(session, id_number: str, j: catalogue.Jurisdiction, providers: Any) -> None:
    if not isinstance(providers, list) or not providers:
        raise Invalid("须指派至少一个服务提供者", reason="no_providers")
    rows, seen = [], set()
    for obj in providers:
        p = parse_provider(obj, with_items=True)
        if p.id_number == id_number:
            raise Invalid("服务提供者不能是服务对象本人", reason="bad_provider")
        if p.key in seen:
            raise Invalid("服务提供者重复", reason="bad_provider")
        seen.add(p.key)
        for code in p.items or ():
            catalogue.item_of(j, code)
        rows.append({"id_number": id_number, "provider_key": p.key, "kind": p.kind,
                     "uscc": p.uscc, "provider_id_number": p.id_number, "name": p.name,
                     "items": list(p.items) if p.items is not None else None})
    session.execute(sa.delete(card_providers).where(card_providers.c.id_number == id_number))
    session.execute(sa.insert(card_providers), rows)


def issue_card(session, now, *, id_number, items, providers, assessed_on, by,
               division_code=None, name=None, care_mode=None) -> dict:
    id_number = validate_id_number(id_number)
    by = _text(by, "by", 100)
    assessed = _date(assessed_on, "assessed_on")
    if assessed > now.date():
        raise Invalid("需求评估日期不能晚于今天", reason="in_future")
    died = death_of(session, id_number)
    if died is not None:
        raise Conflict(f"服务对象已于 {died} 死亡", reason="after_death")
    row = _card_row(session, id_number, lock=True)
    if row is None:
        if division_code is None:
            division_code = person_division(session, id_number)
        division_code = validate_division_code(division_code)
        open_card(session, now, id_number=id_number, division_code=division_code,
                  care_mode=care_mode, enrolment_id=None, by=by, detail={"direct": True})
        row = _card_row(session, id_number, lock=True)
    elif row.status in ("active", "suspended"):
        raise Conflict("服务卡已发放，请使用变更", reason="already_issued", status=row.status)
    j = catalogue.jurisdiction_for(row.division_code)
    if j is None:
        raise Invalid(f"该地区（{row.division_code}）没有服务项目目录", reason="unknown_jurisdiction")
    _set_items(session, id_number, j, items)
    _set_providers(session, id_number, j, providers)
    service_no = row.service_no
    if service_no is None:
        unit = row.division_code[:9]
        service_no = f"FWK-{unit}-{_next_counter(session, 'card:' + unit):05d}"
    values = {"status": "active", "service_no": service_no, "assessed_on": assessed,
              "issued_on": now.date(), "ended_on": None, "end_reason": None,
              "suspended_reason": None, "jurisdiction": j.code, "updated_at": now}
    if name is not None:
        values["name"] = _text(name, "name", 100)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(**values))
    _history(session, now, id_number, "issued", by,
             {"service_no": service_no, "items": items, "assessed_on": assessed.isoformat()})
    return dump_card(session, id_number)


def change_card(session, now, *, id_number, reason, by, items=None, providers=None) -> dict:
    id_number = validate_id_number(id_number)
    by, reason = _text(by, "by", 100), _text(reason, "reason", 500)
    row = require_card(session, id_number)
    if row.status not in ("active", "suspended"):
        raise Conflict("服务卡当前状态不允许变更", reason="card_" + row.status, status=row.status)
    j = catalogue.require_jurisdiction(row.jurisdiction)
    if items is not None:
        _set_items(session, id_number, j, items)
    if providers is not None:
        _set_providers(session, id_number, j, providers)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="active", suspended_reason=None, version=row.version + 1, updated_at=now))
    _history(session, now, id_number, "changed", by,
             {"reason": reason, "items": items, "providers_changed": providers is not None})
    return dump_card(session, id_number)


def suspend_card(session, now, *, id_number, reason, by) -> dict:
    id_number = validate_id_number(id_number)
    by, reason = _text(by, "by", 100), _text(reason, "reason", 500)
    row = require_card(session, id_number)
    if row.status != "active":
        raise Conflict("只有使用中的服务卡可以暂停", reason="card_" + row.status, status=row.status)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="suspended", suspended_reason=reason, updated_at=now))
    _history(session, now, id_number, "suspended", by, {"reason": reason})
    return dump_card(session, id_number)


def resume_card(session, now, *, id_number, by) -> dict:
    id_number = validate_id_number(id_number)
    by = _text(by, "by", 100)
    row = require_card(session, id_number)
    if row.status != "suspended":
        raise Conflict("只有暂停的服务卡可以恢复", reason="card_" + row.status, status=row.status)
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="active", suspended_reason=None, updated_at=now))
    _history(session, now, id_number, "resumed", by)
    return dump_card(session, id_number)


def end_card(session, now, *, id_number: str, ended_on: date, reason: str, by: str,
             detail: dict | None = None, missing_ok: bool = False) -> dict | None:
    row = _card_row(session, id_number, lock=True)
    if row is None:
        if missing_ok:
            return None
        raise NotFound(f"该人员没有服务卡（{mask_id_number(id_number)}）", reason="no_card")
    if row.status == "ended":
        if missing_ok:
            # a later, earlier-dated end (death after exit) only narrows the card
            if row.ended_on is None or ended_on < row.ended_on:
                session.execute(sa.update(cards).where(cards.c.id_number == id_number)
                                .values(ended_on=ended_on, end_reason=reason, updated_at=now))
                _history(session, now, id_number, "end_corrected", by,
                         {"ended_on": ended_on.isoformat(), "reason": reason, **(detail or {})})
            return None
        raise Conflict("服务卡已终止", reason="card_ended")
    session.execute(sa.update(cards).where(cards.c.id_number == id_number).values(
        status="ended", ended_on=ended_on, end_reason=reason, updated_at=now))
    _history(session, now, id_number, "ended", by,
             {"ended_on": ended_on.isoformat(), "reason": reason, **(detail or {})})
    return dump_card(session, id_number)


def add_card_document(session, now, *, id_number, kind, ref, by, note=None) -> dict:
    """Put a copy into the person's file (qingyunpu-2021 §五3: ID card, household
    register, illness/disability proofs, assistance proof, needs form,
    service-received form). ``ref`` points into the document store."""
    id_number = validate_id_number(id_number)
    if kind not in DOCUMENT_KINDS:
        raise Invalid("材料类型不合法", reason="bad_kind", allowed=list(DOCUMENT_KINDS))
    ref, by = _text(ref, "ref", 200), _text(by, "by", 100)
    note = _text(note, "note", 500, required=False)
    require_card(session, id_number)
    session.execute(sa.insert(card_documents).values(id_number=id_number, kind=kind, ref=ref,
                                                     note=note, added_by=by, added_at=now))
    return dump_card(session, id_number, history=True)


def list_cards(session, *, division_code, status, page, per_page) -> dict:
    prefix = division_prefix(division_code)
    q = sa.select(cards).where(cards.c.division_code.like(prefix + "%"))
    if status is not None:
        if status not in CARD_STATUSES:
            raise Invalid("服务卡状态不合法", reason="bad_status", allowed=list(CARD_STATUSES))
        q = q.where(cards.c.status == status)
    page, per_page = _paging(page, per_page)
    total = session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(cards.c.service_no.is_(None), cards.c.service_no,
                                      cards.c.id_number)
                           .limit(per_page).offset((page - 1) * per_page)).all()
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


# -- records --------------------------------------------------------------------------

def lock_unit(session, unit_kind: str, unit_code: str, exclusive: bool = False) -> None:
    """Month close takes its unit exclusively; recording, verifying and correcting
    take it shared — so a close never misses a record committed beside it, and a
    record never lands in a month closed beside it (PostgreSQL; SQLite writes are
    serialised anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(sa.text(f"SELECT {fn}(7008, hashtext(:k))"),
                    {"k": f"{unit_kind}:{unit_code}"})


def is_closed(session, unit_kind: str, unit_code: str, month: str) -> bool:
    return session.execute(sa.select(month_closes.c.month).where(
        month_closes.c.unit_kind == unit_kind, month_closes.c.unit_code == unit_code,
        month_closes.c.month == month)).first() is not None


def open_month(session, unit_kind: str, unit_code: str, from_month: str) -> str:
    month = from_month
    while is_closed(session, unit_kind, unit_code, month):
        y, m = parse_month(month)
        month = f"{y + m // 12:04d}-{m % 12 + 1:02d}"
    return month


def dump_record(r) -> dict:
    return {
        "record_id": r["record_id"], "id_number": r["id_number"],
        "id_number_masked": mask_id_number(r["id_number"]),
        "division_code": r["division_code"], "card_no": r["card_no"],
        "service_item": r["service_item"], "unit": r["unit"],
        "provider": {"kind": r["provider_kind"], "uscc": r["provider_uscc"],
                     "id_number": r["provider_id_number"], "name": r["provider_name"]},
        "worker_id_number_masked": mask_id_number(r["worker_id_number"])
        if r["worker_id_number"] else None,
        "started_at": _iso(r["started_at"]), "ended_at": _iso(r["ended_at"]),
        "served_on": _iso(r["served_on"]), "minutes": r["minutes"],
        "quantity": _money(r["quantity"]), "unit_price": _money(r["unit_price"]),
        "amount": _money(r["amount"]), "place": r["place"], "notes": r["notes"],
        "evidence_ref": r["evidence_ref"], "recorded_by": r["recorded_by"],
        "recorded_at": _iso(r["recorded_at"]), "month": r["month"],
        "settle_month": r["settle_month"], "status": r["status"],
        "entry_kind": r["entry_kind"], "corrects": r["corrects"],
        "corrected_by_record": r["corrected_by_record"],
        "correction_reason": r["correction_reason"], "verified_by": r["verified_by"],
        "verifier_role": r["verifier_role"], "verified_at": _iso(r["verified_at"]),
    }


def get_record_row(session, record_id: Any, lock: bool = False):
    if not isinstance(record_id, str) or "\x00" in record_id or len(record_id) > 40:
        raise NotFound("未找到该服务记录", reason="no_record")
    q = sa.select(records).where(records.c.record_id == record_id)
    row = session.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("未找到该服务记录", reason="no_record", record_id=record_id)
    return row


def get_record(session, record_id) -> dict:
    row = get_record_row(session, record_id)
    out = dump_record(row._mapping)
    out["locked"] = is_closed(session, row.unit_kind, row.unit_code, row.settle_month)
    return out


class RecordingContext:
    """Per-transaction state for recording (one record or a bulk upload): cards,
    deaths, prices, closed months, monthly counts and each worker's busy times
    are read once — for a bulk upload in a handful of queries up front — and the
    records of the upload itself are taken into account as they are prepared."""

    def __init__(self, session):
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.cards: dict[str, tuple] = {}
        self.deaths: dict[str, date | None] = {}
        self.prices: dict[str, dict] = {}
        self.closed: dict[tuple, bool] = {}
        self.used: dict[tuple, int] = {}
        self.busy: dict[str, list[tuple[datetime, datetime, str]]] = {}
        self.locked: set[str] = set()
        self.prefetched: set[str] = set()
        self.units: set[tuple[str, str]] = set()
        self.valid_ids: dict[str, str] = {}

    # -- reads, cached -------------------------------------------------------------

    def id_number(self, value) -> str:
        """``validate_id_number``, remembered for the numbers an upload repeats."""
        if isinstance(value, str):
            hit = self.valid_ids.get(value)
            if hit is not None:
                return hit
        valid = validate_id_number(value)
        self.valid_ids[value] = valid
        return valid

    def card(self, id_number):
        if id_number not in self.cards:
            self.cards[id_number] = card_view(self.session, id_number)
        return self.cards[id_number]

    def death(self, id_number):
        if id_number not in self.deaths:
            self.deaths[id_number] = death_of(self.session, id_number)
        return self.deaths[id_number]

    def price(self, jurisdiction, code):
        if jurisdiction not in self.prices:
            self.prices[jurisdiction] = prices(self.session, jurisdiction)
        return self.prices[jurisdiction].get(code)

    def is_closed(self, unit_kind, unit_code, month):
        if (unit_kind, unit_code) not in self.units:
            lock_unit(self.session, unit_kind, unit_code)
            self.units.add((unit_kind, unit_code))
        key = (unit_kind, unit_code, month)
        if key not in self.closed:
            self.closed[key] = is_closed(self.session, *key)
        return self.closed[key]

    def used_in_month(self, id_number, item, month, exclude: str | None):
        key = (id_number, item, month)
        if key not in self.used or exclude is not None:
            q = sa.select(sa.func.count()).select_from(records).where(
                records.c.id_number == id_number, records.c.service_item == item,
                records.c.month == month, records.c.status != "superseded",
                records.c.entry_kind != "reversal", records.c.corrected_by_record.is_(None))
            if exclude is not None:
                return self.session.execute(q.where(records.c.record_id != exclude)).scalar_one()
            self.used[key] = self.session.execute(q).scalar_one()
        return self.used[key]

    def overlapping(self, worker_key: str, start: datetime, end: datetime,
                    exclude: str | None) -> str | None:
        self.lock_workers([worker_key])
        if worker_key not in self.prefetched:
            q = sa.select(records.c.record_id).where(
                records.c.worker_key == worker_key, records.c.status != "superseded",
                records.c.entry_kind != "reversal", records.c.corrected_by_record.is_(None),
                records.c.started_at < end,
                # no record is longer than a day: keeps the index range scan short
                records.c.started_at > start - MAX_RECORD_SPAN,
                records.c.ended_at > start)
            if exclude is not None:
                q = q.where(records.c.record_id != exclude)
            found = self.session.execute(q.limit(1)).scalar()
            if found is not None:
                return found
        return next((rid for (s, e, rid) in self.busy.get(worker_key, ())
                     if s < end and e > start and rid != exclude), None)

    def lock_workers(self, keys) -> None:
        """Serialise recording per provider/worker so two concurrent uploads cannot
        both pass the overlap check (PostgreSQL advisory locks, in a fixed order)."""
        todo = sorted(set(keys) - self.locked)
        if not todo:
            return
        if self.postgres:
            self.session.execute(sa.text(
                "SELECT pg_advisory_xact_lock(7007, hashtext(k)) "
                "FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS s"),
                {"keys": todo})
        self.locked.update(todo)

    # -- writes of this transaction ------------------------------------------------

    def counted(self, id_number, item, month):
        key = (id_number, item, month)
        if key in self.used:
            self.used[key] += 1

    def occupy(self, worker_key, start, end, record_id):
        self.busy.setdefault(worker_key, []).append((start, end, record_id))

    # -- bulk -----------------------------------------------------------------------

    def prefetch(self, payloads: list) -> None:
        """Read what a bulk upload needs in a few queries. Payloads that do not parse
        are skipped here; they are refused with their reason when prepared."""
        people, workers, months = set(), {}, set()
        for p in payloads:
            try:
                id_number = self.id_number(p.get("id_number"))
                times = service_times(p.get("started_at"), p.get("ended_at"))
                provider = parse_provider(p.get("provider"), check_id=self.id_number)
                worker = p.get("worker_id_number")
                worker = self.id_number(worker) if worker is not None else None
            except (Invalid, AttributeError):
                continue
            people.add(id_number)
            months.add(times.month)
            key = provider.key + (f"/{worker}" if worker else "")
            lo, hi = workers.get(key, (times.started_at, times.ended_at))
            workers[key] = (min(lo, times.started_at), max(hi, times.ended_at))
        if not people:
            return
        ids = sorted(people)
        found = {r.id_number: r for r in self.session.execute(
            sa.select(cards).where(cards.c.id_number.in_(ids)))}
        items: dict[str, dict] = {}
        for r in self.session.execute(sa.select(card_items).where(card_items.c.id_number.in_(ids))):
            items.setdefault(r.id_number, {})[r.code] = r.times_per_month
        providers: dict[str, list] = {}
        for r in self.session.execute(sa.select(card_providers)
                                      .where(card_providers.c.id_number.in_(ids))):
            providers.setdefault(r.id_number, []).append(
                Provider(r.kind, r.uscc, r.provider_id_number, r.name,
                         tuple(r.items) if r.items is not None else None))
        for id_number in ids:
            row = found.get(id_number)
            self.cards[id_number] = (row, None) if row is None else (row, CardView(
                id_number, row.service_no, row.status, row.issued_on, row.ended_on,
                items.get(id_number, {}), providers.get(id_number, [])))
        died = dict(self.session.execute(sa.select(deaths.c.id_number, deaths.c.date_of_death)
                                         .where(deaths.c.id_number.in_(ids))).all())
        for id_number in ids:
            self.deaths[id_number] = died.get(id_number)
        # monthly counts matter only for items granted a number of times a month
        limited = sorted(i for i in ids if any(t is not None for t in items.get(i, {}).values()))
        counts = {}
        if limited:
            counts = {(r.id_number, r.service_item, r.month): r.n for r in self.session.execute(
                sa.select(records.c.id_number, records.c.service_item, records.c.month,
                          sa.func.count().label("n"))
                .where(records.c.id_number.in_(limited), records.c.month.in_(sorted(months)),
                       records.c.status != "superseded", records.c.entry_kind != "reversal",
                       records.c.corrected_by_record.is_(None))
                .group_by(records.c.id_number, records.c.service_item, records.c.month))}
        for id_number in limited:
            for code, times in items[id_number].items():
                for month in months:
                    if times is not None:
                        self.used[(id_number, code, month)] = counts.get(
                            (id_number, code, month), 0)
        for unit in sorted({("township", (row.division_code or "")[:9])
                            for row in found.values()}):
            lock_unit(self.session, *unit)
            self.units.add(unit)
        for r in self.session.execute(sa.select(month_closes.c.unit_kind, month_closes.c.unit_code,
                                                month_closes.c.month)
                                      .where(month_closes.c.month.in_(sorted(months)))):
            self.closed[(r.unit_kind, r.unit_code, r.month)] = True
        for unit in self.units:
            for month in months:
                self.closed.setdefault((*unit, month), False)
        self.lock_workers(workers)
        lo = min(v[0] for v in workers.values())
        hi = max(v[1] for v in workers.values())
        for key in workers:
            self.busy.setdefault(key, [])
        self.prefetched.update(workers)
        for r in self.session.execute(
                sa.select(records.c.worker_key, records.c.started_at, records.c.ended_at,
                          records.c.record_id)
                .where(records.c.worker_key.in_(sorted(workers)),
                       records.c.status != "superseded", records.c.entry_kind != "reversal",
                       records.c.corrected_by_record.is_(None), records.c.started_at < hi, records.c.started_at > lo - MAX_RECORD_SPAN,
                       records.c.ended_at > lo)):
            self.busy[r.worker_key].append((r.started_at, r.ended_at, r.record_id))


def _prepare(uow, now: datetime, payload: Any, ctx: RecordingContext, *, correcting=None,
             settle_month: str | None = None) -> tuple[dict, dict]:
    """Every check of one record; returns the row and the ``service.recorded`` data."""
    if not isinstance(payload, dict):
        raise Invalid("服务记录格式错误", reason="bad_record")
    id_number = ctx.id_number(payload.get("id_number"))
    item = payload.get("service_item")
    if not isinstance(item, str):
        raise Invalid("service_item 不能为空", reason="unknown_item")
    provider = parse_provider(payload.get("provider"), check_id=ctx.id_number)
    if provider.id_number == id_number:
        raise Invalid("服务提供者不能是服务对象本人", reason="bad_provider")
    times = service_times(payload.get("started_at"), payload.get("ended_at"))
    recorded_by = _text(payload.get("recorded_by"), "recorded_by", 100)
    place = _text(payload.get("place"), "place", 200, required=False)
    notes = _text(payload.get("notes"), "notes", 1000, required=False)
    evidence = _text(payload.get("evidence_ref"), "evidence_ref", 256, required=False)
    worker = payload.get("worker_id_number")
    worker = ctx.id_number(worker) if worker is not None else None

    row, card = ctx.card(id_number)
    check_against_card(card, id_number=id_number, item=item, provider=provider, times=times,
                       now=now, date_of_death=ctx.death(id_number))
    j = catalogue.require_jurisdiction(row.jurisdiction)
    spec = catalogue.item_of(j, item)
    quantity = quantity_for(spec.unit, times.minutes, payload.get("quantity"))
    price = ctx.price(j.code, item) if spec.paid_per_record else None
    amount = amount_for(spec.paid_per_record, price, quantity)
    unit_kind, unit_code = close_unit(provider.kind, provider.uscc, row.division_code)
    if settle_month is None:
        if ctx.is_closed(unit_kind, unit_code, times.month):
            raise Conflict(f"{times.month} 已月结，记录已锁定", reason="month_closed",
                           month=times.month)
        settle_month = times.month
    exclude = correcting.record_id if correcting is not None else None
    worker_key = provider.key + (f"/{worker}" if worker else "")
    other = ctx.overlapping(worker_key, times.started_at, times.ended_at, exclude)
    if other is not None:
        raise overlap_error(other)
    if card.items.get(item) is not None:
        check_frequency(card, item, ctx.used_in_month(id_number, item, times.month, exclude))

    record_id = _new_id("SR")
    values = {
        "record_id": record_id, "id_number": id_number, "division_code": row.division_code,
        "card_no": row.service_no, "service_item": item, "unit": spec.unit,
        "provider_kind": provider.kind, "provider_key": provider.key,
        "provider_uscc": provider.uscc, "provider_id_number": provider.id_number,
        "provider_name": _text(provider.name, "provider.name", 128, required=False)
        or next((p.name for p in card.providers if p.key == provider.key), None),
        "worker_key": worker_key, "worker_id_number": worker,
        "started_at": times.started_at, "ended_at": times.ended_at,
        "served_on": times.served_on, "minutes": times.minutes, "quantity": quantity,
        "unit_price": price, "amount": amount, "place": place, "notes": notes,
        "evidence_ref": evidence, "recorded_by": recorded_by, "recorded_at": now,
        "month": times.month, "unit_kind": unit_kind, "unit_code": unit_code,
        "settle_month": settle_month, "status": "recorded",
        "entry_kind": "correction" if correcting is not None else "original",
        "corrects": exclude, "correction_reason": payload.get("correction_reason"),
        "corrected_by_record": None, "verified_by": None, "verifier_role": None,
        "verified_at": None, "verify_note": None,
    }
    ctx.counted(id_number, item, times.month)
    ctx.occupy(worker_key, times.started_at, times.ended_at, record_id)
    event = {"record_id": record_id, "id_number": id_number,
             "division_code": row.division_code, "service_item": item,
             "served_on": times.served_on, "minutes": times.minutes,
             "provider_kind": provider.kind, "provider_uscc": provider.uscc,
             "provider_id_number": provider.id_number, "card_no": row.service_no,
             "quantity": quantity, "amount": amount, "corrects": exclude}
    return values, event


def _store(uow, prepared: list[tuple[dict, dict]]) -> None:
    uow.session.execute(sa.insert(records), [values for values, _ in prepared])
    events = [("service.recorded", event, event["division_code"], event["id_number"])
              for _, event in prepared]
    add_many = getattr(uow.outbox, "add_many", None)
    if add_many is not None:
        add_many(events)
    else:   # pragma: no cover - older doudi-common
        for event_type, data, division, key in events:
            uow.outbox.add(event_type, data, division_code=division, key=key)


def record_service(uow, now: datetime, payload: dict, ctx: RecordingContext | None = None, *,
                   correcting=None, settle_month: str | None = None) -> dict:
    """Validate one record against the card and store it (status ``recorded``)."""
    ctx = ctx or RecordingContext(uow.session)
    prepared = _prepare(uow, now, payload, ctx, correcting=correcting,
                        settle_month=settle_month)
    _store(uow, [prepared])
    return prepared[0]


def record_services(uow, now, payloads: Any) -> dict:
    """A provider's upload: every record checked (against the cards, the database
    and each other), then all stored in one go — or none, with the index and
    reason of the first refusal."""
    if not isinstance(payloads, list) or not payloads:
        raise Invalid("records 须为非空列表", reason="bad_record")
    if len(payloads) > 5000:
        raise Invalid("一次最多上传5000条记录", reason="too_many")
    ctx = RecordingContext(uow.session)
    ctx.prefetch([p for p in payloads if isinstance(p, dict)])
    prepared = []
    for index, payload in enumerate(payloads):
        try:
            prepared.append(_prepare(uow, now, payload, ctx))
        except (Invalid, Conflict) as exc:
            exc.fields["index"] = index
            raise
    _store(uow, prepared)
    return {"recorded": len(prepared), "record_ids": [v["record_id"] for v, _ in prepared]}


def _credit_volunteer(session, now, row, by: str) -> None:
    if row.provider_kind != "volunteer" or row.provider_id_number is None:
        return
    card = _card_row(session, row.id_number)
    j = catalogue.JURISDICTIONS.get(card.jurisdiction) if card is not None else None
    if j is None or not j.time_bank:
        return
    move_time(session, now, row.provider_id_number, row.minutes, "credit", by,
              record_id=row.record_id)


def verify_record(uow, now, *, record_id, verified_by, verifier_role, note=None) -> dict:
    session = uow.session
    verified_by = _text(verified_by, "verified_by", 100)
    if verifier_role not in VERIFIER_ROLES:
        raise Invalid("核实人身份须为 person 或 township_staff", reason="bad_verifier",
                      allowed=list(VERIFIER_ROLES))
    note = _text(note, "note", 500, required=False)
    row = get_record_row(session, record_id, lock=True)
    if row.status == "superseded":
        raise Conflict("该记录已被更正，请核实更正后的记录", reason="superseded",
                       corrected_by_record=row.corrected_by_record)
    if row.status == "verified":
        raise Conflict("该记录已核实", reason="already_verified")
    settle = row.settle_month
    lock_unit(session, row.unit_kind, row.unit_code)
    if is_closed(session, row.unit_kind, row.unit_code, settle):
        # late verification of a locked month is paid in the next open month
        settle = open_month(session, row.unit_kind, row.unit_code,
                            max(settle, month_of(now.date())))
    session.execute(sa.update(records).where(records.c.record_id == row.record_id).values(
        status="verified", verified_by=verified_by, verifier_role=verifier_role,
        verified_at=now, verify_note=note, settle_month=settle))
    uow.outbox.add("service.verified", {
        "record_id": row.record_id, "id_number": row.id_number,
        "division_code": row.division_code, "service_item": row.service_item,
        "served_on": row.served_on, "minutes": row.minutes, "provider_kind": row.provider_kind,
        "provider_uscc": row.provider_uscc, "provider_id_number": row.provider_id_number,
        "verifier_role": verifier_role, "verified_at": now, "settle_month": settle,
        "amount": row.amount}, division_code=row.division_code, key=row.id_number)
    _credit_volunteer(session, now, row, verified_by)
    return get_record(session, row.record_id)


CORRECTABLE = ("started_at", "ended_at", "quantity", "service_item", "place", "notes",
               "evidence_ref")


def correct_record(uow, now, *, record_id, changes, reason, corrected_by) -> dict:
    """A correction is a new record; the original is kept (superseded, or — when its
    month is already closed and it was paid — reversed in the next open month)."""
    session = uow.session
    reason = _text(reason, "reason", 500)
    corrected_by = _text(corrected_by, "corrected_by", 100)
    if not isinstance(changes, dict) or not changes:
        raise Invalid("changes 不能为空", reason="no_changes")
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise Invalid(f"不能更正这些字段：{', '.join(unknown)}", reason="bad_changes",
                      unknown=unknown)
    original = get_record_row(session, record_id, lock=True)
    if original.entry_kind == "reversal":
        raise Invalid("冲销记录不能更正", reason="reversal")
    if original.status == "superseded" or original.corrected_by_record:
        raise Conflict("该记录已被更正，请更正最新的记录", reason="superseded",
                       corrected_by_record=original.corrected_by_record)
    m = original._mapping
    payload = {
        "id_number": m["id_number"], "service_item": m["service_item"],
        "provider": {"kind": m["provider_kind"], "uscc": m["provider_uscc"],
                     "id_number": m["provider_id_number"], "name": m["provider_name"]},
        "started_at": m["started_at"], "ended_at": m["ended_at"],
        "quantity": int(m["quantity"]) if m["unit"] != "hour" else None,
        "place": m["place"], "notes": m["notes"], "evidence_ref": m["evidence_ref"],
        "worker_id_number": m["worker_id_number"], "recorded_by": corrected_by,
        "correction_reason": reason,
    }
    payload.update(changes)
    lock_unit(session, original.unit_kind, original.unit_code)
    locked = is_closed(session, original.unit_kind, original.unit_code, original.settle_month)
    settle = None
    if locked:
        settle = open_month(session, original.unit_kind, original.unit_code,
                            max(original.settle_month, month_of(now.date())))
    correction = record_service(uow, now, payload, correcting=original, settle_month=settle)
    reversal = None
    if original.status == "verified":
        if original.provider_kind == "volunteer" and original.provider_id_number:
            credited = session.execute(sa.select(time_entries.c.id).where(
                time_entries.c.record_id == original.record_id,
                time_entries.c.kind == "credit")).first()
            if credited:
                move_time(session, now, original.provider_id_number, -original.minutes,
                          "reversal", corrected_by, record_id=original.record_id,
                          note="服务记录更正，冲回原记录时长")
        if locked:
            rev = dict(m)
            rev.pop("seq")
            rev.update(record_id=_new_id("SR"), minutes=-m["minutes"], quantity=-m["quantity"],
                       amount=-m["amount"] if m["amount"] is not None else None,
                       entry_kind="reversal", corrects=m["record_id"], status="verified",
                       settle_month=settle, recorded_by=corrected_by, recorded_at=now,
                       verified_by=corrected_by, verifier_role="township_staff",
                       verified_at=now, correction_reason=reason, corrected_by_record=None,
                       worker_key=m["worker_key"] + "/reversal")
            session.execute(sa.insert(records).values(**rev))
            reversal = rev
    new_status = original.status if (locked and original.status == "verified") else "superseded"
    session.execute(sa.update(records).where(records.c.record_id == original.record_id)
                    .values(status=new_status, corrected_by_record=correction["record_id"]))
    return {"original": get_record(session, original.record_id),
            "correction": get_record(session, correction["record_id"]),
            "reversal": get_record(session, reversal["record_id"]) if reversal else None}


def list_records(session, *, id_number=None, provider_uscc=None, provider_id_number=None,
                 month=None, division_code=None, status=None, page=1, per_page=50) -> dict:
    q = sa.select(records)
    if id_number is not None:
        q = q.where(records.c.id_number == validate_id_number(id_number))
    if provider_uscc is not None:
        q = q.where(records.c.provider_uscc == validate_uscc(provider_uscc))
    if provider_id_number is not None:
        q = q.where(records.c.provider_id_number == validate_id_number(provider_id_number))
    if month is not None:
        q = q.where(records.c.month == _month(month))
    if division_code is not None:
        q = q.where(records.c.division_code.like(division_prefix(division_code) + "%"))
    if status is not None:
        if status not in RECORD_STATUSES:
            raise Invalid("记录状态不合法", reason="bad_status", allowed=list(RECORD_STATUSES))
        q = q.where(records.c.status == status)
    return paginate(session, q, [records.c.started_at, records.c.seq], page, per_page,
                    dump_record)


# -- month close ---------------------------------------------------------------------------

def close_month(uow, now, *, month, division_code=None, institution_uscc=None,
                closed_by) -> dict:
    session = uow.session
    month = _month(month)
    closed_by = _text(closed_by, "closed_by", 100)
    if division_code is None:
        raise Invalid("须提供 division_code", reason="missing_field", field="division_code")
    division_code = validate_division_code(division_code)
    if institution_uscc is not None:
        unit_kind, unit_code = "institution", validate_uscc(institution_uscc)
    else:
        if len(division_code) == 12:
            # records close by township (9 digits); persons known only at county
            # level (6 digits) close with their county code
            raise Invalid("月结须按乡镇（街道，9位区划代码）或机构进行", reason="bad_unit")
        unit_kind, unit_code = "township", division_code
    if month >= month_of(now.date()):
        raise Conflict(f"{month} 尚未结束，不能月结", reason="month_not_over", month=month)
    lock_unit(session, unit_kind, unit_code, exclusive=True)
    if is_closed(session, unit_kind, unit_code, month):
        raise Conflict(f"{month} 已月结", reason="already_closed", month=month)
    in_unit = (records.c.unit_kind == unit_kind, records.c.unit_code == unit_code,
               records.c.settle_month == month)
    is_rev = records.c.entry_kind == "reversal"
    sign = sa.case((is_rev, -1), else_=1)
    amount = sa.func.coalesce(sa.func.sum(records.c.amount), 0)
    group = (records.c.id_number, records.c.provider_kind, records.c.provider_key,
             records.c.provider_uscc, records.c.provider_id_number, records.c.service_item)
    line_rows = session.execute(
        sa.select(*group, sa.func.sum(sign).label("n"), sa.func.sum(records.c.minutes).label("m"),
                  sa.func.sum(records.c.quantity).label("q"), amount.label("a"),
                  sa.func.max(records.c.provider_name).label("pname"))
        .where(*in_unit, records.c.status == "verified").group_by(*group)
        .order_by(records.c.provider_key, records.c.id_number, records.c.service_item)).all()
    counts = session.execute(
        sa.select(sa.func.count().filter(sa.and_(records.c.status == "verified", ~is_rev)),
                  sa.func.count().filter(records.c.status == "recorded"))
        .where(*in_unit)).one()
    lines, providers = [], {}
    for r in line_rows:
        amt = to_money(r.a)
        lines.append({"id_number": r.id_number, "provider_kind": r.provider_kind,
                      "provider_uscc": r.provider_uscc,
                      "provider_id_number": r.provider_id_number,
                      "service_item": r.service_item, "records": int(r.n), "minutes": int(r.m),
                      "quantity": to_money(r.q), "amount": amt})
        p = providers.setdefault(r.provider_key, {
            "provider_kind": r.provider_kind, "provider_uscc": r.provider_uscc,
            "provider_id_number": r.provider_id_number, "provider_name": r.pname,
            "records": 0, "minutes": 0, "amount": ZERO})
        p["records"] += int(r.n)
        p["minutes"] += int(r.m)
        p["amount"] = to_money(p["amount"] + amt)
    data = {"month": month, "division_code": division_code,
            "institution_uscc": unit_code if unit_kind == "institution" else None,
            "records": counts[0], "persons": len({ln["id_number"] for ln in lines}),
            "minutes": sum(ln["minutes"] for ln in lines),
            "total_amount": to_money(sum((ln["amount"] for ln in lines), ZERO)),
            "unverified": counts[1], "closed_at": now,
            "providers": list(providers.values()), "lines": lines}
    event_id = uow.outbox.add("month.closed", data, division_code=division_code,
                              key=f"{unit_kind}:{unit_code}:{month}")
    summary = _jsonable(data)
    session.execute(sa.insert(month_closes).values(
        unit_kind=unit_kind, unit_code=unit_code, month=month, division_code=division_code,
        closed_at=now, closed_by=closed_by, event_id=event_id, summary=summary))
    return {**summary, "closed_by": closed_by, "event_id": event_id}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(to_money(value), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _dump_close(r) -> dict:
    return {**r["summary"], "closed_by": r["closed_by"], "event_id": r["event_id"]}


def get_month_close(session, *, month, division_code=None, institution_uscc=None) -> dict:
    month = _month(month)
    if institution_uscc is not None:
        key = ("institution", validate_uscc(institution_uscc))
    elif division_code is not None:
        key = ("township", validate_division_code(division_code))
    else:
        raise Invalid("须提供 division_code 或 institution_uscc", reason="missing_field")
    row = session.execute(sa.select(month_closes).where(
        month_closes.c.unit_kind == key[0], month_closes.c.unit_code == key[1],
        month_closes.c.month == month)).first()
    if row is None:
        raise NotFound(f"{month} 尚未月结", reason="not_closed")
    return _dump_close(row._mapping)


def list_month_closes(session, *, division_code, page=1, per_page=50) -> dict:
    q = sa.select(month_closes).where(
        month_closes.c.division_code.like(division_prefix(division_code) + "%"))
    return paginate(session, q, [month_closes.c.month.desc(), month_closes.c.unit_code],
                    page, per_page, _dump_close)


# -- time bank ------------------------------------------------------------------------------

def balance_of(session, id_number: str, lock: bool = False) -> int:
    q = sa.select(time_accounts.c.balance_minutes).where(time_accounts.c.id_number == id_number)
    value = session.execute(q.with_for_update() if lock else q).scalar()
    return value or 0


def move_time(session, now, id_number: str, minutes: int, kind: str, by: str, *,
              record_id: str | None = None, counterparty: str | None = None,
              note: str | None = None) -> int:
    """Add (positive) or take (negative) minutes; refuses a negative balance."""
    exists = session.execute(sa.select(time_accounts.c.id_number).where(
        time_accounts.c.id_number == id_number).with_for_update()).first()
    balance = balance_of(session, id_number)
    new = balance + minutes if minutes >= 0 else timebank.check_debit(balance, -minutes)
    if exists:
        session.execute(sa.update(time_accounts).where(time_accounts.c.id_number == id_number)
                        .values(balance_minutes=new, updated_at=now))
    else:
        session.execute(sa.insert(time_accounts).values(id_number=id_number,
                                                        balance_minutes=new, updated_at=now))
    session.execute(sa.insert(time_entries).values(
        id_number=id_number, at=now, kind=kind, minutes=minutes, balance_after=new,
        record_id=record_id, counterparty=counterparty, note=note, by=by))
    return new


def dump_balance(id_number: str, minutes: int) -> dict:
    return {"id_number": id_number, "id_number_masked": mask_id_number(id_number),
            "balance_minutes": minutes, "balance_hours": timebank.hours(minutes)}


def time_bank_balance(session, id_number) -> dict:
    id_number = validate_id_number(id_number)
    return dump_balance(id_number, balance_of(session, id_number))


def time_bank_history(session, id_number, page=1, per_page=50) -> dict:
    id_number = validate_id_number(id_number)
    q = sa.select(time_entries).where(time_entries.c.id_number == id_number)
    return paginate(session, q, [time_entries.c.id], page, per_page, lambda r: {
        "entry_id": r["id"], "at": _iso(r["at"]), "kind": r["kind"], "minutes": r["minutes"],
        "balance_after": r["balance_after"], "record_id": r["record_id"],
        "counterparty_masked": mask_id_number(r["counterparty"]) if r["counterparty"] else None,
        "note": r["note"], "by": r["by"]})


def _volunteer_jurisdiction(session, id_number: str) -> catalogue.Jurisdiction | None:
    """Where the volunteer's time was earned (the card of the last credited record)."""
    jur = session.execute(
        sa.select(cards.c.jurisdiction).select_from(
            time_entries.join(records, records.c.record_id == time_entries.c.record_id)
            .join(cards, cards.c.id_number == records.c.id_number))
        .where(time_entries.c.id_number == id_number, time_entries.c.kind == "credit")
        .order_by(time_entries.c.id.desc()).limit(1)).scalar()
    if jur is None:
        division = session.execute(sa.select(person_directory.c.division_code).where(
            person_directory.c.id_number == id_number)).scalar()
        return catalogue.jurisdiction_for(division) if division else None
    return catalogue.JURISDICTIONS.get(jur)


def transfer_time(session, now, *, from_id_number, to_id_number, minutes, relation, by) -> dict:
    src, dst = validate_id_number(from_id_number), validate_id_number(to_id_number)
    minutes = timebank.check_minutes(minutes)
    by = _text(by, "by", 100)
    timebank.check_transfer(_volunteer_jurisdiction(session, src), relation, src, dst)
    # lock both accounts in a fixed order so two opposite transfers cannot deadlock
    for who in sorted((src, dst)):
        balance_of(session, who, lock=True)
    left = move_time(session, now, src, -minutes, "transfer_out", by, counterparty=dst,
                     note=f"转给亲属（{relation}）")
    got = move_time(session, now, dst, minutes, "transfer_in", by, counterparty=src,
                    note=f"亲属（{relation}）转入")
    return {"from": dump_balance(src, left), "to": dump_balance(dst, got)}


def redeem_time(session, now, *, id_number, minutes, by, service_item=None, note=None) -> dict:
    id_number = validate_id_number(id_number)
    minutes = timebank.check_minutes(minutes)
    by = _text(by, "by", 100)
    note = _text(note, "note", 400, required=False)
    text = " ".join(x for x in (service_item and f"兑换服务：{service_item}", note) if x) or None
    left = move_time(session, now, id_number, -minutes, "redeem", by, note=text)
    return dump_balance(id_number, left)


# -- visits --------------------------------------------------------------------------------

def dump_schedule(session, r, today: date) -> dict:
    return {"id_number": r["id_number"], "id_number_masked": mask_id_number(r["id_number"]),
            "name": person_name(session, r["id_number"]), "division_code": r["division_code"],
            "kind": r["kind"], "every_days": r["every_days"], "start_on": _iso(r["start_on"]),
            "last_visit_on": _iso(r["last_visit_on"]), "next_due_on": _iso(r["next_due_on"]),
            "overdue": r["active"] and r["next_due_on"] < today, "active": r["active"],
            "overdue_notified_on": _iso(r["overdue_notified_on"])}


def set_visit_schedule(session, now, *, id_number, every_days, kind, by, division_code=None,
                       start_on=None) -> dict:
    id_number = validate_id_number(id_number)
    if kind not in VISIT_KINDS:
        raise Invalid("探访类型须为 regular 或 neighbor", reason="bad_kind")
    if isinstance(every_days, bool) or not isinstance(every_days, int) \
            or not 1 <= every_days <= 366:
        raise Invalid("探访周期须为1到366天", reason="bad_interval")
    by = _text(by, "by", 100)
    if death_of(session, id_number) is not None:
        raise Conflict("服务对象已死亡", reason="after_death")
    division = person_division(session, id_number, division_code)
    start = _date(start_on, "start_on") if start_on is not None else now.date()
    key = (schedules.c.id_number == id_number, schedules.c.kind == kind)
    row = session.execute(sa.select(schedules).where(*key)).first()
    base = row.last_visit_on if row is not None and row.last_visit_on else start
    values = {"division_code": division, "every_days": every_days, "start_on": start,
              "next_due_on": base + timedelta(days=every_days), "active": True,
              "updated_by": by, "updated_at": now, "overdue_notified_on": None}
    if row is None:
        session.execute(sa.insert(schedules).values(id_number=id_number, kind=kind, **values))
    else:
        session.execute(sa.update(schedules).where(*key).values(**values))
    r = session.execute(sa.select(schedules).where(*key)).first()
    return dump_schedule(session, r._mapping, now.date())


def record_visit(session, now, *, id_number, visited_on, visitor, content, by,
                 kind="regular") -> dict:
    id_number = validate_id_number(id_number)
    if kind not in VISIT_KINDS:
        raise Invalid("探访类型须为 regular 或 neighbor", reason="bad_kind")
    day = _date(visited_on, "visited_on")
    if day > now.date():
        raise Invalid("探访日期不能晚于今天", reason="in_future")
    died = death_of(session, id_number)
    if died is not None and day > died:
        raise Conflict(f"探访日期晚于服务对象死亡日期 {died}", reason="after_death")
    who = parse_provider(visitor)
    content = _text(content, "content", 2000)
    by = _text(by, "by", 100)
    division = person_division(session, id_number)
    visit_id = _new_id("VS")
    session.execute(sa.insert(visits).values(
        visit_id=visit_id, id_number=id_number, division_code=division, kind=kind,
        visited_on=day, visitor=who.as_dict(), content=content, recorded_by=by,
        recorded_at=now))
    key = (schedules.c.id_number == id_number, schedules.c.kind == kind)
    row = session.execute(sa.select(schedules).where(*key)).first()
    if row is not None and (row.last_visit_on is None or day >= row.last_visit_on):
        session.execute(sa.update(schedules).where(*key).values(
            last_visit_on=day, next_due_on=day + timedelta(days=row.every_days),
            overdue_notified_on=None, updated_at=now, updated_by=by))
    return {"visit_id": visit_id, "id_number": id_number, "kind": kind,
            "visited_on": day.isoformat(), "visitor": who.as_dict(), "content": content,
            "recorded_by": by, "recorded_at": now.isoformat()}


def list_visits(session, *, id_number, page=1, per_page=50) -> dict:
    id_number = validate_id_number(id_number)
    q = sa.select(visits).where(visits.c.id_number == id_number)
    return paginate(session, q, [visits.c.visited_on.desc(), visits.c.id.desc()], page,
                    per_page, lambda r: {
                        "visit_id": r["visit_id"], "id_number": r["id_number"],
                        "kind": r["kind"], "visited_on": _iso(r["visited_on"]),
                        "visitor": r["visitor"], "content": r["content"],
                        "recorded_by": r["recorded_by"], "recorded_at": _iso(r["recorded_at"])})


def list_overdue_visits(session, now, *, division_code, page=1, per_page=50) -> dict:
    today = now.date()
    q = sa.select(schedules).where(
        schedules.c.division_code.like(division_prefix(division_code) + "%"),
        schedules.c.active.is_(True), schedules.c.next_due_on < today)
    return paginate(session, q, [schedules.c.next_due_on, schedules.c.id_number], page,
                    per_page, lambda r: dump_schedule(session, r, today))


def notify_overdue_visits(uow, now, limit: int = 500) -> int:
    session = uow.session
    today = now.date()
    rows = session.execute(sa.select(schedules).where(
        schedules.c.active.is_(True), schedules.c.next_due_on < today,
        sa.or_(schedules.c.overdue_notified_on.is_(None),
               schedules.c.overdue_notified_on != schedules.c.next_due_on))
        .order_by(schedules.c.next_due_on).limit(limit).with_for_update(skip_locked=True)).all()
    for r in rows:
        uow.outbox.add("visit.overdue", {
            "id_number": r.id_number, "division_code": r.division_code,
            "due_on": r.next_due_on, "last_visit_on": r.last_visit_on},
            division_code=r.division_code, key=r.id_number)
        session.execute(sa.update(schedules).where(
            schedules.c.id_number == r.id_number, schedules.c.kind == r.kind)
            .values(overdue_notified_on=r.next_due_on))
    return len(rows)


# -- alerts ---------------------------------------------------------------------------------

def dump_alert(session, r) -> dict:
    return {"alert_id": r["alert_id"], "id_number": r["id_number"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "name": person_name(session, r["id_number"]), "division_code": r["division_code"],
            "kind": r["kind"], "summary": r["summary"], "raised_at": _iso(r["raised_at"]),
            "raised_by": r["raised_by"], "status": r["status"],
            "acknowledged_at": _iso(r["acknowledged_at"]),
            "acknowledged_by": r["acknowledged_by"], "escalation_level": r["escalation_level"],
            "escalated_at": _iso(r["escalated_at"]), "resolved_at": _iso(r["resolved_at"]),
            "resolved_by": r["resolved_by"], "resolution": r["resolution"]}


def _alert_row(session, alert_id, lock=False):
    if not isinstance(alert_id, str) or "\x00" in alert_id or len(alert_id) > 40:
        raise NotFound("未找到该警报", reason="no_alert")
    q = sa.select(alerts).where(alerts.c.alert_id == alert_id)
    row = session.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("未找到该警报", reason="no_alert")
    return row


def get_alert(session, alert_id) -> dict:
    return dump_alert(session, _alert_row(session, alert_id)._mapping)


def raise_alert(uow, now, *, id_number, kind, raised_by, summary=None, raised_at=None,
                division_code=None) -> dict:
    session = uow.session
    id_number = validate_id_number(id_number)
    if kind not in ALERT_KINDS:
        raise Invalid("警报类型不合法", reason="bad_kind", allowed=list(ALERT_KINDS))
    raised_by = _text(raised_by, "raised_by", 100)
    summary = _text(summary, "summary", 500, required=False)
    from doudi_services_log.domain.records import parse_time
    at = parse_time(raised_at, "raised_at") if raised_at is not None else now
    if at > now:
        raise Invalid("警报时间不能晚于当前时间", reason="in_future")
    division = person_division(session, id_number, division_code)
    alert_id = _new_id("AL")
    session.execute(sa.insert(alerts).values(
        alert_id=alert_id, id_number=id_number, division_code=division, kind=kind,
        summary=summary, raised_at=at, raised_by=raised_by, status="raised",
        escalation_level=0))
    uow.outbox.add("alert.raised", {"alert_id": alert_id, "id_number": id_number,
                                    "division_code": division, "kind": kind,
                                    "raised_at": at, "summary": summary},
                   division_code=division, key=id_number)
    return get_alert(session, alert_id)


def acknowledge_alert(session, now, *, alert_id, by) -> dict:
    by = _text(by, "by", 100)
    row = _alert_row(session, alert_id, lock=True)
    if row.status != "raised":
        raise Conflict("警报已确认或已处理", reason="alert_" + row.status)
    session.execute(sa.update(alerts).where(alerts.c.alert_id == alert_id).values(
        status="acknowledged", acknowledged_at=now, acknowledged_by=by))
    return get_alert(session, alert_id)


def resolve_alert(uow, now, *, alert_id, resolution, by) -> dict:
    session = uow.session
    by = _text(by, "by", 100)
    resolution = _text(resolution, "resolution", 500)
    row = _alert_row(session, alert_id, lock=True)
    if row.status == "resolved":
        raise Conflict("警报已处理", reason="alert_resolved")
    values = {"status": "resolved", "resolved_at": now, "resolved_by": by,
              "resolution": resolution}
    if row.acknowledged_at is None:
        values.update(acknowledged_at=now, acknowledged_by=by)
    session.execute(sa.update(alerts).where(alerts.c.alert_id == alert_id).values(**values))
    uow.outbox.add("alert.resolved", {"alert_id": alert_id, "id_number": row.id_number,
                                      "division_code": row.division_code, "resolved_at": now,
                                      "resolution": resolution},
                   division_code=row.division_code, key=row.id_number)
    return get_alert(session, alert_id)


def list_alerts(session, *, division_code, status=None, page=1, per_page=50) -> dict:
    q = sa.select(alerts).where(alerts.c.division_code.like(division_prefix(division_code) + "%"))
    if status is not None:
        if status not in ("raised", "acknowledged", "resolved"):
            raise Invalid("警报状态不合法", reason="bad_status")
        q = q.where(alerts.c.status == status)
    return paginate(session, q, [alerts.c.raised_at.desc(), alerts.c.id.desc()], page, per_page,
                    lambda r: dump_alert(session, r))


def escalate_alerts(uow, now, ack_minutes: float, max_level: int = 10) -> int:
    """Alerts still not acknowledged ``ack_minutes`` after being raised (or after the
    last escalation) go one level up."""
    session = uow.session
    cutoff = now - timedelta(minutes=ack_minutes)
    since = sa.func.coalesce(alerts.c.escalated_at, alerts.c.raised_at)
    rows = session.execute(sa.select(alerts).where(
        alerts.c.status == "raised", since <= cutoff,
        alerts.c.escalation_level < max_level)
        .order_by(alerts.c.id).limit(500).with_for_update(skip_locked=True)).all()
    for r in rows:
        level = r.escalation_level + 1
        session.execute(sa.update(alerts).where(alerts.c.alert_id == r.alert_id)
                        .values(escalation_level=level, escalated_at=now))
        uow.outbox.add("alert.escalated", {
            "alert_id": r.alert_id, "id_number": r.id_number, "division_code": r.division_code,
            "kind": r.kind, "raised_at": r.raised_at, "escalated_at": now, "level": level},
            division_code=r.division_code, key=r.id_number)
    return len(rows)


# -- statistics -----------------------------------------------------------------------------

def monthly_statistics(session, *, month, division_code) -> dict:
    month = _month(month)
    prefix = division_prefix(division_code)
    in_div = records.c.division_code.like(prefix + "%")
    not_rev = records.c.entry_kind != "reversal"
    by_status = dict(session.execute(
        sa.select(records.c.status, sa.func.count()).where(
            in_div, records.c.month == month, not_rev).group_by(records.c.status)).all())
    valid = (in_div, records.c.month == month, not_rev, records.c.status != "superseded")
    totals = session.execute(sa.select(
        sa.func.count(sa.distinct(records.c.id_number)),
        sa.func.count(sa.distinct(records.c.provider_key)),
        sa.func.coalesce(sa.func.sum(records.c.minutes), 0),
        sa.func.coalesce(sa.func.sum(records.c.amount), 0)).where(*valid)).one()
    by_item = [
        {"service_item": r.service_item, "records": r.n, "minutes": int(r.m),
         "amount": _money(r.a)}
        for r in session.execute(sa.select(
            records.c.service_item, sa.func.count().label("n"),
            sa.func.sum(records.c.minutes).label("m"),
            sa.func.coalesce(sa.func.sum(records.c.amount), 0).label("a"))
            .where(*valid).group_by(records.c.service_item).order_by(records.c.service_item))]
    y, m = parse_month(month)
    first = date(y, m, 1)
    nxt = date(y + m // 12, m % 12 + 1, 1)
    done = session.execute(sa.select(sa.func.count()).select_from(visits).where(
        visits.c.division_code.like(prefix + "%"), visits.c.visited_on >= first,
        visits.c.visited_on < nxt)).scalar_one()
    overdue = session.execute(sa.select(sa.func.count()).select_from(schedules).where(
        schedules.c.division_code.like(prefix + "%"),
        schedules.c.overdue_notified_on >= first,
        schedules.c.overdue_notified_on < nxt)).scalar_one()
    start_at = datetime.combine(first, datetime.min.time(), SHANGHAI)
    end_at = datetime.combine(nxt, datetime.min.time(), SHANGHAI)
    in_month = sa.and_(alerts.c.division_code.like(prefix + "%"),
                       alerts.c.raised_at >= start_at, alerts.c.raised_at < end_at)
    alert_counts = session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(alerts.c.status == "resolved"),
        sa.func.count().filter(alerts.c.escalation_level > 0)).where(in_month)).one()
    credited = session.execute(sa.select(sa.func.coalesce(sa.func.sum(time_entries.c.minutes), 0))
                               .select_from(time_entries.join(
                                   records, records.c.record_id == time_entries.c.record_id))
                               .where(time_entries.c.kind == "credit", *valid)).scalar_one()
    closed = [f"{r.unit_kind}:{r.unit_code}" for r in session.execute(
        sa.select(month_closes.c.unit_kind, month_closes.c.unit_code).where(
            month_closes.c.month == month,
            month_closes.c.division_code.like(prefix + "%")))]
    return {"month": month, "division_code": division_code,
            "records": {s: by_status.get(s, 0) for s in RECORD_STATUSES},
            "persons_served": totals[0], "providers": totals[1], "minutes": int(totals[2]),
            "amount": _money(totals[3]), "by_item": by_item,
            "visits": {"done": done, "overdue": overdue},
            "alerts": {"raised": alert_counts[0], "resolved": alert_counts[1],
                       "escalated": alert_counts[2]},
            "time_bank_minutes_credited": int(credited), "closed_units": closed}

