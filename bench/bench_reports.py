"""The officials' overview at scale (issue 18): 100,000 persons over 12 months
in three counties, the overview endpoint against a single person read in the
same run, and ingest with officials reading the figures against without.

Seed (COPY into eligibility's PostgreSQL database): persons spread over three
counties (六安市金安区 341502, 南昌市青云谱区 360104, 濮阳市范县 410928), 20
townships × 30 villages each; a decision for each (about 60 % eligible); an
enrolment for 45 % of them, started over January–December 2026, a fifth of
those ended (death, improvement, own request, hand-over, moving away) with an
application behind each; 5 % more with an application still open at one of
the five stages, 3 % rejected.

1. ``GET /api/v1/caseload-statistics`` (the overview of the largest county, a
   month) against ``GET /api/v1/persons/{id}`` — both through the gateway
   (gunicorn) and eligibility (``doudi-service run``), real processes on a
   scratch vhost; the median of repeated calls each (target ≤ 3×).
   The overview is a kept figure (doudi_common.figures); the time to compute
   it again after a write is printed beside it.
2. Ingest of ``BENCH_REPORTS_INGEST`` CDPF events on a fresh database of the
   same size, with the read model's upkeep (the tally triggers, the version
   bump in each writing transaction) against without it (triggers dropped,
   ``DOUDI_FIGURES_KEPT=off``) — the figures are the owner's own tables, so
   that upkeep is what "attaching the read model" costs ingest (target
   ≥ 0.9×); then with officials also reading the overview once a second each
   (``BENCH_REPORTS_READERS``, default 4), printed beside it.

``BENCH_REPORTS_PERSONS`` overrides the count (default 100000),
``BENCH_REPORTS_ROUNDS`` the alternating ingest rounds (default 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

from bench.common import scratch_database, unique_person

PERSONS = int(os.environ.get("BENCH_REPORTS_PERSONS", "100000"))
INGEST = int(os.environ.get("BENCH_REPORTS_INGEST", "3000"))
READERS = int(os.environ.get("BENCH_REPORTS_READERS", "4"))
ROUNDS = int(os.environ.get("BENCH_REPORTS_ROUNDS", "2"))
COUNTIES = {"341502": "luan-2021", "360104": "qingyunpu-2021", "410928": "puyang-2020"}
MONTH = "2026-12"
REASONS = ["deceased", "improved", "voluntary_exit", "handed_over", "moved_away"]
OPEN = ["submitted", "village_reviewed", "township_checked", "signed_off", "in_notice"]
MODES = ["centralized", "home_visit", "day_care", "family_bed"]
HARDSHIP = [["tekun"], ["dibao"], ["low_income"], ["tekun", "dibao"]]


def seed(url: str, n: int, rnd: random.Random) -> list[str]:
    """COPY the persons, decisions, enrolments and applications; -> id numbers."""
    import psycopg

    now = "2026-12-01T09:00:00+08:00"
    counties = list(COUNTIES)
    ids: list[str] = []
    seen: set[str] = set()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        rows = []
        for i in range(n):
            county = counties[i % 3]
            pid, born = unique_person(rnd, county, seen, (1935, 1990))
            village = f"{county}{rnd.randint(1, 20):03d}{rnd.randint(1, 30):03d}"
            rows.append((pid, f"测试{i}", born, "female" if int(pid[16]) % 2 == 0 else "male",
                         village))
            ids.append(pid)
        with cur.copy("COPY persons (id_number, name, birth_date, sex, division_code, "
                      "registration, created_at, updated_at) FROM STDIN") as copy_:
            for pid, name, born, sex, village in rows:
                copy_.write_row((pid, name, born, sex, village, "rural", now, now))
        with cur.copy("COPY decisions (id_number, decided_on, policy_pack, pack_version, "
                      "eligible, care_modes, target_groups, priority, digest, trigger, "
                      "decided_at) FROM STDIN") as copy_:
            for pid, _n, _b, _s, village in rows:
                copy_.write_row((pid, date(2026, 1, 1), COUNTIES[village[:6]], "1",
                                 rnd.random() < 0.6, json.dumps(MODES[:2]), "[]", 1,
                                 "bench", "bench.setup", now))
        with cur.copy("COPY enrolments (enrolment_id, id_number, application_id, "
                      "division_code, policy_pack, pack_version, care_mode, incapacity_level, "
                      "hardship, status, started_on, ended_on, end_reason, next_review_on, "
                      "created_at, updated_at) FROM STDIN") as enrol:
            apps = []
            for k, (pid, _n, _b, _s, village) in enumerate(rows):
                roll = rnd.random()
                if roll < 0.45:
                    started = date(2026, 1, 1) + timedelta(days=rnd.randint(0, 364))
                    ended = reason = None
                    if rnd.random() < 0.2:
                        ended = started + timedelta(days=rnd.randint(1, 200))
                        ended = ended if ended <= date(2026, 12, 31) else None
                        reason = rnd.choice(REASONS) if ended else None
                    app_id = f"AP-B{k:07d}"
                    enrol.write_row((f"EN-B{k:07d}", pid, app_id, village, COUNTIES[village[:6]],
                                     "1", rnd.choice(MODES), "full",
                                     json.dumps(rnd.choice(HARDSHIP)),
                                     "ended" if ended else "active", started, ended, reason,
                                     started + timedelta(days=365), now, now))
                    apps.append((app_id, pid, village, "enrolled", started - timedelta(days=20)))
                elif roll < 0.50:
                    apps.append((f"AP-B{k:07d}", pid, village, rnd.choice(OPEN),
                                 date(2026, 12, 1) - timedelta(days=rnd.randint(0, 90))))
                elif roll < 0.53:
                    apps.append((f"AP-B{k:07d}", pid, village, "rejected",
                                 date(2026, 1, 1) + timedelta(days=rnd.randint(0, 300))))
        with cur.copy("COPY applications (application_id, id_number, division_code, care_mode, "
                      "policy_pack, pack_version, state, channel, submitted_by, submitted_role, "
                      "submitted_on, documents, consent, signoffs, created_at, updated_at) "
                      "FROM STDIN") as copy_:
            for app_id, pid, village, state, on in apps:
                copy_.write_row((app_id, pid, village, "home_visit", COUNTIES[village[:6]], "1",
                                 state, "clerk", "bench", "village_clerk", on, '["id_card"]',
                                 '{"given": true}', "[]", now, now))
        with cur.copy("COPY application_steps (application_id, action, from_state, to_state, "
                      "actor, role, on_date, at, data) FROM STDIN") as copy_:
            for app_id, _pid, _village, state, on in apps:
                copy_.write_row((app_id, "submit", None, "submitted", "bench", "village_clerk",
                                 on, now, "{}"))
                if state != "submitted":
                    copy_.write_row((app_id, "step", "submitted", state, "bench",
                                     "township_officer", on + timedelta(days=3), now, "{}"))
        cur.execute("ANALYZE")
        conn.commit()
    return ids


def median_ms(session: requests.Session, url: str, headers: dict, times: int) -> float:
    spent = []
    for _ in range(times):
        t = time.perf_counter()
        resp = session.get(url, headers=headers, timeout=60)
        spent.append(time.perf_counter() - t)
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
    return statistics.median(spent) * 1000


def overview_against_person(uri_for, db_url: str, ids: list[str]) -> dict:
    from bench.processes import SuiteProcesses

    with TemporaryDirectory() as tmp:
        suite = SuiteProcesses({"AMQP_URI": uri_for("admin")}, Path(tmp), ("eligibility",),
                               db_urls={"eligibility": db_url}, rpc_timeout=30).start()
        try:
            suite.wait_ready()
            headers = suite.login()
            session = requests.Session()
            county = max(COUNTIES, key=lambda c: sum(1 for i in ids if i.startswith(c)))
            overview = (f"{suite.base}/api/v1/caseload-statistics?division_code={county}"
                        f"&month={MONTH}")
            person = f"{suite.base}/api/v1/persons/{ids[len(ids) // 2]}"
            figures = session.get(overview, headers=headers, timeout=60).json()
            median_ms(session, person, headers, 20)          # warm both paths
            median_ms(session, overview, headers, 3)
            person_ms = median_ms(session, person, headers, 200)
            overview_ms = median_ms(session, overview, headers, 30)
            computed_ms = statistics.median(
                after_a_write(db_url, lambda: median_ms(session, overview, headers, 1))
                for _ in range(10))
        finally:
            suite.stop()
    ratio = overview_ms / person_ms
    print(f"overview of county {county} ({figures['registered']:,} registered, "
          f"{figures['in_care']:,} in care at {MONTH}'s end, "
          f"{sum(p['count'] for p in figures['pending'].values()):,} applications open): "
          f"median {overview_ms:.1f} ms; a single person read {person_ms:.1f} ms; "
          f"ratio {ratio:.2f}x (target <= 3x); computed again after a write "
          f"{computed_ms:.1f} ms ({computed_ms / person_ms:.1f}x)", flush=True)
    return {"persons": len(ids), "county": county, "overview_ms": round(overview_ms, 2),
            "person_ms": round(person_ms, 2), "ratio": round(ratio, 3), "target_ratio": 3,
            "computed_after_write_ms": round(computed_ms, 2),
            "computed_ratio": round(computed_ms / person_ms, 3)}


def after_a_write(db_url: str, read: Callable[[], float]) -> float:
    """``read()`` right after a write to the figures' rows (the version bumped,
    as a writing transaction does): the figure is computed, not kept."""
    import psycopg

    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute("INSERT INTO figure_versions (name, value) VALUES ('figures', 1) "
                     "ON CONFLICT (name) DO UPDATE SET value = figure_versions.value + 1")
    return read()


DROP_UPKEEP = [f"DROP TRIGGER tally_{table}_{event} ON {table}"
               for table in ("persons", "decisions")
               for event in ("inserted", "updated", "deleted")]


def one_ingest(uri_for, n_persons: int, upkeep: bool, readers: int) -> float:
    """Seconds to ingest on a freshly seeded database: with the figures' upkeep
    (the tally triggers, the version bump) or without (triggers dropped,
    ``DOUDI_FIGURES_KEPT=off``), while ``readers`` officials read the overview
    (RPC) once a second each."""
    import psycopg
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench.bench_ingest import ingest, make_messages

    with scratch_database("doudi_eligibility") as db_url:
        seed(db_url, n_persons, random.Random(7))
        if not upkeep:
            with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True) as conn:
                for statement in DROP_UPKEEP:
                    conn.execute(statement)
        stop = threading.Event()

        def read():
            with ClusterRpcProxy({"AMQP_URI": uri_for("admin")}, timeout=60) as cluster:
                while not stop.is_set():
                    t = time.perf_counter()
                    # the service may still be starting: ask again a second later
                    with contextlib.suppress(Exception):
                        cluster.eligibility.caseload_statistics("341502", MONTH)
                    stop.wait(max(0.0, 1.0 - (time.perf_counter() - t)))

        threads = [threading.Thread(target=read, daemon=True) for _ in range(readers)]
        for thread in threads:
            thread.start()
        os.environ["DOUDI_FIGURES_KEPT"] = "on" if upkeep else "off"
        try:
            seconds, _cpu, _profile = ingest(uri_for, make_messages(INGEST), db_url)
        finally:
            os.environ.pop("DOUDI_FIGURES_KEPT", None)
            stop.set()
            for thread in threads:
                thread.join(timeout=70)
        return seconds


def ingest_with_and_without(uri_for, n_persons: int) -> dict:
    """The upkeep's cost to ingest (target >= 0.9), then the cost of officials
    reading meanwhile (``BENCH_REPORTS_READERS=0``: not measured); alternating on
    fresh databases, the best of each."""
    runs = {"without": (False, 0), "with": (True, 0)}
    if READERS:
        runs["with_readers"] = (True, READERS)
    best = dict.fromkeys(runs, float("inf"))
    for _round in range(ROUNDS):
        for name, (upkeep, readers) in runs.items():
            best[name] = min(best[name], one_ingest(uri_for, n_persons, upkeep, readers))
    ratio = best["without"] / best["with"]
    out = {"events": INGEST, "with_seconds": round(best["with"], 3),
           "without_seconds": round(best["without"], 3), "ratio": round(ratio, 3),
           "target_ratio": 0.9, "readers": READERS}
    print(f"ingest of {INGEST} CDPF events over {n_persons:,} persons: with the figures' "
          f"upkeep (tallies, version) {INGEST / best['with']:,.0f} ev/s; without "
          f"{INGEST / best['without']:,.0f} ev/s; ratio {ratio:.2f} (target >= 0.9)",
          flush=True)
    if READERS:
        readers_ratio = best["with"] / best["with_readers"]
        print(f"  with {READERS} officials also reading the overview each second "
              f"{INGEST / best['with_readers']:,.0f} ev/s ({readers_ratio:.2f} of the same "
              f"without readers)", flush=True)
        out.update(with_readers_seconds=round(best["with_readers"], 3),
                   readers_ratio=round(readers_ratio, 3))
    return out


def main() -> dict:
    from bench.bench_ingest import scratch_vhost

    with scratch_vhost() as uri_for:
        with scratch_database("doudi_eligibility") as db_url:
            t = time.perf_counter()
            ids = seed(db_url, PERSONS, random.Random(2026))
            print(f"seeded {len(ids):,} persons over 12 months in 3 counties in "
                  f"{time.perf_counter() - t:.1f}s", flush=True)
            overview = overview_against_person(uri_for, db_url, ids)
        ingest = ingest_with_and_without(uri_for, PERSONS)
    return {**overview, "ingest": ingest}
