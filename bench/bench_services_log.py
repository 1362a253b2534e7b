"""services_log: recording 100,000 service records through the real recording
path (card, death, price, closed-month, overlap and frequency checks, the record
row and its ``service.recorded`` outbox row, in uploads of 500 per transaction)
against bare inserts of the same rows in the same run."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from bench.common import Stopwatch, report, scratch_database

PACKAGE = "doudi_services_log"
BATCH = 500


def _id_number(n: int, region: str = "620102") -> str:
    from doudi_common.testing.idnumbers import make_id_number

    return make_id_number(region=region, birth=f"19{40 + n // 450 % 50:02d}0101", seq=n % 450)


def main() -> dict:
    from doudi_common.dates import SHANGHAI
    from doudi_common.db import DatabaseCore
    from doudi_services_log.models import metadata, outbox, records
    from doudi_services_log.store import cards, items
    from doudi_services_log.store import recording as record_store

    total = int(os.environ.get("BENCH_SERVICES_LOG_RECORDS", "100000"))
    per_person = 100
    persons = max(1, total // per_person)
    with scratch_database(PACKAGE) as url:
        db = DatabaseCore(url, PACKAGE, "services_log", metadata)
        try:
            issued_at = datetime(2026, 1, 1, 8, tzinfo=SHANGHAI)
            people = [_id_number(n) for n in range(persons)]
            helpers = [_id_number(n, region="620103") for n in range(persons)]
            with db.unit_of_work() as uow:
                items.set_item_price(uow.session, issued_at, "620100", "cleaning", "30.00",
                                     "bench")
                for person, helper in zip(people, helpers, strict=True):
                    cards.issue_card(uow.session, issued_at, id_number=person,
                                     division_code="620102001001", assessed_on="2026-01-01",
                                     by="bench", items=[{"code": "cleaning"}],
                                     providers=[{"kind": "neighbor", "id_number": helper,
                                                 "uscc": None}])
            # each helper serves their person 100 times in January, 4 slots a day
            payloads = []
            for i in range(per_person):
                day, slot = 1 + i // 4, i % 4
                start = datetime(2026, 1, day, 8 + 2 * slot, tzinfo=SHANGHAI)
                for person, helper in zip(people, helpers, strict=True):
                    payloads.append({
                        "id_number": person, "service_item": "cleaning",
                        "provider": {"kind": "neighbor", "id_number": helper, "uscc": None},
                        "started_at": start.isoformat(),
                        "ended_at": (start + timedelta(minutes=90)).isoformat(),
                        "recorded_by": "bench", "evidence_ref": f"SIGN-{len(payloads)}"})
            payloads = payloads[:total]
            now = datetime(2026, 2, 10, 9, tzinfo=SHANGHAI)
            verbose = bool(os.environ.get("BENCH_VERBOSE"))
            # the baseline interleaved with the measured path, batch by batch: the
            # same rows, as recorded, inserted bare into a twin of the table (same
            # columns, same indexes), so both run under the same load of a shared
            # machine and over tables of the same size
            with db.engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE bare_records "
                                     "(LIKE service_records INCLUDING ALL)"))
            bare_table = sa.Table("bare_records", sa.MetaData(),
                                  *[c.copy() for c in records.columns if c.name != "seq"])
            recording, bare = Stopwatch(), Stopwatch()
            lap, last_seq = time.perf_counter(), 0
            for i in range(0, len(payloads), BATCH):
                with recording.lap(), db.unit_of_work() as uow:
                    record_store.record_services(uow, now, payloads[i:i + BATCH])
                with db.engine.connect() as conn:
                    rows = [dict(r._mapping) for r in conn.execute(
                        sa.select(records).where(records.c.seq > last_seq)
                        .order_by(records.c.seq))]
                last_seq = rows[-1].pop("seq")
                for row in rows:
                    row.pop("seq", None)
                with bare.lap(), db.engine.begin() as conn:
                    conn.execute(sa.insert(bare_table), rows)
                if verbose and (i + BATCH) % 10000 == 0:
                    print(f"  {i + BATCH} records, last 10000 in "
                          f"{time.perf_counter() - lap:.2f}s", flush=True)
                    lap = time.perf_counter()
            with db.engine.connect() as conn:
                counts = [conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                          for t in (records, bare_table)]
                events = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                      .where(outbox.c.event_type == "service.recorded")
                                      ).scalar_one()
            assert counts == [len(payloads)] * 2 == [events] * 2, (counts, events)
        finally:
            db.dispose()
    return report("services_log.record_services", len(payloads), recording.seconds,
                  bare.seconds, "records")


if __name__ == "__main__":
    main()
