"""Conditions as data, compiled once into plain functions of :class:`PersonFacts`.

A condition is one of::

    {"attr": "hardship", "any_of": ["tekun", "dibao"]}   # set attribute meets the list
    {"attr": "incapacity", "in": ["partial", "full"]}
    {"attr": "disability.grade", "le": 2}                 # also lt, ge, gt
    {"attr": "rural", "eq": true}
    {"attr": "household.lives_alone", "eq": true}
    {"all": [...]}, {"any": [...]}, {"not": {...}}

An attribute whose fact is unknown (``None``) fails every comparison: a rule is
met only by facts that say so. ``describe`` gives the Chinese wording used in
explanations; ``attrs`` the attributes a condition looks at (to show their
values).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from doudi_common.errors import Invalid
from doudi_contracts.vocabularies import label_or_code

Predicate = Callable[[Any], bool]

_CMP = {"eq": operator.eq, "ne": operator.ne, "le": operator.le, "lt": operator.lt,
        "ge": operator.ge, "gt": operator.gt}

ATTR_LABELS = {
    "age": "年龄", "rural": "农村户籍", "registration": "户籍类别", "hardship": "困难身份",
    "disability.grade": "残疾等级", "disability.category": "残疾类别",
    "disability.severe": "重度残疾", "incapacity": "失能程度",
    "incapacity.standard": "失能评估标准", "incapacity.level": "失能评估等级",
    "incapacity.public_assessor": "由公立医疗机构评定",
    "infection": "传染病", "hospitalised": "住院中", "deceased": "已死亡",
    "income_group": "人均可支配收入分组",
}
# the vocabulary that names an attribute's values (so staff read 特困人员, not tekun)
ATTR_VOCABULARIES = {
    "hardship": "hardship", "registration": "registrations", "incapacity": "incapacity_levels",
    "disability.category": "disability_categories", "incapacity.standard": "assessment_standards",
    "income_group": "income_groups", "household.income_group": "income_groups",
}
OP_LABELS = {"eq": "为", "ne": "不为", "le": "≤", "lt": "<", "ge": "≥", "gt": ">",
             "in": "属于", "any_of": "包含其一"}


def compile_condition(cond: dict[str, Any]) -> Predicate:
    if not isinstance(cond, dict) or not cond:
        raise Invalid("政策条件格式错误", condition=repr(cond))
    if "all" in cond:
        parts = [compile_condition(c) for c in cond["all"]]
        return lambda pf: all(p(pf) for p in parts)
    if "any" in cond:
        parts = [compile_condition(c) for c in cond["any"]]
        return lambda pf: any(p(pf) for p in parts)
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda pf: not inner(pf)
    attr = cond.get("attr")
    if not isinstance(attr, str):
        raise Invalid("政策条件缺少属性", condition=repr(cond))
    ops = [k for k in cond if k != "attr"]
    if len(ops) != 1:
        raise Invalid("政策条件须恰有一个比较", condition=repr(cond))
    op = ops[0]
    value = cond[op]
    get = _getter(attr)
    if op == "any_of":
        wanted = frozenset(value)
        return lambda pf: bool(wanted & (get(pf) or frozenset()))
    if op == "in":
        allowed = frozenset(value)
        return lambda pf: (v := get(pf)) is not None and v in allowed
    if op in _CMP:
        fn = _CMP[op]
        return lambda pf: (v := get(pf)) is not None and fn(v, value)
    raise Invalid("政策条件的比较不存在", op=op)


def _getter(attr: str) -> Callable[[Any], Any]:
    from doudi_eligibility.domain.person import ATTRIBUTES

    if attr.startswith("household."):
        key = attr.split(".", 1)[1]
        return lambda pf: pf.household.get(key)
    if attr not in ATTRIBUTES:
        raise Invalid("政策条件的属性不存在", attr=attr)
    return ATTRIBUTES[attr]


def attrs(cond: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("all", "any"):
        for c in cond.get(key, ()):
            out.extend(a for a in attrs(c) if a not in out)
    if "not" in cond:
        out.extend(a for a in attrs(cond["not"]) if a not in out)
    if "attr" in cond and cond["attr"] not in out:
        out.append(cond["attr"])
    return out


def _label(attr: str) -> str:
    if attr.startswith("household."):
        return "家庭情况·" + str(label_or_code("household_flags", attr.split(".", 1)[1]))
    return ATTR_LABELS.get(attr, attr)


def _show(value: Any, attr: str = "") -> Any:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(sorted(str(_show(v, attr)) for v in value)) or "无"
    if attr in ATTR_VOCABULARIES:
        return label_or_code(ATTR_VOCABULARIES[attr], value)
    return value


def describe(cond: dict[str, Any]) -> str:
    if "all" in cond:
        return "（" + " 且 ".join(describe(c) for c in cond["all"]) + "）"
    if "any" in cond:
        return "（" + " 或 ".join(describe(c) for c in cond["any"]) + "）"
    if "not" in cond:
        return "非" + describe(cond["not"])
    op = next(k for k in cond if k != "attr")
    return f"{_label(cond['attr'])}{OP_LABELS.get(op, op)}{_show(cond[op], cond['attr'])}"


def values_of(pf: Any, names: list[str]) -> str:
    parts = []
    for name in names:
        value = _getter(name)(pf)
        parts.append(f"{_label(name)}={'未知' if value is None else _show(value, name)}")
    return "；".join(parts)
