"""Divisions by code, with names: provinces, cities and counties from GB/T
2260 (the table ID-number checks use), townships and villages as an
administrator registers them (audited like every write). Names of places are
reference data: reading them needs no token."""

from __future__ import annotations

from typing import Any

from doudi_common import divisions as gbt2260
from doudi_common.errors import Conflict, NotFound
from doudi_common.ids import validate_division_code
from flask import current_app, g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.schemas.divisions import (
    DivisionChildrenSchema,
    DivisionSchema,
    RegisterDivisionSchema,
)

blp = Blueprint("divisions", __name__, url_prefix="/api/v1/divisions",
                description="行政区划名称 (divisions)")


def _store() -> Any:
    return current_app.extensions["doudi_store"]


def name_of(code: str) -> str | None:
    if len(code) == 6:
        return gbt2260.official_name(code)
    row = _store().division(code)
    return row["name"] if row else None


def describe(code: str) -> dict[str, Any]:
    chain, at = [], code
    while at is not None:
        chain.append({"code": at, "name": name_of(at)})
        at = gbt2260.parent_of(at)
    chain.reverse()
    path = [p for p in chain if not (p["name"] or "").endswith("市辖区")]
    return {"code": code, "name": name_of(code), "level": gbt2260.level(code),
            "parent_code": gbt2260.parent_of(code), "path": path,
            "full_name": "".join(p["name"] or "" for p in path)}


def scope_label(code: str | None) -> str:
    """How a report's title names its jurisdiction: "安徽省六安市金安区（341502）"."""
    if not code:
        return "全部辖区"
    try:
        name = describe(code)["full_name"]
    except Exception:  # noqa: BLE001 - a title without a name still names the code
        name = ""
    return f"{name}（{code}）" if name else code


def _code(code: str) -> str:
    code = validate_division_code(code)
    if len(code) == 6 and gbt2260.official_name(code) is None:
        raise NotFound("没有这个区划代码", resource="division", code=code)
    return code


@blp.route("/<code>", methods=["GET"])
@blp.response(200, DivisionSchema)
def get_division(code):
    """A division with its name and the names above it."""
    return describe(_code(code))


@blp.route("/<code>/children", methods=["GET"])
@blp.response(200, DivisionChildrenSchema)
def division_children(code):
    """The divisions directly under one: cities of a province, counties of a
    city, the registered townships of a county, the registered villages of a
    township."""
    code = _code(code)
    if gbt2260.level(code) in ("province", "city"):
        items = [{"code": c, "name": n} for c, n in gbt2260.official_children(code)]
    else:
        items = _store().division_children(code)
    return {"code": code, "items": items, "total": len(items)}


@blp.route("", methods=["POST"])
@blp.arguments(RegisterDivisionSchema)
@blp.response(201, DivisionSchema)
@requires("divisions:write")
def register_division(body):
    """Register (or rename) a township or village under a county that exists."""
    code = body["code"]
    county = code[:6]
    if gbt2260.official_name(county) is None:
        raise NotFound("上级县（区）不存在", resource="division", code=county)
    parent = gbt2260.parent_of(code)
    if len(code) == 12 and _store().division(parent) is None:
        raise Conflict("请先登记所属乡镇（街道）", reason="parent_missing", parent_code=parent)
    _store().save_division(code, body["name"].strip(), parent, g.principal.username)
    return describe(code)
