"""marshmallow schemas for services_log's RPC payloads (the edge)."""

from __future__ import annotations

from doudi_common.ids import mask_id_number
from marshmallow import Schema, fields


class KnownPersonSchema(Schema):
    id_number_masked = fields.Function(lambda p: mask_id_number(p["id_number"]))
    name = fields.String()
    division_code = fields.String()
    registered_event_id = fields.String()
    updated_at = fields.DateTime()
