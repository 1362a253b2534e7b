"""``OutboxWriter.add_many`` (added to doudi-common for bulk re-decision):
validated like ``add``, stored in order, nothing stored when one breaks its contract."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from doudi_contracts.errors import ContractError
from doudi_eligibility.models import metadata


def _changed(id_number: str, eligible: bool = True) -> dict:
    return {"id_number": id_number, "division_code": "341502001201",
            "decided_on": "2026-03-10", "policy_pack": "luan-2021", "pack_version": "1",
            "eligible": eligible, "care_modes": ["centralized"] if eligible else [],
            "previous_care_modes": [], "target_groups": [], "priority": None,
            "clauses": [], "trigger": "pack.changed"}


def test_add_many_validates_and_keeps_order(make_db):
    from doudi_common.db import DatabaseCore
    from doudi_common.testing.idnumbers import make_id_number

    database = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility",
                            metadata)
    try:
        ids = [make_id_number(seq=i) for i in range(1, 6)]
        with database.unit_of_work() as uow:
            event_ids = uow.outbox.add_many([("eligibility.changed", _changed(i), None, i)
                                             for i in ids])
            assert uow.outbox.add_many([]) == []
        with database.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT event_id, aggregate_key, envelope FROM outbox "
                                        "ORDER BY seq")).all()
        assert [r.event_id for r in rows] == event_ids
        assert [r.aggregate_key for r in rows] == ids
        envelope = json.loads(rows[0].envelope)
        assert envelope["source"] == "eligibility/341502001201"
        assert envelope["type"] == "eligibility.changed"

        bad = _changed(ids[0])
        bad["care_modes"] = ["teleport"]
        with pytest.raises(ContractError), database.unit_of_work() as uow:
            uow.outbox.add_many([("eligibility.changed", _changed(ids[1]), None, None),
                                 ("eligibility.changed", bad, None, None)])
        with database.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 5
    finally:
        database.dispose()
