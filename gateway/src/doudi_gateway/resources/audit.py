"""The audit trail: read-only for auditors and admins (no way to edit it)."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from doudi_gateway.observe import subject_of
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import IdNumber, PageArgs

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="审计记录 (只读)")


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


@blp.route("", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditPageSchema)
@requires("audit:read")
def query_audit(args):
    """Who did what, when, from where, with which outcome — newest first.
    Every write and every read of a full person record is here."""
    store = current_app.extensions["doudi_store"]
    items, total = store.audit_query(
        username=args.get("username"), action=args.get("action"), outcome=args.get("outcome"),
        since=args.get("since"), until=args.get("until"),
        offset=(args["page"] - 1) * args["per_page"], limit=args["per_page"],
        subject=subject_of(args.get("id_number")))
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}
