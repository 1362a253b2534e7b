"""Service cards, service records, visits, alerts, time bank (``services_log``)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import NOTHING, empty_page, jsonable, page_from, scoped_division
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC
from doudi_gateway.schemas.services_log import (
    BatchReply,
    CardChangeSchema,
    CardDetailReply,
    CardDocumentSchema,
    CardEndSchema,
    CardListArgs,
    CardPageReply,
    CardReasonSchema,
    CardReply,
    CorrectionReply,
    CorrectionSchema,
    IssueCardSchema,
    ItemPriceSchema,
    ItemsArgs,
    MonthCloseArgs,
    MonthCloseListArgs,
    MonthClosePageReply,
    MonthCloseReply,
    MonthCloseSchema,
    RecordBatchSchema,
    RecordListArgs,
    RecordPageReply,
    RecordReply,
    RecordSchema,
    ServiceItemReply,
    StatisticsArgs,
    StatisticsReply,
    VerifySchema,
)
from doudi_gateway.web import idempotent, in_scope, mask, rpc, scope_action, scope_read

blp = Blueprint("services_log", __name__, url_prefix="/api/v1",
                description="服务卡、服务记录、走访、预警、时间银行 (services_log)")


# -- service cards ---------------------------------------------------------------

@blp.route("/service-cards", methods=["GET"])
@blp.arguments(CardListArgs, location="query")
@blp.response(200, CardPageReply)
@requires("services:read")
def list_cards(args):
    """Service cards in the caller's jurisdiction, by service number."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return mask(page_from(rpc("services_log", "list_cards", division_code=division or "",
                          status=args.get("status"), page=args["page"],
                          per_page=args["per_page"]), args))


@blp.route("/service-cards", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(IssueCardSchema)
@blp.response(201, CardReply)
@requires("cards:write")
def issue_card(body):
    """Issue a person's service card after the needs assessment (qingyunpu-2021 §五)."""
    person = fetch_person(body["id_number"], action=True)
    card = rpc("services_log", "issue_card", **jsonable(body), by=g.principal.username,
               division_code=person.get("division_code"), name=person.get("name"))
    return mask(card), 201


@blp.route("/service-cards/<id_number>", methods=["GET"])
@blp.response(200, CardDetailReply)
@requires("services:read")
def get_card(id_number):
    """A person's service card with its history."""
    person = fetch_person(id_number)
    return mask(scope_read(rpc("services_log", "get_card", person["id_number"]), "服务卡"))


# -- service records ---------------------------------------------------------------

@blp.route("/services", methods=["GET"])
@blp.arguments(RecordListArgs, location="query")
@blp.response(200, RecordPageReply)
@requires("services:read")
def list_records(args):
    """Service records (ID numbers masked)."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    provider_uscc = g.principal.institution_id if g.principal.role == "institution_staff" \
        else None
    return mask(page_from(rpc("services_log", "list_records", id_number=args.get("id_number"),
                          provider_uscc=provider_uscc, month=args.get("month"),
                          division_code=division, status=args.get("status"),
                          service_item=args.get("service_item"), counted=args["counted"],
                          page=args["page"], per_page=args["per_page"]), args))


@blp.route("/services", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RecordSchema)
@blp.response(201, RecordReply)
@requires("services:write")
def record_service(body):
    """Record a delivered service against the person's card."""
    fetch_person(body["id_number"], action=True)
    if g.principal.role == "institution_staff" and \
            body["provider"].get("uscc") != g.principal.institution_id:
        from doudi_common.errors import Forbidden

        raise Forbidden("机构工作人员只能记录本机构的服务", field="provider.uscc")
    record = rpc("services_log", "record_service", **jsonable(body),
                 recorded_by=g.principal.username)
    return mask(record), 201


def fetch_record(record_id: str, action: bool = False) -> dict:
    record = rpc("services_log", "get_record", record_id)
    return scope_action(record, "服务记录") if action else scope_read(record, "服务记录")


@blp.route("/services/<record_id>", methods=["GET"])
@blp.response(200, RecordReply)
@requires("services:read")
def get_record(record_id):
    """One service record."""
    return mask(fetch_record(record_id))


@blp.route("/services/<record_id>/verification", methods=["POST"])
@blp.arguments(VerifySchema)
@blp.response(200, RecordReply)
@requires("services:write")
def verify_record(body, record_id):
    """Verify a service record (the person or township staff)."""
    record = fetch_record(record_id, action=True)
    return mask(rpc("services_log", "verify_record", record["record_id"],
                    verified_by=g.principal.username, verifier_role=body["verifier_role"],
                    note=body.get("note")))


# -- visits ------------------------------------------------------------------------


# -- alerts ------------------------------------------------------------------------


# -- time bank ---------------------------------------------------------------------


# -- month close ---------------------------------------------------------------------


@blp.route("/month-closes", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(MonthCloseSchema)
@blp.response(201, MonthCloseReply)
@requires("services:close_month")
def close_month(body):
    """Close a township's (or an institution's) month: verified records are
    counted and locked; funding settles from it."""
    from doudi_gateway.web import require_division

    require_division(body["division_code"])
    return mask(rpc("services_log", "close_month", body["month"], g.principal.username,
                    division_code=body["division_code"],
                    institution_uscc=body.get("institution_uscc"))), 201


@blp.route("/month-closes", methods=["GET"])
@blp.arguments(MonthCloseListArgs, location="query")
@blp.response(200, MonthClosePageReply)
@requires("services:read")
def list_month_closes(args):
    """Month closes in the caller's jurisdiction."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return mask(page_from(rpc("services_log", "list_month_closes", division_code=division or "",
                          page=args["page"], per_page=args["per_page"]), args))


# -- card lifecycle, corrections, visit schedules, time bank, statistics ----------------


def _card_action(id_number: str, method: str, **kwargs) -> dict:
    person = fetch_person(id_number, action=True)
    return mask(rpc("services_log", method, person["id_number"], by=g.principal.username,
                    **kwargs))


@blp.route("/service-cards/<id_number>/change", methods=["POST"])
@blp.arguments(CardChangeSchema)
@blp.response(200, CardReply)
@requires("cards:write")
def change_card(body, id_number):
    """Change a card's items or providers (reactivates a suspended card)."""
    return _card_action(id_number, "change_card", **jsonable(body))


@blp.route("/service-cards/<id_number>/suspension", methods=["POST"])
@blp.arguments(CardReasonSchema)
@blp.response(200, CardReply)
@requires("cards:write")
def suspend_card(body, id_number):
    """Suspend a service card."""
    return _card_action(id_number, "suspend_card", reason=body["reason"])


@blp.route("/service-cards/<id_number>/resumption", methods=["POST"])
@blp.response(200, CardReply)
@requires("cards:write")
def resume_card(id_number):
    """Resume a suspended service card."""
    return _card_action(id_number, "resume_card")


@blp.route("/service-cards/<id_number>/end", methods=["POST"])
@blp.arguments(CardEndSchema)
@blp.response(200, CardReply)
@requires("cards:write")
def end_card(body, id_number):
    """End a service card."""
    return _card_action(id_number, "end_card", ended_on=body["ended_on"].isoformat(),
                        reason=body["reason"])


@blp.route("/services/<record_id>/corrections", methods=["POST"])
@blp.arguments(CorrectionSchema)
@blp.response(201, CorrectionReply)
@requires("services:write")
def correct_record(body, record_id):
    """Correct a record: the original is kept (superseded), the correction is new;
    in a closed month a reversal and the correction go into the open month."""
    record = fetch_record(record_id, action=True)
    return mask(rpc("services_log", "correct_record", record["record_id"],
                    changes=jsonable(body["changes"]), reason=body["reason"],
                    corrected_by=g.principal.username)), 201


@blp.route("/service-statistics", methods=["GET"])
@blp.arguments(StatisticsArgs, location="query")
@blp.response(200, StatisticsReply)
@requires("services:read")
def monthly_statistics(args):
    """A month's records, persons served, minutes, amounts, visits and alerts
    (`format=xlsx` or `csv`: the same figures, one per row)."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        from doudi_common.errors import NotFound

        raise NotFound("未找到该区划的统计", resource="division")
    stats = rpc("services_log", "monthly_statistics", args["month"], division)
    if args["format"] != "json":
        from doudi_gateway import exports, reports
        from doudi_gateway.resources.divisions import scope_label

        return exports.response(reports.services_table(
            stats, scope_label(args["division_code"]), g.principal.username), args["format"])
    return stats


@blp.route("/service-items", methods=["GET"])
@blp.arguments(ItemsArgs, location="query")
@blp.response(200, ServiceItemReply(many=True))
@requires("services:read")
def list_items(args):
    """The service items (and unit prices) of the jurisdiction's pack."""
    return rpc("services_log", "list_items",
               division_code=args.get("division_code") or g.principal.jurisdiction or None)


# -- card documents, batch recording, item prices, one month close -----------------------


@blp.route("/service-cards/<id_number>/documents", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(CardDocumentSchema)
@blp.response(201, CardDetailReply)
@requires("cards:write")
def add_card_document(body, id_number):
    """Put a document into the person's file (一人一档, qingyunpu-2021 §五3): ID card,
    household register, proofs, needs form, service-received form."""
    return _card_action(id_number, "add_card_document", kind=body["kind"], ref=body["ref"],
                        note=body.get("note")), 201


@blp.route("/services/batch", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(RecordBatchSchema)
@blp.response(201, BatchReply)
@requires("services:write")
def record_services(body):
    """Record many delivered services at once (a provider's upload): every record is
    checked against the cards and the others, then all are stored — or none, and the
    refusal names the record (`fields.index`)."""
    from doudi_common.errors import Forbidden

    from doudi_gateway.resources.persons import person_scope

    records = body["records"]
    p = g.principal
    for index, record in enumerate(records):
        if p.role == "institution_staff" and record["provider"].get("uscc") != p.institution_id:
            raise Forbidden("机构工作人员只能记录本机构的服务", field="provider.uscc",
                            index=index)
    for id_number in dict.fromkeys(r["id_number"] for r in records):
        person_scope(id_number, action=True)
    payload = [{**jsonable(r), "recorded_by": p.username} for r in records]
    return mask(rpc("services_log", "record_services", payload)), 201


@blp.route("/service-items/<jurisdiction>/<code>/price", methods=["PUT"])
@blp.arguments(ItemPriceSchema)
@blp.response(200, ServiceItemReply)
@requires("services:price")
def set_item_price(body, jurisdiction, code):
    """Set (or clear) the unit price of a service item of a pack's jurisdiction
    (`360104` qingyunpu-2021, `620100` lanzhou-2021); records paid per record are
    priced from it."""
    from doudi_gateway.web import require_division

    require_division(jurisdiction)
    return rpc("services_log", "set_item_price", jurisdiction, code, body["unit_price"],
               g.principal.username)


@blp.route("/month-closes/<month>", methods=["GET"])
@blp.arguments(MonthCloseArgs, location="query")
@blp.response(200, MonthCloseReply)
@requires("services:read")
def get_month_close(args, month):
    """One month close of a township (`division_code`) or an institution
    (`institution_uscc`): counts, providers and lines (ID numbers masked)."""
    import re

    from flask_smorest import abort

    from doudi_gateway.schemas.fields import MONTH_PATTERN

    if not re.match(MONTH_PATTERN, month):
        abort(422, messages={"path": {"month": ["月份格式应为 YYYY-MM"]}})
    if args.get("division_code") and not in_scope(args["division_code"]):
        from doudi_common.errors import NotFound

        raise NotFound("未找到该月结", resource="月结")
    close = rpc("services_log", "get_month_close", month,
                division_code=args.get("division_code"),
                institution_uscc=args.get("institution_uscc"))
    institution_key = "institution_uscc" if args.get("institution_uscc") else None
    return mask(scope_read(close, "月结", institution_key=institution_key))
