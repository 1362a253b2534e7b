"""The known-person RPC every service that keeps a person directory answers
(``doudi_common.persons``): ``get_known_person(id_number)`` — who this service
has heard of through ``person.registered``, ID number masked.

    class FundingService(ServiceBase, KnownPersonRpc):
        person_directory = person_directory      # the service's own table
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields

from doudi_common.entrypoints.rpc import rpc
from doudi_common.errors import NotFound
from doudi_common.ids import mask_id_number, validate_id_number
from doudi_common.persons import get_person


class KnownPersonSchema(Schema):
    id_number_masked = fields.Function(lambda p: mask_id_number(p["id_number"]))
    name = fields.String()
    division_code = fields.String()
    registered_event_id = fields.String()
    updated_at = fields.DateTime()


class KnownPersonRpc:
    """Mixin for a service class; needs ``db`` and ``person_directory``."""

    db: Any
    person_directory: sa.Table

    @rpc
    def get_known_person(self, id_number: str) -> dict[str, Any]:
        person = get_person(self.db, self.person_directory, validate_id_number(id_number))
        if person is None:
            raise NotFound("未找到该人员", resource="person")
        return KnownPersonSchema().dump(person)  # type: ignore[no-any-return]
