"""Institutions: the register, licences and grades, the priced catalogue,
rooms and beds, staff, merging and consolidation, licence alerts and county
statistics (service ``institutions``; placements and inspections have their
own modules)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    empty_page,
    iso,
    jsonable,
    page_from,
    path_uscc,
    scoped_division,
)
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC, IF_MATCH_DOC
from doudi_gateway.schemas.institutions import (
    BedArgs,
    BedPageReply,
    BedReply,
    BedStatusSchema,
    CatalogItemReply,
    CatalogItemSchema,
    ConsolidationPlanReply,
    CountyStatisticsArgs,
    CountyStatisticsReply,
    DivisionPageArgs,
    GradeSchema,
    InstitutionListArgs,
    InstitutionPageReply,
    InstitutionReply,
    LicenceAlertPageReply,
    LicenceReply,
    LicenceSchema,
    MergeReply,
    MergeSchema,
    MonthlyPriceArgs,
    MonthlyPriceReply,
    OnArgs,
    PriceSchema,
    RegisterInstitutionSchema,
    RoomReply,
    RoomSchema,
    StaffingReply,
    StaffSchema,
    StatusSchema,
    UpdateInstitutionSchema,
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

#: what a single institution carries that the list's short form does not
FULL_ONLY = ("status_history", "grade_history", "licences")

blp = Blueprint("institutions", __name__, url_prefix="/api/v1",
                description="机构、许可证、服务目录、床位、入住、检查、整合 (institutions)")


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
@blp.response(200, InstitutionPageReply)
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
        # the list's short form: no histories, no licences (as the service lists them)
        short = {k: v for k, v in own.items() if k not in FULL_ONLY}
        return {"items": [mask(short)], "page": 1, "per_page": args["per_page"], "total": 1}
    reply = rpc("institutions", "list_institutions", division_code=division,
                kind=args.get("kind"), status=args.get("status"), page=args["page"],
                per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/institutions", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RegisterInstitutionSchema)
@blp.response(201, InstitutionReply)
@requires("institutions:write")
def register_institution(body):
    """Register an institution (its division must lie in the caller's jurisdiction)."""
    require_division(body["division_code"])
    inst = rpc("institutions", "register_institution", **jsonable(body))
    return inst, 201, {"Location": f"/api/v1/institutions/{inst['uscc']}"}


@blp.route("/institutions/<uscc>", methods=["GET"])
@blp.response(200, InstitutionReply)
@requires("institutions:read")
def get_institution(uscc):
    """One institution with licences, grade, staff, beds and status history."""
    inst = fetch_institution(uscc)
    g.etag = etag_of(inst)
    return mask(inst)


@blp.route("/institutions/<uscc>", methods=["PATCH"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(UpdateInstitutionSchema)
@blp.response(200, InstitutionReply)
@requires("institutions:write")
def update_institution(body, uscc):
    """Change an institution's registry data; `If-Match` guards against lost updates."""
    inst = act_on_institution(uscc)
    check_if_match(inst)
    result = rpc("institutions", "update_institution", inst["uscc"], **jsonable(body))
    return mask(result)


@blp.route("/institutions/<uscc>/status", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(StatusSchema)
@blp.response(200, InstitutionReply)
@requires("institutions:write")
def set_status(body, uscc):
    """Open, suspend, merge or close an institution."""
    inst = act_on_institution(uscc)
    check_if_match(inst)
    return mask(rpc("institutions", "set_status", inst["uscc"], body["status"],
                    body["on"].isoformat(), body["reason"]))


@blp.route("/institutions/<uscc>/licences", methods=["GET"])
@blp.response(200, LicenceReply(many=True))
@requires("institutions:read")
def list_licences(uscc):
    """An institution's licences and medical-insurance designation."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "list_licences", inst["uscc"])


@blp.route("/institutions/<uscc>/licences", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(LicenceSchema)
@blp.response(201, LicenceReply)
@requires("institutions:write")
def add_licence(body, uscc):
    """Record a licence."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_licence", inst["uscc"], **jsonable(body)), 201


@blp.route("/institutions/<uscc>/catalog", methods=["GET"])
@blp.arguments(OnArgs, location="query")
@blp.response(200, CatalogItemReply(many=True))
@requires("institutions:read")
def get_catalog(args, uscc):
    """The service catalogue with prices on a date."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "get_catalog", inst["uscc"], on=iso(args.get("on")))


@blp.route("/institutions/<uscc>/catalog", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(CatalogItemSchema)
@blp.response(201, CatalogItemReply)
@requires("institutions:write")
def add_catalog_item(body, uscc):
    """Add an item to the service catalogue (luan-2021 §三(四))."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_catalog_item", inst["uscc"], **jsonable(body)), 201


@blp.route("/institutions/<uscc>/rooms", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RoomSchema)
@blp.response(201, RoomReply)
@requires("institutions:write")
def add_room(body, uscc):
    """Add a room with its beds."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "add_room", inst["uscc"], body["room_no"], body["room_type"],
               body["beds"]), 201


@blp.route("/institutions/<uscc>/beds", methods=["GET"])
@blp.arguments(BedArgs, location="query")
@blp.response(200, BedPageReply)
@requires("institutions:read")
def list_beds(args, uscc):
    """Beds and their status."""
    inst = fetch_institution(uscc)
    return page_from(rpc("institutions", "list_beds", inst["uscc"], status=args.get("status"),
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/consolidation-plans/<county_code>", methods=["GET"])
@blp.response(200, ConsolidationPlanReply)
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


@blp.route("/licence-alerts", methods=["GET"])
@blp.arguments(DivisionPageArgs, location="query")
@blp.response(200, LicenceAlertPageReply)
@requires("institutions:read")
def licence_alerts(args):
    """Licences expiring within 60 days or expired."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return page_from(rpc("institutions", "licence_alerts", division_code=division,
                         page=args["page"], per_page=args["per_page"]), args)


@blp.route("/county-statistics/<county_code>", methods=["GET"])
@blp.arguments(CountyStatisticsArgs, location="query")
@blp.response(200, CountyStatisticsReply)
@requires("consolidation:read")
def county_statistics(args, county_code):
    """Institutions, beds, occupancy, grades, staff, inspections and the
    centralised-support rate of a county (`format=xlsx` or `csv`: the same
    figures, one per row)."""
    from doudi_common.errors import NotFound
    from doudi_common.ids import validate_division_code

    from doudi_gateway.web import in_scope

    code = validate_division_code(county_code, (6,))
    if not in_scope(code):
        raise NotFound("未找到该区县", resource="county")
    stats = rpc("institutions", "county_statistics", code)
    if args["format"] != "json":
        from datetime import datetime

        from doudi_common.dates import SHANGHAI

        from doudi_gateway import exports, reports
        from doudi_gateway.resources.divisions import scope_label

        return exports.response(reports.institutions_table(
            stats, scope_label(code), datetime.now(SHANGHAI).date().isoformat(),
            g.principal.username), args["format"])
    return stats


@blp.route("/institutions/<uscc>/grade", methods=["POST"])
@blp.arguments(GradeSchema)
@blp.response(200, InstitutionReply)
@requires("institutions:write")
def set_grade(body, uscc):
    """Record the institution's assessed grade (1–5)."""
    inst = act_on_institution(uscc)
    return mask(rpc("institutions", "set_grade", inst["uscc"], body["grade"],
                    body["assessed_on"].isoformat()))


@blp.route("/institutions/<uscc>/staff", methods=["PUT"])
@blp.arguments(StaffSchema)
@blp.response(200, StaffingReply)
@requires("institutions:write")
def set_staff(body, uscc):
    """Set staff numbers (carers per resident follow)."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_staff", inst["uscc"], **body)


@blp.route("/institutions/<uscc>/catalog/<code>/prices", methods=["POST"])
@blp.arguments(PriceSchema)
@blp.response(201, CatalogItemReply)
@requires("institutions:write")
def set_price(body, uscc, code):
    """A new price for a catalogue item from a date (never retroactive)."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_price", inst["uscc"], code, body["price"],
               body["effective_from"].isoformat(), reason=body.get("reason")), 201


@blp.route("/institutions/<uscc>/beds/<bed_no>/status", methods=["PUT"])
@blp.arguments(BedStatusSchema)
@blp.response(200, BedReply)
@requires("institutions:write")
def set_bed_status(body, uscc, bed_no):
    """Take a bed out of service or back."""
    inst = act_on_institution(uscc)
    return rpc("institutions", "set_bed_status", inst["uscc"], bed_no, body["status"])


@blp.route("/institutions/<uscc>/merge", methods=["POST"])
@blp.arguments(MergeSchema)
@blp.response(200, MergeReply)
@requires("institutions:write")
def execute_merge(body, uscc):
    """Merge this tekun home into another: residents who consented move, the
    others stay and are listed (hangzhou-2024 §三(二)(三), §五(三))."""
    source = act_on_institution(uscc)
    act_on_institution(body["target_uscc"])
    return mask(rpc("institutions", "execute_merge", source["uscc"], body["target_uscc"],
                    body["on"].isoformat()))


# -- placement records, care level, prices, inspection details ---------------------------


@blp.route("/institutions/<uscc>/monthly-price", methods=["GET"])
@blp.arguments(MonthlyPriceArgs, location="query")
@blp.response(200, MonthlyPriceReply)
@requires("institutions:read")
def monthly_price(args, uscc):
    """An institution's monthly price on a day: bed for the room type, nursing for the
    care level, and every other monthly item."""
    inst = fetch_institution(uscc)
    return rpc("institutions", "monthly_price", inst["uscc"], room_type=args.get("room_type"),
               care_level=args.get("care_level"), on=iso(args.get("on")))


