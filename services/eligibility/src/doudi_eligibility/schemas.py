"""marshmallow schemas for eligibility's RPC payloads (the edge)."""

from __future__ import annotations

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
