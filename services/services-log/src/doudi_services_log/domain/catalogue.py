"""Service item catalogues per jurisdiction: the ``services`` part of each
policy pack (doudi_contracts.policy), read into ``Jurisdiction``s by
``doudi_services_log.policy``. Pure: built from data already read.

* qingyunpu-2021 §四(三): 18 items in three categories — daily care 7
  (§四(三)1, government purchase of services), health care 6 (§四(三)2, by a
  commissioned medical institution), capability 5 (§四(三)3, by departments and
  mass organisations within their own duties).
* lanzhou-2021 §四(三)1: seven home services 助餐、助洁、助行、助浴、助医、康复、护理.

``paid_per_record``: daily care and health care are bought services paid per
record (neighbour helpers are subsidised per recorded service, approved monthly,
qingyunpu-2021 §四(三)6); capability services are the departments' own duties
and are not paid per record. Lanzhou's home services are bought or paid
serve-then-subsidise (lanzhou-2021 §四(二)3, §四(三)2), so per record. Unit
prices are not in the documents: the county sets them (``set_item_price``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import division_prefix
from doudi_common.money import to_money

UNITS = ("visit", "hour", "meal")
CATEGORIES = ("daily_care", "health_care", "capability", "home_service")


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    unit: str
    paid_per_record: bool
    clause: str


@dataclass(frozen=True)
class Jurisdiction:
    code: str          # 6-digit division code of the issuing government
    pack: str          # short name of the policy document
    name: str
    items: tuple[Item, ...]
    time_bank: bool = False
    #: relations a time-bank balance may be transferred to (empty = no transfers)
    transfer_relations: tuple[str, ...] = ()


def jurisdiction_from(doc: dict[str, Any]) -> Jurisdiction | None:
    """The catalogue of a jurisdiction's policy pack (doudi_contracts.policy, its
    ``services`` part), or None where the document lists no service items."""
    part = doc.get("services") or {}
    if not part.get("items"):
        return None
    try:
        items = tuple(Item(i["code"], i["name"], i["category"], i["unit"],
                           bool(i["paid_per_record"]), i["clause"]) for i in part["items"])
    except KeyError as exc:
        raise Invalid("政策包服务项目缺少字段", reason="bad_pack", pack=doc.get("id"),
                      field=str(exc)) from None
    bad = [i.code for i in items if i.unit not in UNITS or i.category not in CATEGORIES]
    if bad or len({i.code for i in items}) != len(items):
        raise Invalid("政策包服务项目有误", reason="bad_pack", pack=doc.get("id"), items=bad)
    bank = part.get("time_bank")
    return Jurisdiction(str(doc["jurisdiction"]), doc["id"], part.get("name") or doc["title"],
                        items, time_bank=bank is not None,
                        transfer_relations=tuple((bank or {}).get("transfer_relations") or ()))


def territory_of(jurisdictions: dict[str, Jurisdiction], division_code: str
                 ) -> Jurisdiction | None:
    """The jurisdiction whose territory contains ``division_code`` (longest prefix)."""
    best = None
    for j in jurisdictions.values():
        if division_code.startswith(division_prefix(j.code)) and (
                best is None or len(division_prefix(j.code)) > len(division_prefix(best.code))):
            best = j
    return best


def known(jurisdictions: dict[str, Jurisdiction], code: str) -> Jurisdiction:
    j = jurisdictions.get(code)
    if j is None:
        raise Invalid(f"没有该地区的服务项目目录：{code}", reason="unknown_jurisdiction",
                      jurisdiction=code)
    return j


def item_of(jurisdiction: Jurisdiction, code: str) -> Item:
    for item in jurisdiction.items:
        if item.code == code:
            return item
    raise Invalid(f"服务项目 {code} 不在{jurisdiction.name}的服务项目目录中", reason="unknown_item",
                  item=code, jurisdiction=jurisdiction.code)


def unit_price(value: Any) -> Decimal | None:
    """An item's price: a yuan string, not negative; ``None`` clears it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid('单价须为字符串，如 "35.00"', reason="bad_amount")
    price = to_money(value)
    if price < 0:
        raise Invalid("单价不能为负数", reason="bad_amount")
    return price
