"""Persons, their facts, eligibility and enrolments (service ``eligibility``)."""

from __future__ import annotations

import contextlib

from doudi_common.errors import NotFound
from flask import current_app, g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    empty_page,
    page_from,
    path_id_number,
    scoped_division,
)
from doudi_gateway.schemas.persons import (
    _SCOPES,
    EligibilityReply,
    EndHardshipSchema,
    EnrolmentReply,
    OnArgs,
    PersonListArgs,
    PersonPageReply,
    PersonReply,
    RegisterPersonSchema,
)
from doudi_gateway.web import (
    audit_full_read,
    can_see_full,
    etag_of,
    mask,
    require_division,
    rpc,
    scope_action,
    scope_read,
    with_ref,
)

blp = Blueprint("persons", __name__, url_prefix="/api/v1/persons",
                description="人员、事实记录、资格判定 (eligibility)")


def _jsonable(data: dict) -> dict:
    from doudi_common.serialize import to_jsonable

    return to_jsonable(data)


def fetch_person(id_number: str, action: bool = False, residents_only: bool = True) -> dict:
    """The person if inside the caller's jurisdiction, else 404 (reads) or 403
    (``action``: the caller wants to act on them)."""
    person = rpc("eligibility", "get_person", path_id_number(id_number))
    ttl = float(current_app.config["DOUDI"].get("PERSON_SCOPE_TTL", 10))
    if ttl > 0 and person.get("id_number"):
        _SCOPES.put(person["id_number"], person.get("division_code") or "", ttl)
    if residents_only:
        _resident_only(person["id_number"], action)
    return scope_action(person, "人员") if action else scope_read(person, "人员")


def _resident_only(id_number: str, action: bool) -> None:
    """Institution staff see only people placed (now or before) in their institution."""
    p = g.principal
    if p.role != "institution_staff":
        return
    placed = rpc("institutions", "list_placements", uscc=p.institution_id,
                 id_number=id_number, page=1, per_page=1)
    if not placed.get("total", len(placed.get("items", []))):
        if action:
            from doudi_common.errors import Forbidden

            raise Forbidden("该人员不在本机构", code="not_a_resident")
        raise NotFound("未找到该人员", resource="人员")


def person_scope(id_number: str, action: bool = False) -> dict:
    """``{"id_number", "division_code"}`` of a person inside the caller's scope
    (404 on reads, 403 on actions), from the short cache when possible."""
    id_number = path_id_number(id_number)
    ttl = float(current_app.config["DOUDI"].get("PERSON_SCOPE_TTL", 10))
    division = _SCOPES.get(id_number, ttl) if ttl > 0 else None
    if division is None:
        person = rpc("eligibility", "get_person", id_number)
        division = person.get("division_code") or ""
        if ttl > 0:
            _SCOPES.put(id_number, division, ttl)
    item = {"id_number": id_number, "division_code": division}
    _resident_only(id_number, action)
    return scope_action(item, "人员") if action else scope_read(item, "人员")


def present_person(person: dict) -> dict:
    if can_see_full():
        audit_full_read(person.get("id_number_masked"), person.get("id_number"))
        return with_ref(person)
    return mask(person)


@blp.route("", methods=["POST"])
@blp.arguments(RegisterPersonSchema)
@blp.response(200, PersonReply)
@requires("persons:write")
def register_person(body):
    """Register a person or update their household and hardship facts (idempotent
    on the ID number)."""
    require_division(body["division_code"])
    # updating someone who lives elsewhere would move them into our jurisdiction
    with contextlib.suppress(NotFound):
        fetch_person(body["id_number"], action=True)
    person = rpc("eligibility", "register_person",
                 {**_jsonable(body), "actor": g.principal.username})
    return present_person(person)


@blp.route("/<id_number>", methods=["GET"])
@blp.response(200, PersonReply)
@requires("persons:read")
def get_person(id_number):
    """A person with their full fact history and last decision. ID and phone
    numbers are masked unless the role may see them (such reads are audited)."""
    person = fetch_person(id_number)
    g.etag = etag_of(person)
    return present_person(person)


@blp.route("/<id_number>/eligibility", methods=["GET"])
@blp.arguments(OnArgs, location="query")
@blp.response(200, EligibilityReply)
@requires("persons:read")
def eligibility(args, id_number):
    """Who qualifies for which care on a date, with the facts, rules and clauses."""
    person = person_scope(id_number)
    on, known_at = args.get("on"), args.get("known_at")
    return rpc("eligibility", "evaluate", person["id_number"],
               on.isoformat() if on else None,
               known_at=known_at.isoformat() if known_at else None)


@blp.route("", methods=["GET"])
@blp.arguments(PersonListArgs, location="query")
@blp.response(200, PersonPageReply)
@requires("persons:read")
def list_persons(args):
    """Persons inside the caller's jurisdiction with their last decision (masked)."""
    from doudi_common.ids import division_prefix

    division = scoped_division(args.get("division_code"))
    if division is NOTHING or g.principal.role == "institution_staff":
        return empty_page(args)  # staff reach their residents through placements
    reply = rpc("eligibility", "list_persons",
                division_prefix=division_prefix(division) if division else None,
                eligible=args.get("eligible"), name=args.get("name"),
                hardship=args.get("hardship"), care_mode=args.get("care_mode"),
                enrolled=args.get("enrolled"), alive=args.get("alive"), page=args["page"],
                per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/<id_number>/hardship-ended", methods=["POST"])
@blp.arguments(EndHardshipSchema)
@blp.response(200, PersonReply)
@requires("persons:write")
def end_hardship(body, id_number):
    """Record that a hardship status ended (a new dated fact)."""
    person = fetch_person(id_number, action=True)
    return present_person(rpc("eligibility", "end_hardship", person["id_number"],
                              body["status"], body["ended_on"].isoformat(),
                              reason=body.get("reason")))


@blp.route("/<id_number>/enrolments", methods=["GET"])
@blp.response(200, EnrolmentReply(many=True))
@requires("enrolments:read")
def person_enrolments(id_number):
    """A person's enrolments (care mode, status, review dates, history)."""
    person = person_scope(id_number)
    return rpc("eligibility", "person_enrolments", person["id_number"])
