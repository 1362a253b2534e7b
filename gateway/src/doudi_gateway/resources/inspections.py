"""Inspections of care institutions: records, findings and their
rectification, schedules and overdue inspections (service ``institutions``)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    empty_page,
    jsonable,
    page_from,
    scoped_division,
)
from doudi_gateway.resources.institutions import act_on_institution, fetch_institution
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC, IF_MATCH_DOC
from doudi_gateway.schemas.inspections import (
    FindingSchema,
    InspectionListArgs,
    InspectionPageReply,
    InspectionReply,
    InspectionScheduleReply,
    InspectionSchema,
    OverduePageReply,
    RectifySchema,
    UpdateInspectionSchema,
)
from doudi_gateway.schemas.institutions import (
    DivisionPageArgs,
)
from doudi_gateway.web import (
    check_if_match,
    etag_of,
    idempotent,
    rpc,
)

blp = Blueprint("inspections", __name__, url_prefix="/api/v1",
                description="机构检查、整改与检查计划 (institutions)")


@blp.route("/institutions/<uscc>/inspections", methods=["GET"])
@blp.arguments(InspectionListArgs, location="query")
@blp.response(200, InspectionPageReply)
@requires("inspections:read")
def list_inspections(args, uscc):
    """Inspections of an institution."""
    inst = fetch_institution(uscc)
    return page_from(rpc("institutions", "list_inspections", uscc=inst["uscc"],
                         kind=args.get("kind"), page=args["page"],
                         per_page=args["per_page"]), args)


@blp.route("/institutions/<uscc>/inspections", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(InspectionSchema)
@blp.response(201, InspectionReply)
@requires("inspections:write")
def record_inspection(body, uscc):
    """Record an inspection with its findings (hangzhou-2024 §五(四))."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "record_inspection", inst["uscc"], **jsonable(body)), 201


@blp.route("/inspections/<inspection_id>", methods=["GET"])
@blp.response(200, InspectionReply)
@requires("inspections:read")
def get_inspection(inspection_id):
    """One inspection with its findings."""
    inspection = rpc("institutions", "get_inspection", inspection_id)
    fetch_institution(inspection["uscc"])  # 404 when the institution is out of scope
    g.etag = etag_of(inspection)
    return inspection


@blp.route("/institutions/<uscc>/inspection-schedule", methods=["GET"])
@blp.response(200, InspectionScheduleReply(many=True))
@requires("inspections:read")
def inspection_schedule(uscc):
    """Which inspections are due when (monthly fire and food safety, yearly fund policy)."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "inspection_schedule", inst["uscc"])


@blp.route("/inspections/overdue", methods=["GET"])
@blp.arguments(DivisionPageArgs, location="query")
@blp.response(200, OverduePageReply)
@requires("inspections:read")
def overdue_inspections(args):
    """Missed patrol inspections and unrectified findings in the jurisdiction."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return page_from(rpc("institutions", "list_overdue", division_code=division,
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/inspections/<inspection_id>/findings", methods=["POST"])
@blp.arguments(FindingSchema)
@blp.response(201, InspectionReply)
@requires("inspections:write")
def add_finding(body, inspection_id):
    """Add a finding to an inspection."""
    inspection = rpc("institutions", "get_inspection", inspection_id)
    act_on_institution(inspection["uscc"])
    return rpc("institutions", "add_finding", inspection["inspection_id"], body["severity"],
               body["description"], body["rectify_by"].isoformat()), 201


@blp.route("/inspections/<inspection_id>/findings/<int:finding_id>/rectification",
           methods=["POST"])
@blp.arguments(RectifySchema)
@blp.response(200, InspectionReply)
@requires("inspections:write")
def rectify_finding(body, inspection_id, finding_id):
    """Sign off a finding as rectified."""
    inspection = rpc("institutions", "get_inspection", inspection_id)
    act_on_institution(inspection["uscc"])
    if finding_id not in {f.get("finding_id") for f in inspection.get("findings", [])}:
        from doudi_common.errors import NotFound

        raise NotFound("该检查没有此问题", resource="finding")
    return rpc("institutions", "rectify_finding", finding_id, body["rectified_on"].isoformat(),
               g.principal.username)


@blp.route("/inspections/<inspection_id>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdateInspectionSchema)
@blp.response(200, InspectionReply)
@requires("inspections:write")
def update_inspection(body, inspection_id):
    """Correct an inspection's inspector or notes; `If-Match` guards against lost
    updates."""
    inspection = rpc("institutions", "get_inspection", inspection_id)
    act_on_institution(inspection["uscc"])
    check_if_match(inspection)
    result = rpc("institutions", "update_inspection", inspection["inspection_id"], **body)
    g.etag = etag_of(result)
    return result
