"""The volunteer time bank: balances, credits, transfers within a family, redemption."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.args import optional_text, require_text
from doudi_common.ids import (
    mask_id_number,
    validate_id_number,
)

from doudi_services_log import policy
from doudi_services_log.domain import catalogue, timebank
from doudi_services_log.models import (
    cards,
    person_directory,
    records,
    time_accounts,
    time_entries,
)
from doudi_services_log.schemas import iso
from doudi_services_log.store.shared import (
    paginate,
)

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
        "entry_id": r["id"], "at": iso(r["at"]), "kind": r["kind"], "minutes": r["minutes"],
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
        return policy.jurisdiction_for(division) if division else None
    return policy.JURISDICTIONS.get(jur)


def transfer_time(session, now, *, from_id_number, to_id_number, minutes, relation, by) -> dict:
    src, dst = validate_id_number(from_id_number), validate_id_number(to_id_number)
    minutes = timebank.check_minutes(minutes)
    by = require_text(by, "by", 100)
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
    by = require_text(by, "by", 100)
    note = optional_text(note, "note", 400)
    text = " ".join(x for x in (service_item and f"兑换服务：{service_item}", note) if x) or None
    left = move_time(session, now, id_number, -minutes, "redeem", by, note=text)
    return dump_balance(id_number, left)
