"""The audit trail: read-only for auditors and admins (no way to edit it)."""

from __future__ import annotations

from flask import current_app

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.observe import subject_of
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import jsonable
from doudi_gateway.schemas.audit import (
    AuditArgs,
    AuditPageSchema,
)

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="审计记录 (只读)")


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
    return jsonable({"items": items, "page": args["page"], "per_page": args["per_page"],
                     "total": total})
