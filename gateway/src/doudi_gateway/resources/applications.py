"""Applications, their review actions, public notice, enrolments (``eligibility``)."""

from __future__ import annotations

from datetime import datetime

from doudi_common.dates import SHANGHAI
from doudi_common.ids import division_prefix
from flask import g

from doudi_gateway import exports, reports
from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    empty_page,
    every_page,
    iso,
    page_from,
    scoped_division,
)
from doudi_gateway.resources.divisions import scope_label
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.applications import (
    ApplicationListArgs,
    ApplicationPageReply,
    ApplicationReply,
    CareModeSchema,
    CaseloadArgs,
    CaseloadReply,
    EndEnrolmentSchema,
    EnrolmentReviewSchema,
    FileApplicationSchema,
    NoticeArgs,
    NoticeCsvArgs,
    NoticePageReply,
    PackArgs,
    PackReply,
    PolicyPackReply,
    ReviewSchema,
    StandingArgs,
    StandingCsvArgs,
    StandingPageReply,
)
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC, IF_MATCH_DOC
from doudi_gateway.schemas.persons import EnrolmentReply
from doudi_gateway.web import (
    audit_full_read,
    can_see_full,
    check_if_match,
    etag_of,
    idempotent,
    mask,
    require_division,
    rpc,
    scope_action,
    scope_read,
)

blp = Blueprint("applications", __name__, url_prefix="/api/v1",
                description="申请、审核、公示、纳入照护 (eligibility)")


def fetch_application(application_id: str, action: bool = False) -> dict:
    app = rpc("eligibility", "get_application", application_id)
    return scope_action(app, "申请") if action else scope_read(app, "申请")


def present(application: dict) -> dict:
    if can_see_full():
        audit_full_read(application.get("application_id"), application.get("id_number"))
        return application
    return mask(application)


@blp.route("/applications", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(FileApplicationSchema)
@blp.response(201, ApplicationReply)
@requires("applications:create")
def file_application(body):
    """File an application for care (consent required)."""
    fetch_person(body["id_number"], action=True)
    payload = {k: (iso(v) if k == "submitted_on" else v) for k, v in body.items()}
    payload["consent"] = {**body["consent"], "on": iso(body["consent"]["on"])}
    payload.update(submitted_by=g.principal.username, submitted_role=g.principal.role)
    app = rpc("eligibility", "file_application", payload)
    return present(app), 201, {"Location": f"/api/v1/applications/{app['application_id']}"}


@blp.route("/applications", methods=["GET"])
@blp.arguments(ApplicationListArgs, location="query")
@blp.response(200, ApplicationPageReply)
@requires("applications:read")
def list_applications(args):
    """Applications inside the caller's jurisdiction, oldest first (ID numbers masked)."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    reply = rpc("eligibility", "list_applications", status=args.get("status"),
                division_prefix=division_prefix(division) if division else None,
                date_from=iso(args.get("date_from")), date_to=iso(args.get("date_to")),
                policy_pack=args.get("policy_pack"), id_number=args.get("id_number"),
                page=args["page"], per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/applications/<application_id>", methods=["GET"])
@blp.response(200, ApplicationReply)
@requires("applications:read")
def get_application(application_id):
    """One application with its review steps; `ETag` for `If-Match` on reviews."""
    app = fetch_application(application_id)
    g.etag = etag_of(app)
    return present(app)


@blp.route("/applications/<application_id>/reviews", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(ReviewSchema)
@blp.response(200, ApplicationReply)
@requires("applications:review")
def review_application(body, application_id):
    """A review action (village review, township check, sign-off, approve, reject,
    objection, close notice, sign agreement, withdraw). With `If-Match`, refused
    (412) when the application changed since it was read."""
    app = fetch_application(application_id, action=True)
    check_if_match(app)
    p = g.principal
    result = rpc("eligibility", "act_on_application", app["application_id"], body["action"],
                 p.username, p.role, comment=body.get("comment"), data=body.get("data"))
    g.etag = etag_of(result)
    return present(result)


@blp.route("/public-notices", methods=["GET"])
@blp.arguments(NoticeArgs, location="query")
@blp.response(200, NoticePageReply)
@requires("notices:read")
def public_notice(args):
    """Approved persons of a township in a period (公示), ID numbers masked."""
    require_division(args["township_code"])
    reply = rpc("eligibility", "public_notice_list", args["township_code"],
                iso(args["date_from"]), iso(args["date_to"]), page=args["page"],
                per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/public-notices.csv", methods=["GET"])
@blp.arguments(NoticeCsvArgs, location="query")
@blp.response(200, content_type="text/csv")
@requires("notices:read")
def public_notice_csv(args):
    """The public notice for posting: CSV (UTF-8 with BOM) or `format=xlsx`,
    Chinese headers and labels, ID numbers masked."""
    require_division(args["township_code"])
    rows = every_page(lambda page, per_page: rpc(
        "eligibility", "public_notice_list", args["township_code"], iso(args["date_from"]),
        iso(args["date_to"]), page=page, per_page=per_page))
    period = f"{iso(args['date_from'])}—{iso(args['date_to'])}"
    return exports.response(reports.notice_table(mask(rows), scope_label(args["township_code"]),
                                                  period,
                                                  g.principal.username), args["format"])


@blp.route("/standing-notices", methods=["GET"])
@blp.arguments(StandingArgs, location="query")
@blp.response(200, StandingPageReply)
@requires("notices:read")
def standing_notice(args):
    """The standing public list (长期公示) of a village, township or county: who
    receives services now, where the jurisdiction's document requires such a list
    (qingyunpu-2021 §五6); ID numbers masked."""
    require_division(args["division_code"])
    reply = rpc("eligibility", "standing_notice_list", args["division_code"],
                page=args["page"], per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/standing-notices.csv", methods=["GET"])
@blp.arguments(StandingCsvArgs, location="query")
@blp.response(200, content_type="text/csv")
@requires("notices:read")
def standing_notice_csv(args):
    """The standing public list for posting at the village committee: CSV (UTF-8
    with BOM) or `format=xlsx`, Chinese headers and labels, ID numbers masked."""
    require_division(args["division_code"])
    rows = every_page(lambda page, per_page: rpc(
        "eligibility", "standing_notice_list", args["division_code"], page=page,
        per_page=per_page))
    return exports.response(reports.standing_table(
        mask(rows), scope_label(args["division_code"]),
        datetime.now(SHANGHAI).date().isoformat(), g.principal.username),
        args["format"])


def fetch_enrolment(enrolment_id: str, action: bool = False) -> dict:
    enrolment = rpc("eligibility", "get_enrolment", enrolment_id)
    return scope_action(enrolment, "纳入记录") if action else scope_read(enrolment, "纳入记录")


@blp.route("/enrolments/<enrolment_id>", methods=["GET"])
@blp.response(200, EnrolmentReply)
@requires("enrolments:read")
def get_enrolment(enrolment_id):
    """One enrolment with its history."""
    enrolment = fetch_enrolment(enrolment_id)
    g.etag = etag_of(enrolment)
    return mask(enrolment)


def _enrolment_action(enrolment_id: str, method: str, *args, **kwargs) -> dict:
    enrolment = fetch_enrolment(enrolment_id, action=True)
    check_if_match(enrolment)
    p = g.principal
    return mask(rpc("eligibility", method, enrolment["enrolment_id"], *args, **kwargs,
                    actor=p.username, role=p.role))


@blp.route("/enrolments/<enrolment_id>/reviews", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(EnrolmentReviewSchema)
@blp.response(200, EnrolmentReply)
@requires("enrolments:write")
def review_enrolment(body, enrolment_id):
    """Annual income re-assessment (luan-2021 §三(六))."""
    return _enrolment_action(enrolment_id, "complete_review", body["completed_on"].isoformat(),
                             body["income_per_head"], note=body.get("note"))


@blp.route("/enrolments/<enrolment_id>/care-mode", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(CareModeSchema)
@blp.response(200, EnrolmentReply)
@requires("enrolments:write")
def change_care_mode(body, enrolment_id):
    """Change the care mode of an enrolment."""
    return _enrolment_action(enrolment_id, "change_care_mode", body["care_mode"],
                             body["on"].isoformat(), body["reason"])


@blp.route("/enrolments/<enrolment_id>/end", methods=["POST"])
@blp.doc(**IF_MATCH_DOC)
@blp.arguments(EndEnrolmentSchema)
@blp.response(200, EnrolmentReply)
@requires("enrolments:write")
def end_enrolment(body, enrolment_id):
    """End an enrolment (improved, voluntary exit, moved away, …)."""
    return _enrolment_action(enrolment_id, "end_enrolment", body["reason"],
                             body["on"].isoformat(), note=body.get("note"))


@blp.route("/policy-packs", methods=["GET"])
@blp.response(200, PackReply(many=True))
@requires("persons:read")
def list_packs():
    """The policy packs in force (jurisdiction, care modes, review chain, clauses)."""
    return rpc("eligibility", "list_packs")


@blp.route("/policy-packs/<pack_id>", methods=["GET"])
@blp.arguments(PackArgs, location="query")
@blp.response(200, PolicyPackReply)
@requires("persons:read")
def get_pack(args, pack_id):
    """A jurisdiction's whole policy: the eligibility pack with every rule, its
    clause and wording; funding's channels and parameters; the service catalogue;
    the admission rules — each part from the service that applies it."""
    pack = rpc("eligibility", "get_pack", pack_id, version=args.get("version"))
    county = pack["jurisdiction"][:6]
    return {**pack, "funding": rpc("funding", "funding_policy", pack["id"]),
            "service_items": rpc("services_log", "list_items", division_code=county),
            "admission": rpc("institutions", "admission_policy", county)}


@blp.route("/caseload-statistics", methods=["GET"])
@blp.arguments(CaseloadArgs, location="query")
@blp.response(200, CaseloadReply)
@requires("persons:read")
def caseload_statistics(args):
    """Caseload and pending work of a county, township or village for a month:
    registered, eligible, in care by hardship and care mode, entries and exits
    with their reasons, applications waiting at each stage, annual reviews due
    (`format=xlsx` or `csv`: the same figures, one per row)."""
    require_division(args["division_code"])
    stats = rpc("eligibility", "caseload_statistics", args["division_code"], args["month"])
    if args["format"] != "json":
        return exports.response(reports.caseload_table(
            stats, scope_label(args["division_code"]), g.principal.username), args["format"])
    return stats
