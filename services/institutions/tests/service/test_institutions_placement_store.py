"""The admission's writes at the store: two admissions that both passed the
checks (a race) meet the unique indexes — the second gets ``already_placed``
from ``ON CONFLICT DO NOTHING`` (no savepoint), its transaction stays usable,
and nothing of it is written. On PostgreSQL and on SQLite (``make run``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_common.errors import Conflict
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.models import beds, care_level_changes, institutions, metadata, placements
from doudi_institutions.models import rooms as rooms_table
from doudi_institutions.store.beds import first_free_bed
from doudi_institutions.store.placements import insert_placement, institution_for_admission

USCC = "12341502MB0000001Q"
NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def core(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("make_db")("doudi_institutions")
    else:
        url = f"sqlite:///{tmp_path / 'institutions.db'}"
    core = DatabaseCore(url, "doudi_institutions", "institutions", metadata)
    if request.param == "sqlite":
        core.migrate()
    with core.engine.begin() as conn:
        inst = conn.execute(sa.insert(institutions).values(
            uscc=USCC, name="竞争敬老院", legal_form="public_institution", kind="tekun_home",
            operating_model="public", division_code="341502001", county_code="341502",
            status="open", registered_on=date(2026, 1, 1), created_at=NOW,
            updated_at=NOW).returning(institutions.c.id)).scalar_one()
        room = conn.execute(sa.insert(rooms_table).values(
            institution_id=inst, room_no="R1", room_type="double"
        ).returning(rooms_table.c.id)).scalar_one()
        conn.execute(sa.insert(beds), [{"institution_id": inst, "room_id": room, "bed_no": n}
                                       for n in ("1-1", "1-2", "1-3")])
    yield core
    core.dispose()


def _place(session, id_number, bed_id, inst_id):
    return insert_placement(session, care_level="full", admitted_on=date(2026, 3, 2),
                            id_number=id_number, division_code="341502001001",
                            institution_id=inst_id, bed_id=bed_id, care_mode="centralized",
                            monthly_price=800)


def test_a_raced_admission_is_refused_by_the_indexes_and_writes_nothing(core):
    first, second = (make_id_number(region="341502", birth="19400101", seq=n) for n in (1, 2))
    with core.unit_of_work() as uow:
        inst, placed, infected = institution_for_admission(uow.session, USCC, first)
        assert (inst["uscc"], placed, infected) == (USCC, False, False)
        bed = first_free_bed(uow.session, inst["id"])
        assert bed.bed_no == "1-1"
        row = _place(uow.session, first, bed.id, inst["id"])
        assert (row["id_number"], row["status"], row["bed_id"]) == (first, "open", bed.id)
        # the same bed for another person, the same person on another bed
        for who, bed_id in ((second, bed.id), (first, bed.id + 1)):
            with pytest.raises(Conflict) as exc:
                _place(uow.session, who, bed_id, inst["id"])
            assert exc.value.fields["reason"] == "already_placed"
        # the transaction goes on: the next free bed skips the taken one
        assert first_free_bed(uow.session, inst["id"]).bed_no == "1-2"
        assert institution_for_admission(uow.session, USCC, first)[1:] == (True, False)
    with core.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(placements)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(care_level_changes)
                            ).scalar() == 1
