"""Request and reply schemas of divisions (names of places by code)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import Division, Text

LEVELS = ["province", "city", "county", "township", "village"]


class DivisionRefSchema(Schema):
    code = fields.String(required=True, metadata={"description": "区划代码", "example": "341500"})
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "名称；未登记的乡镇、村为 null", "example": "六安市"})


class DivisionSchema(DivisionRefSchema):
    level = fields.String(required=True, validate=validate.OneOf(LEVELS), metadata={
        "description": "层级：province 省、city 市、county 县（区）、township 乡镇（街道）、"
                       "village 村（社区）"})
    parent_code = fields.String(required=True, allow_none=True, metadata={
        "description": "上级区划代码（省为 null）"})
    path = fields.List(fields.Nested(DivisionRefSchema), required=True, metadata={
        "description": "从省到本级的名称，如 安徽省 / 六安市 / 金安区"})
    full_name = fields.String(required=True, metadata={
        "description": "全称：各级名称相连", "example": "安徽省六安市金安区"})


class DivisionChildrenSchema(Schema):
    code = fields.String(required=True, metadata={"description": "上级区划代码"})
    items = fields.List(fields.Nested(DivisionRefSchema), required=True, metadata={
        "description": "直接下级（省下的市、市下的县区、县下已登记的乡镇、乡镇下已登记的村）"})
    total = fields.Integer(required=True, metadata={"description": "下级个数"})


class RegisterDivisionSchema(Schema):
    code = Division((9, 12), required=True, metadata={
        "description": "乡镇（街道）9 位或村（社区）12 位区划代码", "example": "341502001"})
    name = Text(64, required=True, metadata={"description": "名称", "example": "城北乡"})
