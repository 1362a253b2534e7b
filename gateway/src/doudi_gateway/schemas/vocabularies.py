"""Reply schemas of the vocabularies (the codes the API speaks, with labels)."""

from __future__ import annotations

from marshmallow import Schema, fields


class TermSchema(Schema):
    class Meta:
        ordered = True

    code = fields.String(required=True, metadata={
        "description": "代码：请求与响应中使用的取值", "example": "centralized"})
    label = fields.String(required=True, metadata={
        "description": "中文名称（界面显示用）", "example": "集中供养"})
    label_en = fields.String(required=True, metadata={
        "description": "English label", "example": "centralised care"})
    issuer = fields.String(metadata={"description": "发文机关（仅政策文件）"})
    number = fields.String(metadata={"description": "文号（仅政策文件）"})
    division_code = fields.String(metadata={"description": "适用区划代码（仅政策文件）"})


class VocabularySchema(Schema):
    class Meta:
        ordered = True

    name = fields.String(required=True, metadata={
        "description": "词表名称", "example": "care_modes"})
    title = fields.String(required=True, metadata={
        "description": "词表中文名", "example": "照护方式"})
    terms = fields.List(fields.Nested(TermSchema), required=True, metadata={
        "description": "按业务习惯排序的全部取值"})


class VocabularyIndexSchema(Schema):
    class Meta:
        ordered = True

    items = fields.List(fields.Nested(VocabularySchema), required=True, metadata={
        "description": "全部词表（含角色与权限）"})
    total = fields.Integer(required=True, metadata={"description": "词表数"})
