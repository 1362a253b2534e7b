"""Request and reply schemas of persons and their facts (the REST edge; the routes are in
``doudi_gateway.resources.persons``)."""

from __future__ import annotations

import threading
import time

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import Division, IdNumber, Loose, Money, PageArgs, Text

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
