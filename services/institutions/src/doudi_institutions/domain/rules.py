"""Pure rules: admission, status changes, prices, licence alerts, inspection
schedules. No I/O; the service gathers the facts and calls these."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from doudi_common.errors import Conflict, Invalid

from doudi_institutions.domain.vocab import TRANSITIONS

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
