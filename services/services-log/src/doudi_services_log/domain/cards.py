"""Rules of a service card's life (qingyunpu-2021 §五3–§五5): issued after a
needs assessment with the items granted and the providers assigned, changed or
suspended when the person's situation changes, ended with the enrolment or by
death; the person's file holds the listed documents.

Pure: no storage, no framework. Each refusal carries a stable ``reason``."""

from __future__ import annotations

from datetime import date
from typing import Any

from doudi_common.errors import Conflict, Invalid

from doudi_services_log.domain import catalogue
from doudi_services_log.domain.records import Provider, parse_provider

STATUSES = ("pending_assessment", "active", "suspended", "ended")
ISSUED = ("active", "suspended")
#: qingyunpu-2021 §五3: what goes into the one-person file
DOCUMENT_KINDS = ("id_card", "household_register", "illness_proof", "disability_certificate",
                  "assistance_proof", "needs_form", "service_received_form", "other")
MAX_TIMES_PER_MONTH = 400


def care_mode_change(status: str, previous: str, new: str) -> tuple[dict[str, Any], str]:
    """What a change of care mode does to the card: the new mode is recorded;
    a move into or out of centralised care suspends an active card until a new
    needs assessment (qingyunpu-2021 §五5: status changes change or stop the
    services). Returns the card's new values and the history action."""
    values: dict[str, Any] = {"care_mode": new}
    moved = (new == "centralized") != (previous == "centralized")
    if moved and status == "active":
        values.update(status="suspended",
                      suspended_reason=f"照护方式由 {previous} 变更为 {new}，待重新评估")
        return values, "suspended"
    return values, "enrolment_changed"


def granted_items(jurisdiction: catalogue.Jurisdiction,
                  items: Any) -> list[tuple[str, int | None]]:
    """The items granted on a card: at least one, each from the jurisdiction's
    catalogue, none twice, an optional monthly frequency of 1–400."""
    if not isinstance(items, list) or not items:
        raise Invalid("须核定至少一个服务项目", reason="no_items")
    seen: set[str] = set()
    out = []
    for entry in items:
        if not isinstance(entry, dict):
            raise Invalid("服务项目格式错误", reason="bad_items")
        code = entry.get("code")
        catalogue.item_of(jurisdiction, code)  # type: ignore[arg-type]
        if code in seen:
            raise Invalid(f"服务项目 {code} 重复", reason="bad_items")
        seen.add(code)  # type: ignore[arg-type]
        times = entry.get("times_per_month")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)
                                  or not 1 <= times <= MAX_TIMES_PER_MONTH):
            raise Invalid("每月次数须为1到400的整数", reason="bad_items")
        out.append((str(code), times))
    return out


def assigned_providers(jurisdiction: catalogue.Jurisdiction, id_number: str,
                       providers: Any) -> list[Provider]:
    """The providers assigned to a card: at least one, never the person, none
    twice, their items (if limited) from the catalogue."""
    if not isinstance(providers, list) or not providers:
        raise Invalid("须指派至少一个服务提供者", reason="no_providers")
    out, seen = [], set()
    for obj in providers:
        provider = parse_provider(obj, with_items=True)
        if provider.id_number == id_number:
            raise Invalid("服务提供者不能是服务对象本人", reason="bad_provider")
        if provider.key in seen:
            raise Invalid("服务提供者重复", reason="bad_provider")
        seen.add(provider.key)
        for code in provider.items or ():
            catalogue.item_of(jurisdiction, code)
        out.append(provider)
    return out


def check_assessment(assessed_on: date, today: date, died_on: date | None) -> None:
    """A card is issued on a needs assessment already made, for a living person."""
    if assessed_on > today:
        raise Invalid("需求评估日期不能晚于今天", reason="in_future")
    if died_on is not None:
        raise Conflict(f"服务对象已于 {died_on} 死亡", reason="after_death")


def check_can_issue(status: str) -> None:
    if status in ISSUED:
        raise Conflict("服务卡已发放，请使用变更", reason="already_issued", status=status)


def issuing_jurisdiction(division_code: str, jurisdiction: catalogue.Jurisdiction | None
                         ) -> catalogue.Jurisdiction:
    """The catalogue a card is issued under (the one whose territory holds the
    person's division), or ``Invalid`` where there is none."""
    if jurisdiction is None:
        raise Invalid(f"该地区（{division_code}）没有服务项目目录", reason="unknown_jurisdiction")
    return jurisdiction


def check_can_change(status: str) -> None:
    if status not in ISSUED:
        raise Conflict("服务卡当前状态不允许变更", reason="card_" + status, status=status)


def check_can_suspend(status: str) -> None:
    if status != "active":
        raise Conflict("只有使用中的服务卡可以暂停", reason="card_" + status, status=status)


def check_can_resume(status: str) -> None:
    if status != "suspended":
        raise Conflict("只有暂停的服务卡可以恢复", reason="card_" + status, status=status)


def narrows_end(current_end: date | None, new_end: date) -> bool:
    """A later, earlier-dated end of an ended card (a death reported after the
    exit) only narrows it."""
    return current_end is None or new_end < current_end


def check_not_ended(status: str) -> None:
    if status == "ended":
        raise Conflict("服务卡已终止", reason="card_ended")


def check_document_kind(kind: object) -> None:
    if kind not in DOCUMENT_KINDS:
        raise Invalid("材料类型不合法", reason="bad_kind", allowed=list(DOCUMENT_KINDS))


def check_status_filter(status: object) -> None:
    if status is not None and status not in STATUSES:
        raise Invalid("服务卡状态不合法", reason="bad_status", allowed=list(STATUSES))


def service_number(unit: str, seq: int) -> str:
    """The card's number: per township (9-digit division), in order."""
    return f"FWK-{unit}-{seq:05d}"
