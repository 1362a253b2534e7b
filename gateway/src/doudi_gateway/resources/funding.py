"""Settlements, statements, donations, payouts, reconciliation (service ``funding``)."""

from __future__ import annotations

from doudi_common.errors import NotFound
from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    IDEMPOTENCY_DOC,
    NOTHING,
    Division,
    Loose,
    LoosePage,
    Money,
    Month,
    PageArgs,
    Text,
    Uscc,
    empty_page,
    offset_args,
    scoped_division,
)
from doudi_gateway.resources.persons import person_scope
from doudi_gateway.web import idempotent, in_scope, mask, require_division, rpc

blp = Blueprint("funding", __name__, url_prefix="/api/v1/funding",
                description="结算、个人账户明细、捐赠、支付、对账 (funding)")


class SettlementListArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()
    institution_uscc = Uscc()


class SettleSchema(Schema):
    division_code = Division((6,), required=True)
    month = Month(required=True)


class MonthArgs(Schema):
    month = Month(required=True)


class DonationListArgs(PageArgs):
    division_code = Division(required=True)


class DonationSchema(Schema):
    division_code = Division(required=True)
    amount = Money(required=True)
    received_on = fields.Date(required=True)
    donor_name = Text(128)
    donor_uscc = Uscc()
    earmark = fields.String(load_default="county",
                            validate=validate.OneOf(["county", "institution", "centralized"]))
    institution_uscc = Uscc()


class PayoutArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()


class ReconciliationArgs(Schema):
    division_code = Division(required=True)
    month = Month()


class SummaryArgs(Schema):
    division_code = Division(required=True)
    month = Month()
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


def _scope_or_404(division_code: str) -> None:
    if not in_scope(division_code):
        raise NotFound("未找到该区划的资金数据", resource="division")


def _page(reply: dict, args: dict) -> dict:
    return {"items": reply.get("items", []), "page": args["page"], "per_page": args["per_page"],
            "total": reply.get("total", len(reply.get("items", [])))}


@blp.route("/settlements", methods=["GET"])
@blp.arguments(SettlementListArgs, location="query")
@blp.response(200, LoosePage)
@requires("funding:read")
def list_settlements(args):
    """Case settlements of a month inside the caller's jurisdiction."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    reply = rpc("funding", "list_settlements", args["month"], division_code=division,
                institution_uscc=args.get("institution_uscc"), **offset_args(args))
    return mask(_page(reply, args))


@blp.route("/settlements", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(SettleSchema)
@blp.response(200, Loose)
@requires("funding:write")
def settle_month(body):
    """Settle a county's month over the channels in order (a second call returns
    the same run)."""
    require_division(body["division_code"])
    return rpc("funding", "settle_month", body["division_code"], body["month"])


@blp.route("/settlements/<division_code>/<month>", methods=["GET"])
@blp.response(200, Loose)
@requires("funding:read")
def settlement_status(division_code, month):
    """The settlement run of a county and month."""
    from doudi_common.ids import validate_division_code

    _scope_or_404(validate_division_code(division_code))
    return rpc("funding", "settlement_status", division_code, month)


@blp.route("/accounts/<id_number>/statement", methods=["GET"])
@blp.arguments(MonthArgs, location="query")
@blp.response(200, Loose)
@requires("funding:read")
def person_statement(args, id_number):
    """A person's monthly statement: cost, channels, entries (ID masked)."""
    person = person_scope(id_number)
    return mask(rpc("funding", "person_statement", person["id_number"], args["month"]))


@blp.route("/donations", methods=["GET"])
@blp.arguments(DonationListArgs, location="query")
@blp.response(200, LoosePage)
@requires("donations:read")
def list_donations(args):
    """Donations received in a division."""
    division = scoped_division(args["division_code"])
    if division is NOTHING:
        return empty_page(args)
    return _page(rpc("funding", "list_donations", division, **offset_args(args)), args)


@blp.route("/donations", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(DonationSchema)
@blp.response(201, Loose)
@requires("donations:write")
def record_donation(body):
    """Record a donation; answers the receipt number."""
    require_division(body["division_code"])
    payload = {k: (v.isoformat() if k == "received_on" else v) for k, v in body.items()}
    return rpc("funding", "record_donation", **payload), 201


@blp.route("/payouts", methods=["GET"])
@blp.arguments(PayoutArgs, location="query")
@blp.response(200, LoosePage)
@requires("funding:read")
def list_payouts(args):
    """Payouts of a month."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    reply = rpc("funding", "list_payouts", args["month"], division_code=division)
    items = sorted(reply.get("items", []), key=lambda p: str(p.get("payout_id")))
    start = (args["page"] - 1) * args["per_page"]
    return mask({"items": items[start:start + args["per_page"]], "page": args["page"],
                 "per_page": args["per_page"], "total": len(items)})


@blp.route("/reconciliation", methods=["GET"])
@blp.arguments(ReconciliationArgs, location="query")
@blp.response(200, Loose)
@requires("funding:read")
def reconciliation(args):
    """Ledger checks: every transaction balances, channels add up."""
    _scope_or_404(args["division_code"])
    return rpc("funding", "reconciliation", division_code=args["division_code"],
               month=args.get("month"))


@blp.route("/summary", methods=["GET"])
@blp.arguments(SummaryArgs, location="query")
@blp.response(200, Loose)
@requires("funding:read")
def county_summary(args):
    """A county's totals by month or year (`format=csv` for a spreadsheet)."""
    _scope_or_404(args["division_code"])
    kwargs = {"month": args.get("month"), "year": args.get("year")}
    if args["format"] == "csv":
        reply = rpc("funding", "county_summary_csv", args["division_code"], **kwargs)
        return Response(reply["csv"], content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{reply.get("filename", "summary.csv")}"'})
    return rpc("funding", "county_summary", args["division_code"], **kwargs)


class InstitutionStatementArgs(Schema):
    month = Month(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


@blp.route("/institutions/<uscc>/statement", methods=["GET"])
@blp.arguments(InstitutionStatementArgs, location="query")
@blp.response(200, Loose)
@requires("funding:read")
def institution_statement(args, uscc):
    """An institution's month: cases, channels, management fee, payouts (IDs masked)."""
    from doudi_gateway.resources.institutions import fetch_institution

    inst = fetch_institution(uscc)
    if args["format"] == "csv":
        reply = rpc("funding", "institution_statement_csv", inst["uscc"], args["month"])
        return Response(mask_csv(reply["csv"]), content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{reply.get("filename", "statement.csv")}"'})
    return mask(rpc("funding", "institution_statement", inst["uscc"], args["month"]))


def mask_csv(text: str) -> str:
    from doudi_common.ids import mask_in_text

    return mask_in_text(text)


class BalancesArgs(Schema):
    division_code = Division(required=True)


@blp.route("/balances", methods=["GET"])
@blp.arguments(BalancesArgs, location="query")
@blp.response(200, Loose)
@requires("funding:read")
def fund_balances(args):
    """Balances of the division's fund accounts."""
    _scope_or_404(args["division_code"])
    return rpc("funding", "fund_balances", args["division_code"])


class FamilyReviewSchema(Schema):
    reviewed_on = fields.Date(required=True)
    household_size = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    monthly_income = Money(required=True)


@blp.route("/accounts/<id_number>/family-reviews", methods=["POST"])
@blp.arguments(FamilyReviewSchema)
@blp.response(201, Loose)
@requires("funding:write")
def family_review(body, id_number):
    """Record the household income review that sets the self-pay ratio
    (luan-2021 §三(四), §三(六))."""
    person = person_scope(id_number, action=True)
    return mask(rpc("funding", "record_family_review", person["id_number"],
                    body["reviewed_on"].isoformat(), body["household_size"],
                    body["monthly_income"])), 201
