"""Placements in care institutions: admission, discharge, transfer, care level,
price segments, consents and admission requests (service ``institutions``)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import page_from
from doudi_gateway.resources.institutions import act_on_institution, fetch_institution
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC, IF_MATCH_DOC
from doudi_gateway.schemas.placements import (
    AdmissionArgs,
    AdmissionRequestPageReply,
    AdmitSchema,
    CareLevelSchema,
    ConsentRecordReply,
    ConsentRecordSchema,
    DischargeSchema,
    MonthQueryArgs,
    PlacementListArgs,
    PlacementPageReply,
    PlacementReply,
    PriceSegmentsReply,
    TransferSchema,
    UpdatePlacementSchema,
)
from doudi_gateway.web import (
    check_if_match,
    etag_of,
    idempotent,
    mask,
    rpc,
    scope_action,
    scope_read,
)

blp = Blueprint("placements", __name__, url_prefix="/api/v1",
                description="入住、出院、转院、照护等级与入住申请 (institutions)")


def fetch_placement(placement_id: str, action: bool = False) -> dict:
    placement = rpc("institutions", "get_placement", placement_id)
    check = scope_action if action else scope_read
    return check(placement, "入住记录", institution_key="uscc")


@blp.route("/institutions/<uscc>/placements", methods=["GET"])
@blp.arguments(PlacementListArgs, location="query")
@blp.response(200, PlacementPageReply)
@requires("placements:read")
def list_placements(args, uscc):
    """Residents placed in an institution (ID numbers masked)."""
    inst = fetch_institution(uscc)
    return mask(page_from(rpc("institutions", "list_placements", uscc=inst["uscc"],
                              status=args.get("status"), page=args["page"],
                              per_page=args["per_page"]), args))


@blp.route("/institutions/<uscc>/placements", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(AdmitSchema)
@blp.response(201, PlacementReply)
@requires("placements:write")
def admit(body, uscc):
    """Admit a person (refused when placed elsewhere, no free bed, infectious
    disease open, institution not open)."""
    inst = act_on_institution(uscc)
    # admitting makes them a resident: the jurisdiction is checked, not residence
    person = fetch_person(body["id_number"], action=True, residents_only=False)
    placement = rpc("institutions", "admit", body["id_number"], inst["uscc"],
                    body["admitted_on"].isoformat(), body["care_level"],
                    bed_no=body.get("bed_no"), division_code=person.get("division_code"),
                    enrolment_id=body.get("enrolment_id"))
    return mask(placement), 201, {"Location": f"/api/v1/placements/{placement['placement_id']}"}


@blp.route("/placements/<placement_id>", methods=["GET"])
@blp.response(200, PlacementReply)
@requires("placements:read")
def get_placement(placement_id):
    """One placement."""
    placement = fetch_placement(placement_id)
    g.etag = etag_of(placement)
    return mask(placement)


@blp.route("/placements/<placement_id>/discharge", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(DischargeSchema)
@blp.response(200, PlacementReply)
@requires("placements:write")
def discharge(body, placement_id):
    """Discharge a resident."""
    placement = fetch_placement(placement_id, action=True)
    check_if_match(placement)
    return mask(rpc("institutions", "discharge", placement["placement_id"],
                    body["discharged_on"].isoformat(), body["reason"], note=body.get("note")))


@blp.route("/placements/<placement_id>/transfer", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(TransferSchema)
@blp.response(200, PlacementReply)
@requires("placements:write")
def transfer(body, placement_id):
    """Transfer a resident to another institution (needs their recorded consent)."""
    placement = fetch_placement(placement_id, action=True)
    check_if_match(placement)
    act_on_institution(body["to_uscc"])
    return mask(rpc("institutions", "transfer", placement["placement_id"], body["to_uscc"],
                    body["transferred_on"].isoformat(), bed_no=body.get("bed_no")))


@blp.route("/institutions/<uscc>/consents", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(ConsentRecordSchema)
@blp.response(201, ConsentRecordReply)
@requires("placements:write")
def record_consent(body, uscc):
    """Record a resident's consent (or refusal) to move to this institution
    (hangzhou-2024 §五(三))."""
    inst = act_on_institution(uscc)
    fetch_person(body["id_number"], action=True, residents_only=False)
    return mask(rpc("institutions", "record_consent", body["id_number"], inst["uscc"],
                    body["given"], body["recorded_on"].isoformat(),
                    recorded_by=g.principal.username, note=body.get("note"))), 201


@blp.route("/institutions/<uscc>/admission-requests", methods=["GET"])
@blp.arguments(AdmissionArgs, location="query")
@blp.response(200, AdmissionRequestPageReply)
@requires("placements:read")
def admission_requests(args, uscc):
    """Admission requests from enrolments in centralised care."""
    inst = fetch_institution(uscc)
    return mask(page_from(rpc("institutions", "list_admission_requests",
                              status=args.get("status"), uscc=inst["uscc"], page=args["page"],
                              per_page=args["per_page"]), args))


@blp.route("/placements/<placement_id>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdatePlacementSchema)
@blp.response(200, PlacementReply)
@requires("placements:write")
def update_placement(body, placement_id):
    """Record the resident's health record and rehab plan references
    (luan-2021 §三(二)(五)); `If-Match` guards against lost updates."""
    placement = fetch_placement(placement_id, action=True)
    check_if_match(placement)
    result = rpc("institutions", "update_placement", placement["placement_id"], **body)
    g.etag = etag_of(result)
    return mask(result)


@blp.route("/placements/<placement_id>/care-level", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(CareLevelSchema)
@blp.response(200, PlacementReply)
@requires("placements:write")
def change_care_level(body, placement_id):
    """Change a resident's care level from a date (not before admission or the last
    change); the nursing price follows from that day."""
    placement = fetch_placement(placement_id, action=True)
    check_if_match(placement)
    result = rpc("institutions", "change_care_level", placement["placement_id"],
                 body["care_level"], body["on"].isoformat())
    g.etag = etag_of(result)
    return mask(result)


@blp.route("/placements/<placement_id>/price-segments", methods=["GET"])
@blp.arguments(MonthQueryArgs, location="query")
@blp.response(200, PriceSegmentsReply)
@requires("placements:read")
def price_segments(args, placement_id):
    """The monthly price in force over each part of a month the resident stayed
    (split at price changes and care-level changes): what funding settles against."""
    placement = fetch_placement(placement_id)
    return rpc("institutions", "price_segments", placement["placement_id"], args["month"])
