"""Admitting N people through the institutions service's own code (checks for
open placement, infection, free bed, catalogue price, outbox event; one
transaction each) against the same number of bare placement inserts, one
transaction each, on the same PostgreSQL database — alternating, one of each."""

from __future__ import annotations

import os
from datetime import date

import sqlalchemy as sa

from bench.common import Stopwatch, report, scratch_database

N = int(os.environ.get("BENCH_INSTITUTIONS_N", "300"))


def _service(core, clock):
    from doudi_common.clock import ClockValue
    from doudi_institutions.service import InstitutionsService

    svc = InstitutionsService()
    svc.db = core.unit_of_work()
    svc.clock = ClockValue(clock)
    return svc


def main() -> dict:
    from doudi_common.clock import Clock
    from doudi_common.dates import utcnow
    from doudi_common.db import DatabaseCore
    from doudi_common.testing.idnumbers import make_id_number
    from doudi_institutions.models import metadata, placements
    from doudi_institutions.testing import TODAY, make_uscc

    clock = Clock()
    clock.set(TODAY)
    with scratch_database("doudi_institutions") as url:
        core = DatabaseCore(url, "doudi_institutions", "institutions", metadata)
        try:
            def run(fn):
                svc = _service(core, clock)
                with svc.db:
                    return fn(svc)

            homes = [make_uscc(n) for n in (1, 2)]
            for n, home in enumerate(homes, 1):
                run(lambda s, h=home, n=n: s.register_institution(
                    uscc=h, name=f"基准敬老院{n}", legal_form="public_institution",
                    kind="tekun_home", operating_model="public", division_code="341502001",
                    opened_on="2026-01-01", status="open"))
                run(lambda s, h=home, n=n: s.add_room(
                    uscc=h, room_no=f"R{n}", room_type="double",
                    beds=[f"{n}-{i}" for i in range(N)]))
                run(lambda s, h=home: s.add_catalog_item(
                    uscc=h, code="bed", category="bed", name="床位", unit="month",
                    price="800.00", effective_from=TODAY.isoformat(), room_type="double"))
            ids = [make_id_number(birth=f"19{40 + i // 1000:02d}0101", seq=i % 1000)
                   for i in range(N)]
            inst2 = run(lambda s: s._institution(homes[1]))["id"]
            with core.engine.connect() as conn:
                bed_ids = conn.execute(sa.text("SELECT id FROM beds WHERE institution_id = :i "
                                               "ORDER BY id"), {"i": inst2}).scalars().all()
            # admissions and bare inserts alternate, one each, so a shared machine's
            # load falls on both alike
            admitted, bare = Stopwatch(), Stopwatch()
            for i, (idn, bed_id) in enumerate(zip(ids, bed_ids, strict=True)):
                with admitted.lap():
                    run(lambda s, idn=idn: s.admit(
                        id_number=idn, uscc=homes[0], admitted_on="2026-03-02",
                        care_level="full", division_code="341502001001"))
                with bare.lap(), core.engine.begin() as conn:
                    conn.execute(sa.insert(placements).values(
                        id_number=f"B{i:017d}", division_code="341502001001",
                        institution_id=inst2, bed_id=bed_id, care_mode="centralized",
                        care_level="full", status="open", admitted_on=date(2026, 3, 2),
                        monthly_price=800, created_at=utcnow()))
        finally:
            core.dispose()
    return report("institutions admit", N, admitted.seconds, bare.seconds, "admissions")
