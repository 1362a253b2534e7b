"""marshmallow schemas for eligibility's RPC payloads (the edge)."""

from __future__ import annotations

from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import mask_id_number
from marshmallow import Schema, fields


class FactSchema(Schema):
    kind = fields.String()
    source = fields.String()
    source_event_id = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    recorded_at = fields.DateTime()
    payload = fields.Dict()


class PersonSchema(Schema):
    id_number = fields.String()
    id_number_masked = fields.Function(lambda p: mask_id_number(p["id_number"]))
    name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    division_code = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    facts = fields.List(fields.Nested(FactSchema))


def registration_payload(person: Any, registrations: Any) -> dict[str, Any]:
    """A clerk's registration: an object with a known registration kind, a
    household object and a list of hardship objects (each checked further by
    the domain)."""
    if not isinstance(person, dict):
        raise Invalid("参数应为对象", field="person")
    registration = person.get("registration")
    if registration is not None and registration not in registrations:
        raise Invalid("户籍类别应为 rural 或 urban", field="registration")
    if person.get("household") is not None and not isinstance(person["household"], dict):
        raise Invalid("家庭情况应为对象", field="household")
    if any(not isinstance(item, dict) for item in person.get("hardship") or []):
        raise Invalid("困难身份应为对象列表", field="hardship")
    return person


def application_payload(application: Any) -> dict[str, Any]:
    if not isinstance(application, dict):
        raise Invalid("参数应为对象", field="application")
    return application


def required_actor(actor: Any) -> str:
    if not actor:
        raise Invalid("须注明操作人", field="actor")
    return str(actor)
