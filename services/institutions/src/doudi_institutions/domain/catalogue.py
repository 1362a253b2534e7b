"""The priced service catalogue (luan-2021 §三(四)): items, prices in force on a
day, monthly totals.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from doudi_common.errors import Conflict, Invalid

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


def check_price(value: Any) -> Decimal:
    from doudi_common.money import to_money

    if isinstance(value, float):
        raise Invalid("金额请用字符串，如 \"120.00\"", field="price", reason="bad_amount")
    amount = to_money(value)
    if amount < 0:
        raise Invalid("价格不能为负", field="price", reason="bad_amount")
    return amount


# -- catalogue -------------------------------------------------------------------------------


def check_catalog_item(category: str, room_type: Any, care_level: Any) -> None:
    """Shape checks of a new catalogue item (choices are checked by the caller)."""
    if category == "bed" and not room_type:
        raise Invalid("床位项目须注明房型", field="room_type", reason="missing")
    if category == "nursing" and not care_level:
        raise Invalid("护理项目须注明护理等级", field="care_level", reason="missing")


def item_applies(item: dict[str, Any], room_type: Any, care_level: Any) -> bool:
    """Whether a monthly item is charged for this room type and care level."""
    if item["category"] == "bed":
        return bool(item["room_type"] == room_type)
    if item["category"] == "nursing":
        return bool(item["care_level"] == care_level)
    return True


def monthly_total(priced: Iterable[tuple[dict[str, Any], list[tuple[date, Decimal]]]],
                  on: date) -> tuple[Decimal, list[dict[str, Any]]]:
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


def check_item_code(code: Any) -> str:
    if not code or not isinstance(code, str) or len(code) > 64:
        raise Invalid("项目编码必填（64字以内）", field="code", reason="bad_code")
    return code


def check_code_free(taken: bool, code: str) -> None:
    if taken:
        raise Conflict("该项目编码已存在", reason="exists", code=code)
