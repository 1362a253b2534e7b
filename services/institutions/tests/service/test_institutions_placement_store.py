"""The admission's reads and writes at the store: two admissions that both
passed the checks (a race) meet the unique indexes — the second's insert
returns no row from ``ON CONFLICT DO NOTHING`` (no savepoint), its transaction
stays usable, and nothing of it is written; its next read sees the bed and the
person taken. On PostgreSQL and on SQLite (``make run``)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_common.testing.fixtures import wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.models import beds, care_level_changes, institutions, metadata, placements
from doudi_institutions.models import rooms as rooms_table
from doudi_institutions.store.placements import admission_read, insert_placement

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
        inst, placed, infected, bed = admission_read(uow.session, USCC, first)
        assert (inst["uscc"], placed, infected, bed["bed_no"]) == (USCC, False, False, "1-1")
        row = _place(uow.session, first, bed["id"], inst["id"])
        assert (row["id_number"], row["status"], row["bed_id"]) == (first, "open", bed["id"])
        # the same bed for another person, the same person on another bed
        for who, bed_id in ((second, bed["id"]), (first, bed["id"] + 1)):
            assert _place(uow.session, who, bed_id, inst["id"]) is None
        # the transaction goes on: the next read skips the taken bed, knows the person
        assert admission_read(uow.session, USCC, first)[1:3] == (True, False)
        assert admission_read(uow.session, USCC, second)[3]["bed_no"] == "1-2"
        # a bed asked for by number comes with whether it is taken
        asked = admission_read(uow.session, USCC, second, "1-1")[3]
        assert (asked["id"], asked["placement_pk"], asked["out_of_service"]) == (
            bed["id"], row["id"], False)
        assert admission_read(uow.session, USCC, second, "9-9")[3] is None
    with core.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(placements)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(care_level_changes)
                            ).scalar() == 1


def _service(core):
    from doudi_common.clock import Clock, ClockValue
    from doudi_institutions.service import InstitutionsService

    clock = Clock()
    clock.set(date(2026, 3, 2))
    svc = InstitutionsService()
    svc.db, svc.clock = core.unit_of_work(), ClockValue(clock)
    return svc


def _admit(svc, id_number):
    return svc.admit(id_number=id_number, uscc=USCC, admitted_on="2026-03-02",
                     care_level="full", division_code="341502001001")


def test_an_admission_that_queued_for_the_lock_reads_again_and_takes_the_next_bed(core):
    """The admission's read waits for another admission's lock on the home
    and, once it has it, still sees the first bed free (its snapshot is older
    than that commit): its insert meets the unique index and it reads again —
    the person is admitted to the next bed, not refused. The other admission
    is a ``psql`` session (this process's database calls block it whole while
    they wait for a lock)."""
    if core.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no read waits on a lock")
    first, second = (make_id_number(region="341502", birth="19400101", seq=n) for n in (3, 4))
    url = core.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    holder = subprocess.Popen(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    holder.stdin.write(f"""
        BEGIN;
        SELECT id FROM institutions WHERE uscc = '{USCC}' FOR UPDATE;
        INSERT INTO placements (id_number, division_code, institution_id, bed_id, care_mode,
                                care_level, status, admitted_on, monthly_price, created_at)
        SELECT '{first}', '341502001001', institution_id, id, 'centralized', 'full', 'open',
               '2026-03-02', 0, now() FROM beds WHERE bed_no = '1-1';
        SELECT pg_sleep(1.5);
        COMMIT;
    """)
    holder.stdin.close()
    sleeping = sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%'"
                       " AND state = 'active' AND pid <> pg_backend_pid()")

    def holding():   # a transaction of its own each time: the view is a snapshot
        with core.engine.connect() as conn:
            return conn.execute(sleeping).scalar()
    wait_for(holding, timeout=10, message="the other admission holding the home's lock")
    svc = _service(core)
    with svc.db:
        assert holder.poll() is None   # still holding the lock as this admission begins
        assert _admit(svc, second)["bed_no"] == "1-2"
    assert holder.wait(10) == 0
    with core.engine.connect() as conn:
        assert conn.execute(sa.select(placements.c.id_number, beds.c.bed_no)
                            .join(beds, beds.c.id == placements.c.bed_id)
                            .order_by(beds.c.bed_no)).all() == [(first, "1-1"), (second, "1-2")]
