"""Persons, their facts, eligibility and enrolments (service ``eligibility``)."""

from __future__ import annotations

import threading
import time

from doudi_common.errors import NotFound
from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import (
    NOTHING,
    Division,
    IdNumber,
    Loose,
    LoosePage,
    Money,
    PageArgs,
    Text,
    empty_page,
    page_from,
    path_id_number,
    scoped_division,
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
)

blp = Blueprint("persons", __name__, url_prefix="/api/v1/persons",
                description="人员、事实记录、资格判定 (eligibility)")

HARDSHIP = ["tekun", "dibao", "low_income", "registered_poor", "expenditure_poor", "fp_special",
            "orphan", "unsupported_child", "child_in_difficulty", "stranded"]


class PersonSchema(Loose):
    id_number = fields.String(metadata={"description": "完整或脱敏（视角色而定）"})
    id_number_masked = fields.String()
    name = fields.String()
    division_code = fields.String()
    facts = fields.List(fields.Dict())


class MemberSchema(Schema):
    name = Text(64, required=True)
    relationship = fields.String(required=True, validate=validate.OneOf(
        ["spouse", "child", "parent", "sibling", "other"]))
    id_number = IdNumber()


class HouseholdSchema(Schema):
    members = fields.List(fields.Nested(MemberSchema))
    income_per_head = Money()
    income_group = fields.String(allow_none=True, validate=validate.OneOf(
        ["low", "lower_middle", "middle", "upper_middle", "high"]))
    assets = fields.Dict(keys=fields.String(), values=fields.Boolean())
    lives_alone = fields.Boolean()
    no_spouse_or_children = fields.Boolean()
    no_supporter = fields.Boolean()
    no_close_relatives = fields.Boolean()
    depends_on_relatives = fields.Boolean()
    guardian_unable = fields.Boolean()
    no_work_ability = fields.Boolean()
    no_stable_income = fields.Boolean()
    serious_illness = fields.Boolean()
    needs_long_term_care = fields.Boolean()
    health_stable = fields.Boolean()
    valid_from = fields.Date()


class HardshipSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(HARDSHIP))
    source = Text(64, load_default="civil_affairs")
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True)


class RegisterPersonSchema(Schema):
    id_number = IdNumber(required=True)
    name = Text(64, required=True)
    division_code = Division((12,), required=True)
    registration = fields.String(required=True, validate=validate.OneOf(["rural", "urban"]))
    birth_date = fields.Date()
    sex = fields.String(validate=validate.OneOf(["male", "female"]))
    household = fields.Nested(HouseholdSchema)
    hardship = fields.List(fields.Nested(HardshipSchema))


class EndHardshipSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(HARDSHIP))
    ended_on = fields.Date(required=True)
    reason = Text(500)


class OnArgs(Schema):
    on = fields.Date(metadata={"description": "判定日期，默认今天 (Asia/Shanghai)"})
    known_at = fields.AwareDateTime(metadata={
        "description": "只用此时刻之前记录的事实（回放当时的判定）"})


class PersonListArgs(PageArgs):
    division_code = Division()
    eligible = fields.Boolean()
    name = Text(64)


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


class _ScopeCache:
    """id_number → division_code for a few seconds (``PERSON_SCOPE_TTL``; 0 = off):
    reads that only need to know *where* a person lives (eligibility, enrolments,
    statements, cards) skip the extra get_person RPC. Never caches the record."""

    def __init__(self):
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, id_number: str, ttl: float) -> str | None:
        hit = self._data.get(id_number)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, id_number: str, division_code: str, ttl: float) -> None:
        with self._lock:
            if len(self._data) > 50000:
                self._data.clear()
            self._data[id_number] = (time.monotonic() + ttl, division_code)


_SCOPES = _ScopeCache()


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
        return person
    return mask(person)


@blp.route("", methods=["POST"])
@blp.arguments(RegisterPersonSchema)
@blp.response(200, PersonSchema)
@requires("persons:write")
def register_person(body):
    """Register a person or update their household and hardship facts (idempotent
    on the ID number)."""
    require_division(body["division_code"])
    try:  # updating someone who lives elsewhere would move them into our jurisdiction
        fetch_person(body["id_number"], action=True)
    except NotFound:
        pass
    person = rpc("eligibility", "register_person",
                 {**_jsonable(body), "actor": g.principal.username})
    return present_person(person)


@blp.route("/<id_number>", methods=["GET"])
@blp.response(200, PersonSchema)
@requires("persons:read")
def get_person(id_number):
    """A person with their full fact history and last decision. ID and phone
    numbers are masked unless the role may see them (such reads are audited)."""
    person = fetch_person(id_number)
    g.etag = etag_of(person)
    return present_person(person)


@blp.route("/<id_number>/eligibility", methods=["GET"])
@blp.arguments(OnArgs, location="query")
@blp.response(200, Loose)
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
@blp.response(200, LoosePage)
@requires("persons:read")
def list_persons(args):
    """Persons inside the caller's jurisdiction with their last decision (masked)."""
    from doudi_common.ids import division_prefix

    division = scoped_division(args.get("division_code"))
    if division is NOTHING or g.principal.role == "institution_staff":
        return empty_page(args)  # staff reach their residents through placements
    reply = rpc("eligibility", "list_persons",
                division_prefix=division_prefix(division) if division else None,
                eligible=args.get("eligible"), name=args.get("name"), page=args["page"],
                per_page=args["per_page"])
    return mask(page_from(reply, args))


@blp.route("/<id_number>/hardship-ended", methods=["POST"])
@blp.arguments(EndHardshipSchema)
@blp.response(200, PersonSchema)
@requires("persons:write")
def end_hardship(body, id_number):
    """Record that a hardship status ended (a new dated fact)."""
    person = fetch_person(id_number, action=True)
    return present_person(rpc("eligibility", "end_hardship", person["id_number"],
                              body["status"], body["ended_on"].isoformat(),
                              reason=body.get("reason")))


@blp.route("/<id_number>/enrolments", methods=["GET"])
@blp.response(200, Loose(many=True))
@requires("enrolments:read")
def person_enrolments(id_number):
    """A person's enrolments (care mode, status, review dates, history)."""
    person = person_scope(id_number)
    return rpc("eligibility", "person_enrolments", person["id_number"])
