"""Service item catalogues per jurisdiction (policy as data, with clauses).

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


_Q1, _Q2, _Q3 = "qingyunpu-2021 §四(三)1", "qingyunpu-2021 §四(三)2", "qingyunpu-2021 §四(三)3"
QINGYUNPU = Jurisdiction("360104", "qingyunpu-2021", "南昌市青云谱区", (
    Item("meals", "供餐送餐服务", "daily_care", "meal", True, _Q1),
    Item("home_care", "居家照料服务", "daily_care", "hour", True, _Q1),
    Item("day_care", "日间托管服务", "daily_care", "visit", True, _Q1),
    Item("cleaning", "清洁卫生服务", "daily_care", "hour", True, _Q1),
    Item("shopping", "买菜购物服务", "daily_care", "visit", True, _Q1),
    Item("appliance_repair", "家电维修服务", "daily_care", "visit", True, _Q1),
    Item("personal_care", "个人护理服务", "daily_care", "hour", True, _Q1),
    Item("family_sickbed", "家庭病床服务", "health_care", "visit", True, _Q2),
    Item("medical_nursing", "医疗护理服务", "health_care", "hour", True, _Q2),
    Item("medical_escort", "送医看病服务", "health_care", "visit", True, _Q2),
    Item("rehabilitation", "康复服务", "health_care", "hour", True, _Q2),
    Item("medicine_delivery", "送药服务", "health_care", "visit", True, _Q2),
    Item("counselling", "心理疏导服务", "health_care", "hour", True, _Q2),
    Item("information", "信息咨询服务", "capability", "visit", False, _Q3),
    Item("skills", "能力提升服务", "capability", "hour", False, _Q3),
    Item("social_integration", "社会融入服务", "capability", "visit", False, _Q3),
    Item("health_talk", "健康讲座服务", "capability", "visit", False, _Q3),
    Item("community_clinic", "社区义诊服务", "capability", "visit", False, _Q3),
))

_L = "lanzhou-2021 §四(三)1"
LANZHOU = Jurisdiction("620100", "lanzhou-2021", "兰州市", (
    Item("meals", "助餐", "home_service", "meal", True, _L),
    Item("cleaning", "助洁", "home_service", "hour", True, _L),
    Item("walking_help", "助行", "home_service", "hour", True, _L),
    Item("bathing", "助浴", "home_service", "visit", True, _L),
    Item("medical_escort", "助医", "home_service", "visit", True, _L),
    Item("rehabilitation", "康复", "home_service", "hour", True, _L),
    Item("personal_care", "护理", "home_service", "hour", True, _L),
), time_bank=True,
    # lanzhou-2021 §四(五)3 leaves the exchange rules to the counties ("按照一定的规则");
    # this pack lets stored time pass to close family, the common local rule.
    transfer_relations=("spouse", "parent", "child", "sibling", "grandparent", "grandchild"))

JURISDICTIONS: dict[str, Jurisdiction] = {j.code: j for j in (QINGYUNPU, LANZHOU)}


def _prefix(code: str) -> str:
    while len(code) == 6 and code.endswith("00"):
        code = code[:-2]
    return code


def jurisdiction_for(division_code: str) -> Jurisdiction | None:
    """The jurisdiction whose territory contains ``division_code`` (longest prefix)."""
    best = None
    for j in JURISDICTIONS.values():
        if division_code.startswith(_prefix(j.code)) and (
                best is None or len(_prefix(j.code)) > len(_prefix(best.code))):
            best = j
    return best


def require_jurisdiction(code: str) -> Jurisdiction:
    j = JURISDICTIONS.get(code)
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
