"""Service records after they are recorded: read, listed, verified (the
volunteer credited), corrected (superseded, or reversed in the next open month
when the month is closed)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from doudi_common.args import optional_text, require_month, require_text
from doudi_common.dates import month_of
from doudi_common.errors import NotFound
from doudi_common.ids import (
    division_prefix,
    mask_id_number,
    validate_id_number,
    validate_uscc,
)

from doudi_services_log import policy
from doudi_services_log.domain import records as record_rules
from doudi_services_log.models import (
    records,
    time_entries,
)
from doudi_services_log.schemas import iso, money
from doudi_services_log.store.cards import card_row
from doudi_services_log.store.closes import is_closed, lock_unit, open_month
from doudi_services_log.store.recording import record_service
from doudi_services_log.store.shared import (
    _new_id,
    paginate,
)
from doudi_services_log.store.timebank import move_time


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
        "started_at": iso(r["started_at"]), "ended_at": iso(r["ended_at"]),
        "served_on": iso(r["served_on"]), "minutes": r["minutes"],
        "quantity": money(r["quantity"]), "unit_price": money(r["unit_price"]),
        "amount": money(r["amount"]), "place": r["place"], "notes": r["notes"],
        "evidence_ref": r["evidence_ref"], "recorded_by": r["recorded_by"],
        "recorded_at": iso(r["recorded_at"]), "month": r["month"],
        "settle_month": r["settle_month"], "status": r["status"],
        "entry_kind": r["entry_kind"], "corrects": r["corrects"],
        "corrected_by_record": r["corrected_by_record"],
        "correction_reason": r["correction_reason"], "verified_by": r["verified_by"],
        "verifier_role": r["verifier_role"], "verified_at": iso(r["verified_at"]),
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


def _credit_volunteer(session, now, row, by: str) -> None:
    if row.provider_kind != "volunteer" or row.provider_id_number is None:
        return
    card = card_row(session, row.id_number)
    j = policy.JURISDICTIONS.get(card.jurisdiction) if card is not None else None
    if j is None or not j.time_bank:
        return
    move_time(session, now, row.provider_id_number, row.minutes, "credit", by,
              record_id=row.record_id)


def verify_record(uow, now, *, record_id, verified_by, verifier_role, note=None) -> dict:
    session = uow.session
    verified_by = require_text(verified_by, "verified_by", 100)
    verifier_role = record_rules.check_verifier(verifier_role)
    note = optional_text(note, "note", 500)
    row = get_record_row(session, record_id, lock=True)
    record_rules.check_verifiable(row.status, row.corrected_by_record)
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


def correct_record(uow, now, *, record_id, changes, reason, corrected_by) -> dict:
    """A correction is a new record; the original is kept (superseded, or — when its
    month is already closed and it was paid — reversed in the next open month)."""
    session = uow.session
    reason = require_text(reason, "reason", 500)
    corrected_by = require_text(corrected_by, "corrected_by", 100)
    changes = record_rules.check_changes(changes)
    original = get_record_row(session, record_id, lock=True)
    record_rules.check_correctable(original.entry_kind, original.status,
                                   original.corrected_by_record)
    m = original._mapping
    payload = record_rules.correction_payload(m, changes, by=corrected_by, reason=reason)
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
            rev = record_rules.reversal_of(m, record_id=_new_id("SR"), settle_month=settle,
                                           by=corrected_by, now=now, reason=reason)
            session.execute(sa.insert(records).values(**rev))
            reversal = rev
    new_status = record_rules.status_after_correction(original.status, locked)
    session.execute(sa.update(records).where(records.c.record_id == original.record_id)
                    .values(status=new_status, corrected_by_record=correction["record_id"]))
    return {"original": get_record(session, original.record_id),
            "correction": get_record(session, correction["record_id"]),
            "reversal": get_record(session, reversal["record_id"]) if reversal else None}


def list_records(session, *, id_number=None, provider_uscc=None, provider_id_number=None,
                 month=None, division_code=None, status=None, service_item=None,
                 counted=False, page=1, per_page=50) -> dict:
    """Records by the given filters; ``counted``: only those the statistics
    count (neither a superseded original nor a reversal)."""
    q = sa.select(records)
    if service_item is not None:
        q = q.where(records.c.service_item == str(service_item))
    if counted:
        q = q.where(records.c.status != "superseded", records.c.entry_kind != "reversal")
    if id_number is not None:
        q = q.where(records.c.id_number == validate_id_number(id_number))
    if provider_uscc is not None:
        q = q.where(records.c.provider_uscc == validate_uscc(provider_uscc))
    if provider_id_number is not None:
        q = q.where(records.c.provider_id_number == validate_id_number(provider_id_number))
    if month is not None:
        q = q.where(records.c.month == require_month(month))
    if division_code is not None:
        q = q.where(records.c.division_code.like(division_prefix(division_code) + "%"))
    record_rules.check_status_filter(status)
    if status is not None:
        q = q.where(records.c.status == status)
    return paginate(session, q, [records.c.started_at, records.c.seq], page, per_page,
                    dump_record)
