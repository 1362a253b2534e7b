"""Institutions, licences, catalogue, beds, placements, inspections,
consolidation (service ``institutions``)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import NOTHING, empty_page, page_from, path_uscc, scoped_division
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC, IF_MATCH_DOC, Loose, LoosePage
from doudi_gateway.schemas.institutions import (
    AdmissionArgs,
    AdmitSchema,
    BedArgs,
    BedStatusSchema,
    CareLevelSchema,
    CatalogItemSchema,
    ConsentRecordSchema,
    DischargeSchema,
    DivisionPageArgs,
    FindingSchema,
    GradeSchema,
    InspectionListArgs,
    InspectionSchema,
    InstitutionListArgs,
    InstitutionSchema,
    LicenceSchema,
    MergeSchema,
    MonthlyPriceArgs,
    MonthQueryArgs,
    OnArgs,
    PlacementListArgs,
    PriceSchema,
    RectifySchema,
    RegisterInstitutionSchema,
    RoomSchema,
    StaffSchema,
    StatusSchema,
    TransferSchema,
    UpdateInspectionSchema,
    UpdateInstitutionSchema,
    UpdatePlacementSchema,
)
from doudi_gateway.web import (
    check_if_match,
    etag_of,
    idempotent,
    mask,
    require_division,
    rpc,
    scope_action,
    scope_read,
)

blp = Blueprint("institutions", __name__, url_prefix="/api/v1",
                description="机构、许可证、服务目录、床位、入住、检查、整合 (institutions)")


def _iso(value):
    return value.isoformat() if value is not None else None


def _json(body: dict) -> dict:
    from doudi_common.serialize import to_jsonable

    return to_jsonable(body)


def fetch_institution(uscc: str) -> dict:
    """The institution if inside the caller's jurisdiction (and, for institution
    staff, their own), else 404."""
    return scope_read(rpc("institutions", "get_institution", path_uscc(uscc)), "机构",
                      institution_key="uscc")


def act_on_institution(uscc: str) -> dict:
    """The institution if the caller may act on it, else 403."""
    return scope_action(rpc("institutions", "get_institution", path_uscc(uscc)), "机构",
                        institution_key="uscc")


@blp.route("/institutions", methods=["GET"])
@blp.arguments(InstitutionListArgs, location="query")
@blp.response(200, LoosePage)
@requires("institutions:read")
def list_institutions(args):
    """Institutions inside the caller's jurisdiction (institution staff: their own)."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    if g.principal.role == "institution_staff":
        try:
            own = fetch_institution(g.principal.institution_id or "")
        except Exception:  # noqa: BLE001 - no institution of their own: nothing to list
            return empty_page(args)
        return {"items": [mask(own)], "page": 1, "per_page": args["per_page"], "total": 1}
    reply = rpc("institutions", "list_institutions", division_code=division,
                kind=args.get("kind"), status=args.get("status"), page=args["page"],
                per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/institutions", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RegisterInstitutionSchema)
@blp.response(201, InstitutionSchema)
@requires("institutions:write")
def register_institution(body):
    """Register an institution (its division must lie in the caller's jurisdiction)."""
    require_division(body["division_code"])
    inst = rpc("institutions", "register_institution", **_json(body))
    return inst, 201, {"Location": f"/api/v1/institutions/{inst['uscc']}"}


@blp.route("/institutions/<uscc>", methods=["GET"])
@blp.response(200, InstitutionSchema)
@requires("institutions:read")
def get_institution(uscc):
    """One institution with licences, grade, staff, beds and status history."""
    inst = fetch_institution(uscc)
    g.etag = etag_of(inst)
    return mask(inst)


@blp.route("/institutions/<uscc>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdateInstitutionSchema)
@blp.response(200, InstitutionSchema)
@requires("institutions:write")
def update_institution(body, uscc):
    """Change an institution's registry data; `If-Match` guards against lost updates."""
    inst = act_on_institution(uscc)
    check_if_match(inst)
    result = rpc("institutions", "update_institution", inst["uscc"], **_json(body))
    return mask(result)


@blp.route("/institutions/<uscc>/status", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(StatusSchema)
@blp.response(200, InstitutionSchema)
@requires("institutions:write")
def set_status(body, uscc):
    """Open, suspend, merge or close an institution."""
    inst = act_on_institution(uscc)
    check_if_match(inst)
    return mask(rpc("institutions", "set_status", inst["uscc"], body["status"],
                    body["on"].isoformat(), body["reason"]))


@blp.route("/institutions/<uscc>/licences", methods=["GET"])
@blp.response(200, Loose(many=True))
@requires("institutions:read")
def list_licences(uscc):
    """An institution's licences and medical-insurance designation."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "list_licences", inst["uscc"])


@blp.route("/institutions/<uscc>/licences", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(LicenceSchema)
@blp.response(201, Loose)
@requires("institutions:write")
def add_licence(body, uscc):
    """Record a licence."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_licence", inst["uscc"], **_json(body)), 201


@blp.route("/institutions/<uscc>/catalog", methods=["GET"])
@blp.arguments(OnArgs, location="query")
@blp.response(200, Loose(many=True))
@requires("institutions:read")
def get_catalog(args, uscc):
    """The service catalogue with prices on a date."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "get_catalog", inst["uscc"], on=_iso(args.get("on")))


@blp.route("/institutions/<uscc>/catalog", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(CatalogItemSchema)
@blp.response(201, Loose)
@requires("institutions:write")
def add_catalog_item(body, uscc):
    """Add an item to the service catalogue (luan-2021 §三(四))."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_catalog_item", inst["uscc"], **_json(body)), 201


@blp.route("/institutions/<uscc>/rooms", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RoomSchema)
@blp.response(201, Loose)
@requires("institutions:write")
def add_room(body, uscc):
    """Add a room with its beds."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_room", inst["uscc"], body["room_no"], body["room_type"],
               body["beds"]), 201


@blp.route("/institutions/<uscc>/beds", methods=["GET"])
@blp.arguments(BedArgs, location="query")
@blp.response(200, LoosePage)
@requires("institutions:read")
def list_beds(args, uscc):
    """Beds and their status."""
    inst = fetch_institution(uscc)
    return page_from(rpc("institutions", "list_beds", inst["uscc"], status=args.get("status"),
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/institutions/<uscc>/placements", methods=["GET"])
@blp.arguments(PlacementListArgs, location="query")
@blp.response(200, LoosePage)
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
@blp.response(201, Loose)
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


def fetch_placement(placement_id: str, action: bool = False) -> dict:
    placement = rpc("institutions", "get_placement", placement_id)
    check = scope_action if action else scope_read
    return check(placement, "入住记录", institution_key="uscc")


@blp.route("/placements/<placement_id>", methods=["GET"])
@blp.response(200, Loose)
@requires("placements:read")
def get_placement(placement_id):
    """One placement."""
    placement = fetch_placement(placement_id)
    g.etag = etag_of(placement)
    return mask(placement)


@blp.route("/placements/<placement_id>/discharge", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(DischargeSchema)
@blp.response(200, Loose)
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
@blp.response(200, Loose)
@requires("placements:write")
def transfer(body, placement_id):
    """Transfer a resident to another institution (needs their recorded consent)."""
    placement = fetch_placement(placement_id, action=True)
    check_if_match(placement)
    act_on_institution(body["to_uscc"])
    return mask(rpc("institutions", "transfer", placement["placement_id"], body["to_uscc"],
                    body["transferred_on"].isoformat(), bed_no=body.get("bed_no")))


@blp.route("/institutions/<uscc>/inspections", methods=["GET"])
@blp.arguments(InspectionListArgs, location="query")
@blp.response(200, LoosePage)
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
@blp.response(201, Loose)
@requires("inspections:write")
def record_inspection(body, uscc):
    """Record an inspection with its findings (hangzhou-2024 §五(四))."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "record_inspection", inst["uscc"], **_json(body)), 201


@blp.route("/inspections/<inspection_id>", methods=["GET"])
@blp.response(200, Loose)
@requires("inspections:read")
def get_inspection(inspection_id):
    """One inspection with its findings."""
    inspection = rpc("institutions", "get_inspection", inspection_id)
    fetch_institution(inspection["uscc"])  # 404 when the institution is out of scope
    g.etag = etag_of(inspection)
    return inspection


@blp.route("/consolidation-plans/<county_code>", methods=["GET"])
@blp.response(200, Loose)
@requires("consolidation:read")
def consolidation_plan(county_code):
    """The county's tekun-home consolidation plan (hangzhou-2024 §二, §三)."""
    from doudi_common.errors import NotFound
    from doudi_common.ids import validate_division_code

    from doudi_gateway.web import in_scope

    code = validate_division_code(county_code, (6,))
    if not in_scope(code):
        raise NotFound("未找到该区县", resource="county")
    return mask(rpc("institutions", "consolidation_plan", code))


@blp.route("/institutions/<uscc>/consents", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(ConsentRecordSchema)
@blp.response(201, Loose)
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
@blp.response(200, LoosePage)
@requires("placements:read")
def admission_requests(args, uscc):
    """Admission requests from enrolments in centralised care."""
    inst = fetch_institution(uscc)
    return mask(page_from(rpc("institutions", "list_admission_requests",
                              status=args.get("status"), uscc=inst["uscc"], page=args["page"],
                              per_page=args["per_page"]), args))


@blp.route("/institutions/<uscc>/inspection-schedule", methods=["GET"])
@blp.response(200, Loose(many=True))
@requires("inspections:read")
def inspection_schedule(uscc):
    """Which inspections are due when (monthly fire and food safety, yearly fund policy)."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "inspection_schedule", inst["uscc"])


@blp.route("/inspections/overdue", methods=["GET"])
@blp.arguments(DivisionPageArgs, location="query")
@blp.response(200, LoosePage)
@requires("inspections:read")
def overdue_inspections(args):
    """Missed patrol inspections and unrectified findings in the jurisdiction."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return page_from(rpc("institutions", "list_overdue", division_code=division,
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/licence-alerts", methods=["GET"])
@blp.arguments(DivisionPageArgs, location="query")
@blp.response(200, LoosePage)
@requires("institutions:read")
def licence_alerts(args):
    """Licences expiring within 60 days or expired."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return page_from(rpc("institutions", "licence_alerts", division_code=division,
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/county-statistics/<county_code>", methods=["GET"])
@blp.response(200, Loose)
@requires("consolidation:read")
def county_statistics(county_code):
    """Institutions, beds, occupancy, grades and the centralised-support rate of a county."""
    from doudi_common.errors import NotFound
    from doudi_common.ids import validate_division_code

    from doudi_gateway.web import in_scope

    code = validate_division_code(county_code, (6,))
    if not in_scope(code):
        raise NotFound("未找到该区县", resource="county")
    return rpc("institutions", "county_statistics", code)


@blp.route("/institutions/<uscc>/grade", methods=["POST"])
@blp.arguments(GradeSchema)
@blp.response(200, InstitutionSchema)
@requires("institutions:write")
def set_grade(body, uscc):
    """Record the institution's assessed grade (1–5)."""
    inst = act_on_institution(uscc)
    return mask(rpc("institutions", "set_grade", inst["uscc"], body["grade"],
                    body["assessed_on"].isoformat()))


@blp.route("/institutions/<uscc>/staff", methods=["PUT"])
@blp.arguments(StaffSchema)
@blp.response(200, Loose)
@requires("institutions:write")
def set_staff(body, uscc):
    """Set staff numbers (carers per resident follow)."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_staff", inst["uscc"], **body)


@blp.route("/institutions/<uscc>/catalog/<code>/prices", methods=["POST"])
@blp.arguments(PriceSchema)
@blp.response(201, Loose)
@requires("institutions:write")
def set_price(body, uscc, code):
    """A new price for a catalogue item from a date (never retroactive)."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_price", inst["uscc"], code, body["price"],
               body["effective_from"].isoformat(), reason=body.get("reason")), 201


@blp.route("/institutions/<uscc>/beds/<bed_no>/status", methods=["PUT"])
@blp.arguments(BedStatusSchema)
@blp.response(200, Loose)
@requires("institutions:write")
def set_bed_status(body, uscc, bed_no):
    """Take a bed out of service or back."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_bed_status", inst["uscc"], bed_no, body["status"])


@blp.route("/inspections/<inspection_id>/findings", methods=["POST"])
@blp.arguments(FindingSchema)
@blp.response(201, Loose)
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
@blp.response(200, Loose)
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


@blp.route("/institutions/<uscc>/merge", methods=["POST"])
@blp.arguments(MergeSchema)
@blp.response(200, Loose)
@requires("institutions:write")
def execute_merge(body, uscc):
    """Merge this tekun home into another: residents who consented move, the
    others stay and are listed (hangzhou-2024 §三(二)(三), §五(三))."""
    source = act_on_institution(uscc)
    act_on_institution(body["target_uscc"])
    return mask(rpc("institutions", "execute_merge", source["uscc"], body["target_uscc"],
                    body["on"].isoformat()))


# -- placement records, care level, prices, inspection details ---------------------------


@blp.route("/placements/<placement_id>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdatePlacementSchema)
@blp.response(200, Loose)
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
@blp.response(200, Loose)
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
@blp.response(200, Loose)
@requires("placements:read")
def price_segments(args, placement_id):
    """The monthly price in force over each part of a month the resident stayed
    (split at price changes and care-level changes): what funding settles against."""
    placement = fetch_placement(placement_id)
    return rpc("institutions", "price_segments", placement["placement_id"], args["month"])


@blp.route("/institutions/<uscc>/monthly-price", methods=["GET"])
@blp.arguments(MonthlyPriceArgs, location="query")
@blp.response(200, Loose)
@requires("institutions:read")
def monthly_price(args, uscc):
    """An institution's monthly price on a day: bed for the room type, nursing for the
    care level, and every other monthly item."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "monthly_price", inst["uscc"], room_type=args.get("room_type"),
               care_level=args.get("care_level"), on=_iso(args.get("on")))


@blp.route("/inspections/<inspection_id>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdateInspectionSchema)
@blp.response(200, Loose)
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
