"""Request and reply schemas of the audit trail (the REST edge; the routes are in
``doudi_gateway.resources.audit``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import IdNumber, PageArgs


class AuditArgs(PageArgs):
    username = fields.String(validate=validate.Length(min=1, max=64))
    action = fields.String(validate=validate.Length(min=1, max=64))
    outcome = fields.String(validate=validate.OneOf(
        ["ok", "denied", "rejected", "failed", "rate_limited", "pending"]))
    id_number = IdNumber(metadata={"description": "只看涉及此人的记录（按密钥哈希匹配）"})
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    request_id = fields.String(allow_none=True)
    username = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    action = fields.String()
    method = fields.String()
    path = fields.String()
    resource_id = fields.String(allow_none=True)
    status = fields.Integer()
    outcome = fields.String()
    remote_addr = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    subject = fields.String(allow_none=True, metadata={"description": "ID 号的密钥哈希"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
