"""Pure rules: admission, status changes, prices, licence alerts, inspection
schedules. No I/O; the service gathers the facts and calls these."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from doudi_common.errors import Conflict, Invalid, NotFound

from doudi_institutions.domain.vocab import SEVERITIES, TRANSITIONS

# -- choices ---------------------------------------------------------------------


def choice(value, allowed, field: str):
    if value not in allowed:
        raise Invalid(f"{field} 取值不合法：{value!r}", field=field, reason="bad_choice",
                      allowed=list(allowed))
    return value


def as_date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{field} 应为日期（YYYY-MM-DD）", field=field, reason="bad_date") from None


def opt_date(value, field: str) -> date | None:
    return None if value in (None, "") else as_date(value, field)


# -- registry ----------------------------------------------------------------------


def check_transition(current: str, new: str) -> None:
    if new == current:
        raise Conflict(f"机构已是该状态（{current}）", reason="same_status", status=current)
    if new not in TRANSITIONS.get(current, set()):
        raise Conflict(f"机构状态不能从 {current} 变为 {new}", reason="bad_transition",
                       status=current, to=new)


def check_grade(grade) -> int:
    if not isinstance(grade, int) or isinstance(grade, bool) or not 1 <= grade <= 5:
        raise Invalid("等级应为 1–5（养老机构等级划分与评定）", field="grade", reason="bad_grade")
    return grade


# -- admission (puyang-2020 §四(四), hangzhou-2024 §三(一)) ---------------------------


@dataclass(frozen=True)
class AdmissionFacts:
    institution_status: str
    has_open_placement: bool
    infection_open: bool
    free_beds: int


def check_admission(facts: AdmissionFacts) -> None:
    """Raise ``Conflict`` with a ``reason`` when the person may not be admitted."""
    if facts.institution_status != "open":
        raise Conflict("机构当前不接收入住", reason="institution_not_open",
                       status=facts.institution_status)
    if facts.has_open_placement:
        raise Conflict("该人员已在机构入住，不能重复入住", reason="already_placed")
    if facts.infection_open:
        raise Conflict("该人员有未解除的传染病标记，暂不能集中入住（puyang-2020 §四(四)）",
                       reason="infection_open", clause="puyang-2020 §四(四)")
    if facts.free_beds <= 0:
        raise Conflict("机构无空余床位", reason="no_free_bed")


def check_transfer_consent(latest_consent_given: bool | None) -> None:
    """hangzhou-2024 §五(三): moving a resident needs their recorded consent."""
    if latest_consent_given is not True:
        raise Conflict("转院须有本人同意的记录（hangzhou-2024 §五(三)）", reason="no_consent",
                       clause="hangzhou-2024 §五(三)")


ENDING_TO_DISCHARGE = {"deceased": "deceased", "handed_over": "handed_over",
                       "voluntary_exit": "voluntary", "improved": "no_longer_eligible",
                       "no_longer_eligible": "no_longer_eligible", "moved_away": "other",
                       "other": "other"}


# -- prices (luan-2021 §三(四)) -------------------------------------------------------


def check_new_price(effective_from: date, today: date, existing_days: Iterable[date]) -> None:
    """A price applies from its effective date and never retroactively."""
    if effective_from < today:
        raise Invalid("价格不能追溯生效，生效日期不能早于今天", field="effective_from",
                      reason="retroactive", today=today.isoformat())
    if effective_from in set(existing_days):
        raise Conflict("该日期已有价格", reason="price_exists",
                       effective_from=effective_from.isoformat())


def price_on(prices: Iterable[tuple[date, Decimal]], on: date) -> Decimal | None:
    """The price in force on ``on``: the latest with effective_from <= on."""
    best = None
    for day, price in prices:
        if day <= on and (best is None or day > best[0]):
            best = (day, price)
    return best[1] if best else None


def check_price(value) -> Decimal:
    from doudi_common.money import to_money

    if isinstance(value, float):
        raise Invalid("金额请用字符串，如 \"120.00\"", field="price", reason="bad_amount")
    amount = to_money(value)
    if amount < 0:
        raise Invalid("价格不能为负", field="price", reason="bad_amount")
    return amount


# -- licences ---------------------------------------------------------------------------


def licence_state(valid_until: date | None, today: date, within_days: int) -> tuple[str, int] | None:
    """``("expired"|"expiring", days_left)`` or None when no alert is due."""
    if valid_until is None:
        return None
    days_left = (valid_until - today).days
    if days_left < 0:
        return "expired", days_left
    if days_left <= within_days:
        return "expiring", days_left
    return None


# -- inspections (hangzhou-2024 §五(四)) --------------------------------------------------

#: months between inspections of each scheduled kind
SCHEDULE = {"fire_safety": 1, "food_safety": 1, "fund_policy": 12}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(kind: str, last_inspected: date | None, since: date) -> date:
    """When the next inspection of ``kind`` is due: one period after the last one,
    or one period after ``since`` (opening/registration) when there was none."""
    return add_months(last_inspected or since, SCHEDULE[kind])


def is_overdue(due: date, today: date) -> bool:
    return today > due


# -- references and periods ---------------------------------------------------------------


def placement_no(pk: int) -> str:
    return f"PL-{pk}"


def placement_pk(placement_id) -> int:
    text = str(placement_id)
    if text.startswith("PL-") and text[3:].isdigit():
        return int(text[3:])
    raise NotFound("未找到该入住记录", resource="placement")


def inspection_pk(inspection_id) -> int:
    text = str(inspection_id)
    if text.startswith("INS-") and text[4:].isdigit():
        return int(text[4:])
    raise NotFound("未找到该检查记录", resource="inspection")


def month_bounds(month) -> tuple[date, date]:
    from doudi_common.dates import parse_month

    try:
        year, mon = parse_month(str(month))
    except ValueError:
        raise Invalid("月份应为 YYYY-MM", field="active_in", reason="bad_month") from None
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


# -- registry checks ------------------------------------------------------------------------


def check_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("机构名称必填（100字以内）", field="name", reason="bad_name")
    return name.strip()


def check_county_or_below(division: str) -> str:
    if len(division) == 6 and division[4:] == "00":
        raise Invalid("机构所在地应为县级或以下区划", field="division_code",
                      reason="not_county")
    return division


def check_staff_counts(counts: dict) -> None:
    for key, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Invalid("人数应为非负整数", field=key, reason="bad_count")


def carers_per_resident(carers: int, residents: int) -> str | None:
    return None if residents == 0 else f"{carers / residents:.2f}"


def designation_status(newest_first: list[dict], on: date) -> dict | None:
    """The medical-insurance designation to show on ``on``: the active signed one,
    else the newest, with its state."""
    active = [d for d in newest_first if d["status"] == "signed" and
              d["valid_from"] <= on <= d["valid_until"]]
    chosen = active[0] if active else (newest_first[0] if newest_first else None)
    if chosen is None:
        return None
    state = "active" if active else ("terminated" if chosen["status"] == "terminated"
                                     else "expired" if chosen["valid_until"] < on
                                     else "not_yet_valid")
    return {"agreement_no": chosen["agreement_no"], "valid_from": chosen["valid_from"],
            "valid_until": chosen["valid_until"], "status": state}


def check_period(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise Invalid("有效期止不能早于起", field="valid_until", reason="bad_period")


def licence_alerts(licence_rows: Iterable[dict], designation_rows: Iterable[dict], today: date,
                   within_days: int) -> list[dict]:
    """Alerts for licences (rows joined with their institution) and signed
    medical-insurance designations expiring within ``within_days`` or expired."""
    out = []
    for r in licence_rows:
        state = licence_state(r["valid_until"], today, within_days)
        if state:
            out.append({"licence_id": r["id"], "uscc": r["uscc"], "name": r["name"],
                        "kind": r["kind"], "number": r["number"],
                        "valid_until": r["valid_until"].isoformat(),
                        "days_left": state[1], "state": state[0],
                        "division_code": r["division_code"],
                        "alerted_until": r["alerted_until"],
                        "institution_id": r["institution_id"]})
    for r in designation_rows:
        state = licence_state(r["valid_until"], today, within_days)
        if state:
            out.append({"licence_id": None, "uscc": r["uscc"], "name": r["name"],
                        "kind": "medical_insurance", "number": r["agreement_no"],
                        "valid_until": r["valid_until"].isoformat(),
                        "days_left": state[1], "state": state[0],
                        "division_code": r["division_code"], "alerted_until": None,
                        "institution_id": r["institution_id"]})
    out.sort(key=lambda a: (a["valid_until"], a["uscc"], a["kind"]))
    return out


# -- catalogue -------------------------------------------------------------------------------


def check_catalog_item(category: str, room_type, care_level) -> None:
    """Shape checks of a new catalogue item (choices are checked by the caller)."""
    if category == "bed" and not room_type:
        raise Invalid("床位项目须注明房型", field="room_type", reason="missing")
    if category == "nursing" and not care_level:
        raise Invalid("护理项目须注明护理等级", field="care_level", reason="missing")


def item_applies(item: dict, room_type, care_level) -> bool:
    """Whether a monthly item is charged for this room type and care level."""
    if item["category"] == "bed":
        return item["room_type"] == room_type
    if item["category"] == "nursing":
        return item["care_level"] == care_level
    return True


def monthly_total(priced: Iterable[tuple[dict, list[tuple[date, Decimal]]]],
                  on: date) -> tuple[Decimal, list[dict]]:
    """The monthly price on ``on`` from (item, price history) pairs, and its parts."""
    from doudi_common.money import money_str, to_money

    total, parts = to_money(0), []
    for item, prices in priced:
        price = price_on(prices, on)
        if price is None:
            continue
        total += price
        parts.append({"code": item["code"], "price": money_str(price)})
    return to_money(total), parts


# -- inspections input -----------------------------------------------------------------------


def check_finding(f, inspected_on: date) -> date:
    """A finding's shape; returns its rectification deadline."""
    if not isinstance(f, dict):
        raise Invalid("问题格式错误", field="findings", reason="bad_finding")
    choice(f.get("severity"), SEVERITIES, "severity")
    if not f.get("description"):
        raise Invalid("请描述发现的问题", field="description", reason="missing")
    by = as_date(f.get("rectify_by"), "rectify_by")
    if by < inspected_on:
        raise Invalid("整改期限不能早于检查日期", field="rectify_by", reason="bad_date")
    return by
