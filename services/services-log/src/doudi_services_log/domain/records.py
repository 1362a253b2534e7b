"""Service records: what a provider may record against a service card.

Pure rules (qingyunpu-2021 §五4 "凭社会救助服务卡，接受对应社会救助服务"): the
card must be issued and not suspended or ended, the item granted on it, the
provider assigned to it, the service not in the future, not after the person's
death, not overlapping another record of the same provider (or the same worker
of an organisation), not beyond the granted monthly frequency, and not in a
closed month. Each refusal carries a stable ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from doudi_common.dates import month_of, to_shanghai
from doudi_common.errors import Conflict, Invalid
from doudi_common.ids import mask_id_number, validate_id_number, validate_uscc
from doudi_common.money import to_money

PROVIDER_KINDS = ("institution", "organisation", "social_worker", "volunteer", "neighbor")
ORGANISATION_KINDS = ("institution", "organisation")
PERSON_KINDS = ("volunteer", "neighbor")
VERIFIER_ROLES = ("person", "township_staff")
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class Provider:
    kind: str
    uscc: str | None
    id_number: str | None
    name: str | None = None
    items: tuple[str, ...] | None = None   # None: every item on the card

    @property
    def key(self) -> str:
        return f"uscc:{self.uscc}" if self.uscc else f"id:{self.id_number}"

    def as_dict(self, full_id: bool = True) -> dict[str, Any]:
        return {"kind": self.kind, "uscc": self.uscc,
                "id_number": self.id_number if full_id else mask_id_number(self.id_number)
                if self.id_number else None,
                "name": self.name, "items": list(self.items) if self.items is not None else None}


def parse_provider(obj: Any, *, with_items: bool = False,
                   check_id: Callable[[Any], str] = validate_id_number) -> Provider:
    if not isinstance(obj, dict):
        raise Invalid("服务提供者格式错误", reason="bad_provider")
    kind = obj.get("kind")
    if kind not in PROVIDER_KINDS:
        raise Invalid(f"服务提供者类型不合法：{kind!r}", reason="bad_provider",
                      allowed=list(PROVIDER_KINDS))
    uscc, id_number = obj.get("uscc"), obj.get("id_number")
    if (uscc is None) == (id_number is None):
        raise Invalid("服务提供者须且只能填写统一社会信用代码或身份证号码之一",
                      reason="bad_provider")
    if kind in ORGANISATION_KINDS and uscc is None:
        raise Invalid("机构或社会组织须填写统一社会信用代码", reason="bad_provider")
    if kind in PERSON_KINDS and id_number is None:
        raise Invalid("志愿者、邻里照护人须填写身份证号码", reason="bad_provider")
    uscc = validate_uscc(uscc) if uscc is not None else None
    id_number = check_id(id_number) if id_number is not None else None
    items = obj.get("items") if with_items else None
    if items is not None:
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise Invalid("服务提供者的服务项目须为列表", reason="bad_provider")
        items = tuple(items)
    name = obj.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 128 or "\x00" in name):
        raise Invalid("服务提供者名称不合法", reason="bad_provider")
    return Provider(kind, uscc, id_number, name, items)


@dataclass
class CardView:
    id_number: str
    service_no: str | None
    status: str
    issued_on: date | None
    ended_on: date | None
    items: dict[str, int | None] = field(default_factory=dict)   # code -> times per month
    providers: list[Provider] = field(default_factory=list)


@dataclass(frozen=True)
class Times:
    started_at: datetime
    ended_at: datetime
    served_on: date
    minutes: int
    month: str


def parse_time(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{name} 时间格式错误，应为带时区的 RFC 3339", reason="bad_times",
                          field=name) from None
    else:
        raise Invalid(f"{name} 必须是时间字符串", reason="bad_times", field=name)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Invalid(f"{name} 须带时区", reason="bad_times", field=name)
    return to_shanghai(moment)


def service_times(started_at: Any, ended_at: Any) -> Times:
    start, end = parse_time(started_at, "started_at"), parse_time(ended_at, "ended_at")
    if end <= start:
        raise Invalid("服务结束时间须晚于开始时间", reason="bad_times")
    seconds = (end - start).total_seconds()
    if seconds > MAX_MINUTES * 60:
        raise Invalid("单条服务记录不能超过24小时", reason="bad_times")
    minutes = max(1, round(seconds / 60))
    return Times(start, end, start.date(), minutes, month_of(start.date()))


def quantity_for(unit: str, minutes: int, quantity: Any) -> Decimal:
    """Hours come from the times; meals and visits are counted (default 1)."""
    if unit == "hour":
        return to_money(Decimal(minutes) / Decimal(60))
    if quantity is None:
        return Decimal("1.00")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 50:
        raise Invalid("数量须为1到50之间的整数", reason="bad_quantity")
    return to_money(quantity)


def amount_for(paid_per_record: bool, unit_price: Decimal | None, quantity: Decimal
               ) -> Decimal | None:
    if not paid_per_record or unit_price is None:
        return None
    return to_money(unit_price * quantity)


def check_against_card(card: CardView | None, *, id_number: str, item: str,
                       provider: Provider, times: Times, now: datetime,
                       date_of_death: date | None) -> None:
    """Every rule that needs only the card, the death date and the clock."""
    masked = mask_id_number(id_number)
    if card is None:
        raise Conflict(f"该人员没有社会救助服务卡（{masked}）", reason="no_card")
    if date_of_death is not None and times.served_on > date_of_death:
        raise Conflict(f"服务日期 {times.served_on} 晚于服务对象死亡日期 {date_of_death}",
                       reason="after_death", date_of_death=date_of_death.isoformat())
    if card.status == "pending_assessment":
        raise Conflict("服务卡尚未发放（待需求评估）", reason="card_not_issued")
    if card.status == "ended" and (card.ended_on is None or times.served_on > card.ended_on):
        raise Conflict(f"服务卡已于 {card.ended_on} 终止", reason="card_ended",
                       ended_on=card.ended_on.isoformat() if card.ended_on else None)
    if card.status == "suspended":
        raise Conflict("服务卡已暂停", reason="card_suspended")
    if card.issued_on is not None and times.served_on < card.issued_on:
        raise Conflict(f"服务日期早于服务卡发放日期 {card.issued_on}", reason="before_card",
                       issued_on=card.issued_on.isoformat())
    if times.ended_at > now:
        raise Invalid("服务时间不能晚于当前时间", reason="in_future")
    if item not in card.items:
        raise Conflict(f"服务卡未核定服务项目 {item}", reason="item_not_granted", item=item)
    assigned = next((p for p in card.providers if p.key == provider.key), None)
    if assigned is None:
        raise Conflict("该服务提供者未被指派给此服务卡", reason="provider_not_assigned")
    if assigned.items is not None and item not in assigned.items:
        raise Conflict(f"该服务提供者未被指派提供服务项目 {item}", reason="provider_not_for_item",
                       item=item)


def check_frequency(card: CardView, item: str, used_in_month: int) -> None:
    allowed = card.items.get(item)
    if allowed is not None and used_in_month >= allowed:
        raise Conflict(f"服务项目 {item} 本月已达核定次数（{allowed}次）",
                       reason="frequency_exceeded", item=item, times_per_month=allowed)


def overlap_error(other_record_id: str) -> Conflict:
    return Conflict("同一服务提供者在该时段已有服务记录", reason="overlap",
                    record_id=other_record_id)


def close_unit(provider_kind: str, provider_uscc: str | None, division_code: str
               ) -> tuple[str, str]:
    """Which month close a record belongs to: an institution's own records close
    with the institution, everything else with the person's township."""
    if provider_kind == "institution" and provider_uscc:
        return "institution", provider_uscc
    return "township", division_code[:9]


# -- the record's life after it is recorded ------------------------------------------

STATUSES = ("recorded", "verified", "superseded")
MAX_BATCH = 5000
#: what a correction may change; the person, the provider and the worker stay
CORRECTABLE = ("started_at", "ended_at", "quantity", "service_item", "place", "notes",
               "evidence_ref")


def check_not_self(provider: Provider, id_number: str) -> None:
    """The provider is never the person served."""
    if provider.id_number == id_number:
        raise Invalid("服务提供者不能是服务对象本人", reason="bad_provider")


def check_is_record(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Invalid("服务记录格式错误", reason="bad_record")
    if not isinstance(payload.get("service_item"), str):
        raise Invalid("service_item 不能为空", reason="unknown_item")
    return payload


def check_batch(payloads: Any) -> list[Any]:
    """A provider's upload: a non-empty list of at most 5,000 records."""
    if not isinstance(payloads, list) or not payloads:
        raise Invalid("records 须为非空列表", reason="bad_record")
    if len(payloads) > MAX_BATCH:
        raise Invalid("一次最多上传5000条记录", reason="too_many")
    return payloads


def check_verifier(role: object) -> str:
    """The person served or township staff verify a record."""
    if role not in VERIFIER_ROLES:
        raise Invalid("核实人身份须为 person 或 township_staff", reason="bad_verifier",
                      allowed=list(VERIFIER_ROLES))
    return str(role)


def check_verifiable(status: str, corrected_by_record: str | None) -> None:
    """A record is verified once; a corrected record through its correction."""
    if status == "superseded":
        raise Conflict("该记录已被更正，请核实更正后的记录", reason="superseded",
                       corrected_by_record=corrected_by_record)
    if status == "verified":
        raise Conflict("该记录已核实", reason="already_verified")


def check_changes(changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise Invalid("changes 不能为空", reason="no_changes")
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise Invalid(f"不能更正这些字段：{', '.join(unknown)}", reason="bad_changes",
                      unknown=unknown)
    return changes


def check_correctable(entry_kind: str, status: str, corrected_by_record: str | None) -> None:
    """Only the latest version of a record is corrected; a reversal never is."""
    if entry_kind == "reversal":
        raise Invalid("冲销记录不能更正", reason="reversal")
    if status == "superseded" or corrected_by_record:
        raise Conflict("该记录已被更正，请更正最新的记录", reason="superseded",
                       corrected_by_record=corrected_by_record)


def correction_payload(original: Any, changes: dict[str, Any], *, by: str,
                       reason: str) -> dict[str, Any]:
    """The correcting record: the original's facts with the changes applied."""
    payload = {
        "id_number": original["id_number"], "service_item": original["service_item"],
        "provider": {"kind": original["provider_kind"], "uscc": original["provider_uscc"],
                     "id_number": original["provider_id_number"],
                     "name": original["provider_name"]},
        "started_at": original["started_at"], "ended_at": original["ended_at"],
        "quantity": int(original["quantity"]) if original["unit"] != "hour" else None,
        "place": original["place"], "notes": original["notes"],
        "evidence_ref": original["evidence_ref"],
        "worker_id_number": original["worker_id_number"], "recorded_by": by,
        "correction_reason": reason,
    }
    payload.update(changes)
    return payload


def reversal_of(original: Any, *, record_id: str, settle_month: str, by: str, now: datetime,
                reason: str) -> dict[str, Any]:
    """A paid record of a closed month is not changed: a verified reversal
    (negative minutes, quantity and amount) lands in the next open month."""
    rev = dict(original)
    rev.pop("seq", None)
    rev.update(record_id=record_id, minutes=-original["minutes"],
               quantity=-original["quantity"],
               amount=-original["amount"] if original["amount"] is not None else None,
               entry_kind="reversal", corrects=original["record_id"], status="verified",
               settle_month=settle_month, recorded_by=by, recorded_at=now, verified_by=by,
               verifier_role="township_staff", verified_at=now, correction_reason=reason,
               corrected_by_record=None, worker_key=original["worker_key"] + "/reversal")
    return rev


def status_after_correction(status: str, locked: bool) -> str:
    """A verified record of a closed month stays verified (it was paid; its
    reversal undoes it); otherwise the original is superseded."""
    return status if (locked and status == "verified") else "superseded"


def check_status_filter(status: object) -> None:
    if status is not None and status not in STATUSES:
        raise Invalid("记录状态不合法", reason="bad_status", allowed=list(STATUSES))
