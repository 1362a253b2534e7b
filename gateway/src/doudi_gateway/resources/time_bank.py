"""The volunteer time bank: balances, transfers within a family, redemptions
(service ``services_log``)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import page_from
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.fields import PageArgs
from doudi_gateway.schemas.time_bank import (
    RedeemSchema,
    TimeBalanceReply,
    TimeBankReply,
    TimeTransferReply,
    TimeTransferSchema,
)
from doudi_gateway.web import mask, rpc

blp = Blueprint("time_bank", __name__, url_prefix="/api/v1",
                description="志愿服务时间银行 (services_log)")


@blp.route("/time-bank/<id_number>", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, TimeBankReply)
@requires("services:read")
def time_bank(args, id_number):
    """A volunteer's time-bank balance and history (lanzhou-2021 §四(五)3)."""
    person = fetch_person(id_number)
    balance = rpc("services_log", "time_bank_balance", id_number=person["id_number"])
    history = rpc("services_log", "time_bank_history", id_number=person["id_number"],
                  page=args["page"], per_page=args["per_page"])
    return mask({**balance, "history": page_from(history, args)})


@blp.route("/time-bank/<id_number>/transfers", methods=["POST"])
@blp.arguments(TimeTransferSchema)
@blp.response(200, TimeTransferReply)
@requires("services:write")
def transfer_time(body, id_number):
    """Transfer time-bank minutes to a family member."""
    giver = fetch_person(id_number, action=True)
    fetch_person(body["to_id_number"], action=True)
    return mask(rpc("services_log", "transfer_time", giver["id_number"], body["to_id_number"],
                    body["minutes"], body["relation"], g.principal.username))


@blp.route("/time-bank/<id_number>/redemptions", methods=["POST"])
@blp.arguments(RedeemSchema)
@blp.response(200, TimeBalanceReply)
@requires("services:write")
def redeem_time(body, id_number):
    """Redeem time-bank minutes for services."""
    person = fetch_person(id_number, action=True)
    return mask(rpc("services_log", "redeem_time", person["id_number"], body["minutes"],
                    g.principal.username, service_item=body.get("service_item"),
                    note=body.get("note")))
