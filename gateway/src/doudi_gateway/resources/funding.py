"""Settlements, statements, donations, payouts, reconciliation (service ``funding``)."""

from __future__ import annotations

from doudi_common.errors import Forbidden, Invalid, NotFound
from flask import g

from doudi_gateway import exports, reports
from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    empty_page,
    every_page,
    page_from,
    scoped_division,
)
from doudi_gateway.resources.divisions import scope_label
from doudi_gateway.resources.jobs import job_url
from doudi_gateway.resources.persons import person_scope
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC
from doudi_gateway.schemas.funding import (
    _ACCOUNT_CODE,
    BalancesArgs,
    BalancesReply,
    CaregiverCaseReply,
    CaregiverCaseSchema,
    CaseSettlementPageReply,
    CostPlanReply,
    DibaoReply,
    DibaoSchema,
    DonationDetailReply,
    DonationListArgs,
    DonationPageReply,
    DonationReply,
    DonationSchema,
    FamilyReviewSchema,
    FundAccountReply,
    InstitutionStatementArgs,
    InstitutionStatementReply,
    LedgerArgs,
    LedgerReply,
    MonthArgs,
    PayoutArgs,
    PayoutPageReply,
    PersonStatementReply,
    PilotSchema,
    ReconciliationArgs,
    ReconciliationReply,
    ReversalSchema,
    SelfPayRatioSchema,
    SelfPayReply,
    SettlementListArgs,
    SettlementStatusReply,
    SettleSchema,
    SpendSchema,
    SummaryArgs,
    TopupSchema,
    TransactionReply,
)
from doudi_gateway.schemas.funding_summary import SummaryReply
from doudi_gateway.schemas.jobs import JobSchema
from doudi_gateway.web import (
    etag_of,
    idempotent,
    in_scope,
    mask,
    require_division,
    rpc,
    scope_read,
)

blp = Blueprint("funding", __name__, url_prefix="/api/v1/funding",
                description="结算、个人账户明细、捐赠、支付、对账 (funding)")


def _scope_or_404(division_code: str) -> None:
    if not in_scope(division_code):
        raise NotFound("未找到该区划的资金数据", resource="division")


def page_of_args(args: dict) -> dict:
    return {"page": args["page"], "per_page": args["per_page"]}


@blp.route("/settlements", methods=["GET"])
@blp.arguments(SettlementListArgs, location="query")
@blp.response(200, CaseSettlementPageReply)
@requires("funding:read")
def list_settlements(args):
    """Case settlements of a month inside the caller's jurisdiction (ID numbers
    masked); `format=xlsx` or `csv`: every line of the month as a spreadsheet."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)

    def fetch(page: int, per_page: int) -> dict:
        return rpc("funding", "list_settlements", args["month"], division_code=division,
                   institution_uscc=args.get("institution_uscc"), page=page, per_page=per_page)

    if args["format"] != "json":
        rows = mask(every_page(fetch))
        scope = args.get("institution_uscc") or scope_label(division)
        return exports.response(reports.lines_table(rows, scope, args["month"],
                                                     g.principal.username), args["format"])
    return mask(page_from(fetch(args["page"], args["per_page"]), args))


@blp.route("/settlements", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(SettleSchema)
@blp.response(202, JobSchema, description="结算已排队：Location 指向任务，完成后任务带结算结果",
              headers={"Location": {"description": "任务地址 /api/v1/jobs/{job_id}",
                                    "schema": {"type": "string"}}})
@requires("funding:write")
def settle_month(body):
    """Settle a county's month in the background (a second call for the same
    county and month returns the same job). Answers at once: 202 with the job;
    follow ``Location`` until its state is ``succeeded`` (result) or ``failed``
    (problem)."""
    require_division(body["division_code"])
    job = rpc("funding", "start_settlement", body["division_code"], body["month"],
              g.principal.username)
    return job, 202, {"Location": job_url(job["job_id"])}


@blp.route("/settlements/<division_code>/<month>", methods=["GET"])
@blp.response(200, SettlementStatusReply)
@requires("funding:read")
def settlement_status(division_code, month):
    """The settlement run of a county and month."""
    from doudi_common.ids import validate_division_code

    _scope_or_404(validate_division_code(division_code))
    return rpc("funding", "settlement_status", division_code, month)


@blp.route("/accounts/<id_number>/statement", methods=["GET"])
@blp.arguments(MonthArgs, location="query")
@blp.response(200, PersonStatementReply)
@requires("funding:read")
def person_statement(args, id_number):
    """A person's monthly statement: cost, channels, entries (ID masked)."""
    person = person_scope(id_number)
    return mask(rpc("funding", "person_statement", person["id_number"], args["month"]))


@blp.route("/donations", methods=["GET"])
@blp.arguments(DonationListArgs, location="query")
@blp.response(200, DonationPageReply)
@requires("donations:read")
def list_donations(args):
    """Donations received in a division."""
    division = scoped_division(args["division_code"])
    if division is NOTHING:
        return empty_page(args)
    return page_from(rpc("funding", "list_donations", division, **page_of_args(args)), args)


@blp.route("/donations", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(DonationSchema)
@blp.response(201, DonationReply)
@requires("donations:write")
def record_donation(body):
    """Record a donation; answers the receipt number."""
    require_division(body["division_code"])
    payload = {k: (v.isoformat() if k == "received_on" else v) for k, v in body.items()}
    return rpc("funding", "record_donation", **payload), 201


@blp.route("/payouts", methods=["GET"])
@blp.arguments(PayoutArgs, location="query")
@blp.response(200, PayoutPageReply)
@requires("funding:read")
def list_payouts(args):
    """Payouts of a month."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    reply = rpc("funding", "list_payouts", args["month"], division_code=division)
    items = sorted(reply.get("items", []), key=lambda p: str(p.get("payout_id")))
    if args["format"] != "json":
        return exports.response(reports.payouts_table(
            mask(items), scope_label(division), args["month"], g.principal.username),
            args["format"])
    start = (args["page"] - 1) * args["per_page"]
    return mask({"items": items[start:start + args["per_page"]], "page": args["page"],
                 "per_page": args["per_page"], "total": len(items)})


@blp.route("/reconciliation", methods=["GET"])
@blp.arguments(ReconciliationArgs, location="query")
@blp.response(200, ReconciliationReply)
@requires("funding:read")
def reconciliation(args):
    """Ledger checks: every transaction balances, channels add up."""
    _scope_or_404(args["division_code"])
    report = rpc("funding", "reconciliation", division_code=args["division_code"],
                 month=args.get("month"))
    if args["format"] != "json":
        return exports.response(reports.reconciliation_table(
            report, scope_label(args["division_code"]), args.get("month") or "全部",
            g.principal.username), args["format"])
    return report


@blp.route("/summary", methods=["GET"])
@blp.arguments(SummaryArgs, location="query")
@blp.response(200, SummaryReply)
@requires("funding:read")
def county_summary(args):
    """A county's totals by month or year (`format=csv` for a spreadsheet)."""
    _scope_or_404(args["division_code"])
    kwargs = {"month": args.get("month"), "year": args.get("year")}
    summary = rpc("funding", "county_summary", args["division_code"], **kwargs)
    if args["format"] != "json":
        return exports.response(reports.summary_table(summary, scope_label(args["division_code"]),
                                                      g.principal.username), args["format"])
    return summary


@blp.route("/institutions/<uscc>/statement", methods=["GET"])
@blp.arguments(InstitutionStatementArgs, location="query")
@blp.response(200, InstitutionStatementReply)
@requires("funding:read")
def institution_statement(args, uscc):
    """An institution's month: cases, channels, management fee, payouts (IDs masked)."""
    from doudi_gateway.resources.institutions import fetch_institution

    inst = fetch_institution(uscc)
    statement = mask(rpc("funding", "institution_statement", inst["uscc"], args["month"]))
    if args["format"] != "json":
        return exports.response(reports.statement_table(statement, inst["uscc"],
                                                        g.principal.username), args["format"])
    return statement


@blp.route("/balances", methods=["GET"])
@blp.arguments(BalancesArgs, location="query")
@blp.response(200, BalancesReply)
@requires("funding:read")
def fund_balances(args):
    """Balances of the division's fund accounts."""
    _scope_or_404(args["division_code"])
    return rpc("funding", "fund_balances", args["division_code"])


@blp.route("/accounts/<id_number>/family-reviews", methods=["POST"])
@blp.arguments(FamilyReviewSchema)
@blp.response(201, SelfPayReply)
@requires("funding:write")
def family_review(body, id_number):
    """Record the household income review that sets the self-pay ratio
    (luan-2021 §三(四), §三(六))."""
    person = person_scope(id_number, action=True)
    return mask(rpc("funding", "record_family_review", person["id_number"],
                    body["reviewed_on"].isoformat(), body["household_size"],
                    body["monthly_income"])), 201


# -- ledger, transactions, cost plans -------------------------------------------------


def _account_county(code: str) -> str | None:
    match = _ACCOUNT_CODE.match(code or "")
    return match.group(1) if match else None


def _ledger_account(code: str, action: bool = False) -> str:
    """The account's county must lie in the caller's jurisdiction (404 / 403)."""
    county = _account_county(code)
    if county is None or not in_scope(county):
        if action and county is not None:
            raise Forbidden("该账户不在您的辖区内", code="out_of_jurisdiction")
        raise NotFound("未找到该账户", resource="account")
    return code


def _transaction(txn_id: str, action: bool = False) -> dict:
    txn = rpc("funding", "get_transaction", txn_id)
    counties = {_account_county(e.get("account", "")) for e in txn.get("entries", [])}
    if not counties or not all(c is not None and in_scope(c) for c in counties):
        if action and counties and None not in counties:
            raise Forbidden("该交易不在您的辖区内", code="out_of_jurisdiction")
        raise NotFound("未找到该交易", resource="transaction")
    return txn


@blp.route("/ledger-accounts/<account_code>", methods=["GET"])
@blp.arguments(LedgerArgs, location="query")
@blp.response(200, LedgerReply)
@requires("funding:read")
def account_ledger(args, account_code):
    """One ledger account (`cash:341502`, `pilot:341502`, `topup:341502:cdpf`, …):
    balance and entries, oldest first (`page`, `per_page`)."""
    code = _ledger_account(account_code)
    reply = rpc("funding", "account_ledger", code, **page_of_args(args))
    return mask({**reply, "page": args["page"], "per_page": args["per_page"]})


@blp.route("/transactions/<txn_id>", methods=["GET"])
@blp.response(200, TransactionReply)
@requires("funding:read")
def get_transaction(txn_id):
    """One ledger transaction with its entries, cause and the event behind it."""
    txn = _transaction(txn_id)
    g.etag = etag_of(txn)
    return mask(txn)


@blp.route("/transactions/<txn_id>/reversal", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(ReversalSchema)
@blp.response(201, TransactionReply)
@requires("funding:write")
def reverse_transaction(body, txn_id):
    """Reverse a donation, funding or spending transaction by a correcting one (reason
    required). Settlement, adjustment and payout transactions are corrected by next
    month's adjustment instead (409)."""
    txn = _transaction(txn_id, action=True)
    return mask(rpc("funding", "reverse_transaction", txn["txn_id"], body["reason"])), 201


@blp.route("/cost-plans/<case_id>", methods=["GET"])
@blp.arguments(MonthArgs, location="query")
@blp.response(200, CostPlanReply)
@requires("funding:read")
def get_cost_plan(args, case_id):
    """The cost plan of a case in a month: care level, priced items, price segments,
    days and cost. A case is a placement (`PL-…`) or a neighbour-care case (`NB-…`)."""
    if case_id.startswith("NB-"):
        county = case_id.split("-")[1] if case_id.count("-") >= 2 else ""
        if not in_scope(county):
            raise NotFound("未找到该个案", resource="case")
    else:
        from doudi_gateway.resources.placements import fetch_placement

        fetch_placement(case_id)
    return rpc("funding", "get_cost_plan", case_id, args["month"])


@blp.route("/donations/<donation_id>", methods=["GET"])
@blp.response(200, DonationDetailReply)
@requires("donations:read")
def get_donation(donation_id):
    """One donation with what has been spent from it and what is left."""
    return scope_read(rpc("funding", "get_donation", donation_id), "捐赠")


# -- inputs the events do not carry --------------------------------------------------


@blp.route("/accounts/<id_number>/self-pay-ratios", methods=["POST"])
@blp.arguments(SelfPayRatioSchema)
@blp.response(201, SelfPayReply)
@requires("funding:write")
def set_self_pay_ratio(body, id_number):
    """Set a person's self-pay ratio by hand from a month (county override,
    luan-2021 §三(四)); months already settled are adjusted."""
    person = person_scope(id_number, action=True)
    return mask(rpc("funding", "set_self_pay_ratio", person["id_number"], body["ratio"],
                    body["from_month"], body["reason"])), 201


@blp.route("/accounts/<id_number>/dibao", methods=["POST"])
@blp.arguments(DibaoSchema)
@blp.response(201, DibaoReply)
@requires("funding:write")
def record_dibao(body, id_number):
    """Record a person's monthly minimum-living allowance (低保) for a period; it is
    counted among the person's own subsidies."""
    person = person_scope(id_number, action=True)
    return mask(rpc("funding", "record_dibao", person["id_number"], body["monthly_amount"],
                    body["from_month"], to_month=body.get("to_month"))), 201


@blp.route("/accounts/<id_number>/caregivers", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(CaregiverCaseSchema)
@blp.response(201, CaregiverCaseReply)
@requires("funding:write")
def register_caregiver(body, id_number):
    """Register the neighbour caregiver of a person (邻里照护, puyang-2020 §五):
    opens the neighbour-care case that caregiver subsidies are paid for."""
    person = person_scope(id_number, action=True)
    require_division(body["division_code"])
    if body["caregiver_id_number"] == person["id_number"]:
        raise Invalid("照护人不能是本人", field="caregiver_id_number", reason="caregiver_is_person")
    reply = rpc("funding", "register_caregiver", person["id_number"],
                body["caregiver_id_number"], body["division_code"],
                body["from_date"].isoformat(), enrolment_id=body.get("enrolment_id"))
    return mask(reply), 201


# -- fund accounts and spending --------------------------------------------------------


@blp.route("/topup-funds", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(TopupSchema)
@blp.response(201, FundAccountReply)
@requires("funding:write")
def fund_topup_account(body):
    """Money received from a department fund (CDPF, civil affairs, poverty office) for
    the county's top-up of centralised care (puyang-2020 §六)."""
    require_division(body["division_code"])
    return rpc("funding", "fund_topup_account", body["division_code"], body["source"],
               body["amount"], body["received_on"].isoformat(), memo=body["memo"]), 201


@blp.route("/pilot-funds", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(PilotSchema)
@blp.response(201, FundAccountReply)
@requires("funding:write")
def fund_pilot_account(body):
    """Money received into the county's pilot fund, restricted to its purposes
    (专款专用, qingyunpu-2021 §六(二))."""
    require_division(body["division_code"])
    return rpc("funding", "fund_pilot_account", body["division_code"], body["amount"],
               body["received_on"].isoformat(), body["source"],
               purposes=body["purposes"]), 201


@blp.route("/ledger-accounts/<account_code>/spendings", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(SpendSchema)
@blp.response(201, TransactionReply)
@requires("funding:write")
def spend_from_account(body, account_code):
    """Spend from a fund account (pilot, donations, top-up) to a provider, institution
    or caregiver; a payout follows at once. A restricted account refuses other
    purposes (403 `off_purpose`); 409 `insufficient_funds`."""
    code = _ledger_account(account_code, action=True)
    return mask(rpc("funding", "spend_from_account", code, body["purpose"], body["amount"],
                    body["payee_kind"], body["payee"], body["month"], memo=body["memo"])), 201
