"""The caseload figures as kept by eligibility (issue 18), on the real service
and PostgreSQL: the SQL grouping gives what the domain's row-by-row definition
gives, on enrolments at every edge of a month; a kept figure is served again
while nothing changed, and a write to any of the rows it is made of (through
the service, in its own transaction) makes the next read exact; a refused
write does not; the next day it is computed again."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from doudi_common.clock import clock_of
from doudi_common.dates import to_shanghai
from doudi_common.errors import Invalid
from doudi_common.testing.fixtures import db_engine
from doudi_common.testing.idnumbers import make_id_number
from doudi_eligibility.domain import statistics as figures

MARCH = ("2026-03", date(2026, 3, 1), date(2026, 3, 31))
VILLAGE = "341502001001"

# (care mode, hardship, started, ended, reason, next review) at every edge of March
EDGES = [
    ("centralized", ["tekun"], date(2025, 1, 1), None, None, date(2026, 3, 5)),
    ("centralized", ["tekun", "dibao"], date(2026, 3, 1), None, None, date(2027, 3, 1)),
    ("home_visit", ["dibao"], date(2026, 3, 31), None, None, date(2026, 3, 31)),
    ("home_visit", ["dibao"], date(2025, 6, 1), date(2026, 3, 31), "deceased", None),
    ("home_visit", ["dibao"], date(2025, 6, 1), date(2026, 3, 30), "improved", None),
    ("day_care", [], date(2025, 1, 1), date(2026, 3, 1), "moved_away", None),
    ("day_care", [], date(2025, 1, 1), date(2026, 2, 28), "handed_over", None),
    ("family_bed", ["low_income"], date(2026, 4, 1), None, None, None),
    ("home_visit", ["tekun"], date(2026, 3, 15), date(2026, 3, 20), None, date(2026, 3, 9)),
]


def seed(engine, rows) -> None:
    with engine.begin() as conn:
        for n, (mode, hardship, start, end, reason, review) in enumerate(rows):
            conn.execute(sa.text(
                "INSERT INTO persons (id_number, name, birth_date, sex, division_code,"
                " registration, created_at, updated_at) VALUES (:pid, '测试', '1952-03-14',"
                " 'male', :village, 'rural', now(), now())"),
                {"pid": make_id_number(seq=700 + n), "village": VILLAGE})
            conn.execute(sa.text(
                "INSERT INTO enrolments (enrolment_id, id_number, division_code, policy_pack,"
                " pack_version, care_mode, incapacity_level, hardship, status, started_on,"
                " ended_on, end_reason, next_review_on, created_at, updated_at) VALUES"
                " (:id, :pid, :village, 'luan-2021', '1', :mode, 'full', :hardship, :status,"
                " :start, :end, :reason, :review, now(), now())"),
                {"id": f"EN-F{n}", "pid": make_id_number(seq=700 + n), "village": VILLAGE,
                 "mode": mode, "hardship": json.dumps(hardship),
                 "status": "ended" if end else "active", "start": start, "end": end,
                 "reason": reason, "review": review})


def test_the_sql_grouping_counts_as_the_domain_does_at_every_edge(eligibility):
    container, rpc = eligibility
    engine = db_engine(container)
    seed(engine, EDGES)
    month, first, last = MARCH
    today = to_shanghai(clock_of(container).current()).date()
    got = rpc.caseload_statistics(VILLAGE[:6], month)
    from doudi_eligibility.store import statistics as store

    with engine.connect() as conn:
        from sqlalchemy.orm import Session

        rows = store.enrolments_touching(Session(bind=conn), VILLAGE[:6], first, last)
    expected = figures.caseload(rows, first, last)
    assert {k: got[k] for k in expected} == expected
    in_care = [r["next_review_on"] for r in rows
               if r["next_review_on"] and figures.in_care_on(r, min(today, last))]
    assert got["reviews"] == figures.reviews(in_care, today, last)
    # and by hand: in care on the 31st — the first four rows' 1, 2, 3 and the
    # one that died that day; entered: 1 March, 31 March, 15 March
    assert got["in_care"] == 4 and got["entries"] == 3
    assert got["exits_by_reason"] == {"deceased": 1, "improved": 1, "moved_away": 1,
                                      "other": 1}
    assert got["by_hardship"] == {"dibao": {"centralized": 1, "home_visit": 2},
                                  "tekun": {"centralized": 2}}


def test_a_kept_figure_is_served_until_a_write_changes_its_rows(eligibility):
    container, rpc = eligibility
    engine = db_engine(container)
    month = MARCH[0]

    def version():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT coalesce(max(value), 0) FROM figure_versions"
                                        )).scalar_one()

    def computed_at():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT computed_at FROM figure_cache WHERE key = :k"),
                                {"k": f"caseload:341502:{month}"}).scalar_one()

    before = rpc.caseload_statistics("341502", month)
    kept_at, v0 = computed_at(), version()
    assert rpc.caseload_statistics("341502", month) == before
    assert computed_at() == kept_at  # served, not computed again

    pid = make_id_number(seq=801)
    rpc.register_person({"id_number": pid, "name": "新登记", "division_code": VILLAGE,
                         "registration": "rural", "actor": "clerk01", "household": {},
                         "hardship": [{"status": "tekun", "source": "civil_affairs",
                                       "valid_from": "2025-01-01"}]})
    assert version() > v0
    after = rpc.caseload_statistics("341502", month)
    assert after["registered"] == before["registered"] + 1
    # a refused write (an application for nobody registered) changes nothing kept
    v1 = version()
    with pytest.raises(Exception):  # noqa: B017 - the service's own refusal
        rpc.file_application({"id_number": make_id_number(seq=802), "care_mode": "centralized",
                              "submitted_by": "clerk01", "submitted_role": "village_clerk",
                              "channel": "clerk", "documents": ["id_card"],
                              "consent": {"given": True, "by": "本人", "on": "2026-03-10"}})
    assert version() == v1
    assert rpc.caseload_statistics("341502", month) == after
    # the next day the waiting days have aged: computed again
    clock_of(container).set(date(2026, 3, 11))
    rpc.caseload_statistics("341502", month)
    assert computed_at() > kept_at
    with pytest.raises(Invalid):
        rpc.caseload_statistics("341502", "2026-13")


@pytest.fixture(params=["postgresql", "sqlite"])
def migrated(request, make_db, tmp_path):
    """An engine on a migrated eligibility database of each dialect."""
    from doudi_common.db import make_engine, migrate

    if request.param == "postgresql":
        url = make_db("doudi_eligibility")
    else:
        url = f"sqlite:///{tmp_path}/eligibility.db"
        migrate("doudi_eligibility", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_the_tallies_follow_every_write_to_persons_and_decisions(migrated):
    """Registered and eligible come from the tallies the triggers keep; after
    each kind of write they equal the count from the rows, for the county, both
    townships and a village."""
    from doudi_eligibility.store.statistics import counts, counts_from_rows
    from sqlalchemy.orm import Session

    a, b = "341502001001", "341502002003"
    people = [make_id_number(seq=900 + n) for n in range(4)]

    def sql(statement, **params):
        with migrated.begin() as conn:
            conn.execute(sa.text(statement), params)

    def agree(expected_county):
        with Session(migrated) as session:
            for prefix in ("341502", "341502001", "341502002", a):
                assert counts(session, prefix) == counts_from_rows(session, prefix), prefix
            assert counts(session, "341502") == expected_county

    for n, pid in enumerate(people):
        sql("INSERT INTO persons (id_number, name, birth_date, sex, division_code, registration,"
            " created_at, updated_at) VALUES (:pid, '测试', '1952-03-14', 'male', :v, 'rural',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", pid=pid, v=a if n < 2 else b)
    agree({"registered": 4, "eligible": 0})
    for pid, eligible in zip(people, (True, True, False, True), strict=True):
        sql("INSERT INTO decisions (id_number, decided_on, eligible, care_modes, target_groups,"
            " digest, trigger, decided_at) VALUES (:pid, '2026-03-10', :e, '[]', '[]', 'x',"
            " 'test', CURRENT_TIMESTAMP)", pid=pid, e=eligible)
    agree({"registered": 4, "eligible": 3})
    sql("UPDATE decisions SET eligible = :e WHERE id_number = :pid", e=True, pid=people[2])
    sql("UPDATE decisions SET eligible = :e WHERE id_number = :pid", e=False, pid=people[0])
    agree({"registered": 4, "eligible": 3})
    sql("UPDATE persons SET division_code = :v WHERE id_number = :pid", v=b, pid=people[1])
    agree({"registered": 4, "eligible": 3})
    sql("UPDATE persons SET deceased_on = '2026-03-12' WHERE id_number = :pid", pid=people[3])
    agree({"registered": 3, "eligible": 2})
    # a decision changed for someone who died counts for nobody
    sql("UPDATE decisions SET eligible = :e WHERE id_number = :pid", e=False, pid=people[3])
    agree({"registered": 3, "eligible": 2})
    sql("DELETE FROM decisions WHERE id_number = :pid", pid=people[1])
    sql("DELETE FROM persons WHERE id_number = :pid", pid=people[1])
    agree({"registered": 2, "eligible": 1})
    # a batch: many rows in one statement, several in one division (on
    # PostgreSQL the triggers run once per statement, over all its rows)
    more = {f"p{n}": make_id_number(seq=950 + n) for n in range(5)}
    sql("INSERT INTO persons (id_number, name, birth_date, sex, division_code, registration,"
        " created_at, updated_at) VALUES " + ", ".join(
            f"(:{k}, '批量', '1950-01-01', 'female', :{'v' if i < 3 else 'w'}, 'rural',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)" for i, k in enumerate(more)),
        v=a, w=b, **more)
    agree({"registered": 7, "eligible": 1})
    sql("INSERT INTO decisions (id_number, decided_on, eligible, care_modes, target_groups,"
        " digest, trigger, decided_at) VALUES " + ", ".join(
            f"(:{k}, '2026-03-10', {'TRUE' if i % 2 == 0 else 'FALSE'}, '[]', '[]', 'x',"
            " 'test', CURRENT_TIMESTAMP)" for i, k in enumerate(more)), **more)
    agree({"registered": 7, "eligible": 4})
    batch = ", ".join(f":{k}" for k in more)
    sql(f"UPDATE persons SET division_code = :w WHERE id_number IN ({batch})", w=b, **more)
    agree({"registered": 7, "eligible": 4})
    sql(f"UPDATE decisions SET eligible = NOT eligible WHERE id_number IN ({batch})", **more)
    agree({"registered": 7, "eligible": 3})
    sql("UPDATE persons SET deceased_on = '2026-03-20' WHERE id_number IN (:p1, :p3)",
        **more)
    agree({"registered": 5, "eligible": 1})
