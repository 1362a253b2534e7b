"""Month close of a township or an institution: the records it locks and the
``month.closed`` event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from doudi_common.args import require_month, require_text
from doudi_common.dates import next_month
from doudi_common.errors import NotFound
from doudi_common.ids import (
    division_prefix,
    validate_division_code,
    validate_uscc,
)
from doudi_common.money import ZERO, to_money

from doudi_services_log.domain import closes as close_rules
from doudi_services_log.models import (
    month_closes,
    records,
)
from doudi_services_log.store.shared import (
    paginate,
)

# -- month close ---------------------------------------------------------------------------

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
        month = next_month(month)
    return month



def close_month(uow, now, *, month, division_code=None, institution_uscc=None,
                closed_by) -> dict:
    session = uow.session
    month = require_month(month)
    closed_by = require_text(closed_by, "closed_by", 100)
    if division_code is not None:
        division_code = validate_division_code(division_code)
    unit_kind, unit_code = close_rules.close_unit_of(division_code, institution_uscc)
    if unit_kind == "institution":
        unit_code = validate_uscc(institution_uscc)
    close_rules.check_month_over(month, now.date())
    lock_unit(session, unit_kind, unit_code, exclusive=True)
    close_rules.check_not_closed(is_closed(session, unit_kind, unit_code, month), month)
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
    month = require_month(month)
    kind = close_rules.lookup_unit(division_code, institution_uscc)
    key = (kind, validate_uscc(institution_uscc) if kind == "institution"
           else validate_division_code(division_code))
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
