"""Watching over persons at home: visit schedules, visits and overdue visits,
alerts (爱心门铃) raised, acknowledged and resolved (service ``services_log``)."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import NOTHING, empty_page, jsonable, page_from, scoped_division
from doudi_gateway.resources.persons import fetch_person
from doudi_gateway.schemas.care_watch import (
    AlertListArgs,
    AlertPageReply,
    AlertReply,
    AlertSchema,
    ResolveSchema,
    SchedulePageReply,
    ScheduleSchema,
    VisitListArgs,
    VisitPageReply,
    VisitReply,
    VisitScheduleReply,
    VisitSchema,
)
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC
from doudi_gateway.schemas.services_log import (
    DivisionPageArgs,
)
from doudi_gateway.web import idempotent, mask, rpc, scope_action

blp = Blueprint("care_watch", __name__, url_prefix="/api/v1",
                description="探访与爱心门铃警报 (services_log)")


def _alert(alert_id: str) -> dict:
    return scope_action(rpc("services_log", "get_alert", alert_id), "预警")


@blp.route("/visits", methods=["GET"])
@blp.arguments(VisitListArgs, location="query")
@blp.response(200, VisitPageReply)
@requires("services:read")
def list_visits(args):
    """A person's visits."""
    person = fetch_person(args["id_number"])
    return mask(page_from(rpc("services_log", "list_visits", id_number=person["id_number"],
                          page=args["page"], per_page=args["per_page"]), args))


@blp.route("/visits", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(VisitSchema)
@blp.response(201, VisitReply)
@requires("services:write")
def record_visit(body):
    """Record a visit."""
    fetch_person(body["id_number"], action=True)
    return mask(rpc("services_log", "record_visit", **jsonable(body),
                    by=g.principal.username)), 201


@blp.route("/alerts", methods=["GET"])
@blp.arguments(AlertListArgs, location="query")
@blp.response(200, AlertPageReply)
@requires("services:read")
def list_alerts(args):
    """Alerts (爱心门铃) in the caller's jurisdiction."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return mask(page_from(rpc("services_log", "list_alerts", division_code=division or "",
                          status=args.get("status"), page=args["page"],
                          per_page=args["per_page"]), args))


@blp.route("/alerts", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(AlertSchema)
@blp.response(201, AlertReply)
@requires("services:write")
def raise_alert(body):
    """Raise an alert."""
    fetch_person(body["id_number"], action=True)
    return mask(rpc("services_log", "raise_alert", **jsonable(body),
                    raised_by=g.principal.username)), 201


@blp.route("/alerts/<alert_id>/acknowledgement", methods=["POST"])
@blp.response(200, AlertReply)
@requires("alerts:write")
def acknowledge_alert(alert_id):
    """Acknowledge an alert (stops escalation)."""
    alert = _alert(alert_id)
    return mask(rpc("services_log", "acknowledge_alert", alert["alert_id"],
                    by=g.principal.username))


@blp.route("/alerts/<alert_id>/resolution", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, AlertReply)
@requires("alerts:write")
def resolve_alert(body, alert_id):
    """Resolve an alert."""
    alert = _alert(alert_id)
    return mask(rpc("services_log", "resolve_alert", alert["alert_id"],
                    resolution=body["resolution"], by=g.principal.username))


@blp.route("/visit-schedules", methods=["POST"])
@blp.arguments(ScheduleSchema)
@blp.response(200, VisitScheduleReply)
@requires("services:write")
def set_visit_schedule(body):
    """Set how often a person is visited (lanzhou-2021 §四(三)3)."""
    person = fetch_person(body["id_number"], action=True)
    return mask(rpc("services_log", "set_visit_schedule", person["id_number"],
                    body["every_days"], body["kind"], g.principal.username,
                    division_code=person.get("division_code"),
                    start_on=body["start_on"].isoformat() if body.get("start_on") else None))


@blp.route("/visits/overdue", methods=["GET"])
@blp.arguments(DivisionPageArgs, location="query")
@blp.response(200, SchedulePageReply)
@requires("services:read")
def overdue_visits(args):
    """Persons whose visit is overdue."""
    division = scoped_division(args.get("division_code"))
    if division is NOTHING:
        return empty_page(args)
    return mask(page_from(rpc("services_log", "list_overdue_visits", division_code=division or "",
                          page=args["page"], per_page=args["per_page"]), args))
