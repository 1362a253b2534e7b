"""The restore drill (issue 20) on the real PostgreSQL: a month of data in
funding (placements, a subsidy, the month closed and settled, paid out),
eligibility (people certified by CDPF: persons, inbox, outbox all sent) and the
gateway (users and the audit trail); ``doudi-ops backup``; the databases
dropped; ``doudi-ops restore``. Then every ledger transaction balances, the
outbox and inbox hold the same event ids (the restarted services publish
nothing again, and a redelivered event is not applied twice), the audit trail
is complete, and funding serves the same statements as before."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import eventlet
import sqlalchemy as sa
from doudi_common.clock import clock_of
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_departments.client import DepartmentClient
from doudi_departments.simulate import Simulator, World
from nameko.testing.services import entrypoint_hook

from tests.flows import INST, admit_two_with_a_subsidy

BIN = Path(sys.executable).parent


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def ops(*args: str) -> dict:
    done = subprocess.run([str(BIN / "doudi-ops"), *args], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _a_month(funding, eligibility, rabbit, publish_as):
    clock_of(funding).set(date(2026, 4, 1))
    resident, newcomer = make_id_number(seq=21), make_id_number(seq=22)
    admit_two_with_a_subsidy(funding, publish_as, resident, newcomer, "PL-DR")
    closed = publish_as("services_log", "month.closed", {
        "month": "2026-03", "division_code": "341502", "institution_uscc": None, "records": 0,
        "persons": 0, "minutes": 0, "total_amount": "0.00", "unverified": 0,
        "closed_at": "2026-04-01T02:00:00+08:00", "providers": [], "lines": []})
    wait_for(lambda: count_rows(funding, "payouts") >= 1, message="the month settled")
    world = World(5, ["341502"])
    sim = Simulator("cdpf", seed=5, world=world)
    with DepartmentClient("cdpf", amqp_uri_for(rabbit, "cdpf")) as client:
        client.publish_many([sim.certificate_for(world.new_person()) for _ in range(12)])
    wait_for(lambda: count_rows(eligibility, "persons") == 12, message="people certified")
    for container in (funding, eligibility):  # everything written has been published
        wait_for(lambda c=container: count_rows(c, "outbox")
                 == rows(c.config["DB_URL"], "SELECT count(*) FROM outbox "
                                             "WHERE sent_at IS NOT NULL")[0][0],
                 message="the outbox drained")
    return resident, closed


def _gateway_audit(make_db):
    from doudi_gateway.app import create_app

    url = make_db(None)
    app = create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "LOG_FORMAT": "json",
                      "GATEWAY_DB_URL": url, "JWT_SECRET": "drill-signing-key-0123456789",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                      "LOGIN_RATE_LIMIT": 1000})
    app.extensions["doudi_store"].add_user("drill", "password-123", "county_officer", "341502")
    client = app.test_client()
    for password in ("wrong", "password-123", "wrong-again"):
        client.post("/api/v1/auth/token", json={"username": "drill", "password": password})
    return url


def _snapshot(funding, eligibility, gateway_url, resident):
    f, e = funding.config["DB_URL"], eligibility.config["DB_URL"]
    return {
        "statement": call(funding, "person_statement", resident, "2026-03"),
        "institution": call(funding, "institution_statement", INST, "2026-03"),
        "outbox": {n: rows(u, "SELECT event_id, sent_at IS NOT NULL FROM outbox ORDER BY seq")
                   for n, u in (("funding", f), ("eligibility", e))},
        "inbox": {n: rows(u, "SELECT event_id, handler FROM inbox ORDER BY event_id, handler")
                  for n, u in (("funding", f), ("eligibility", e))},
        "audit": rows(gateway_url, "SELECT * FROM audit_log ORDER BY id"),
        "entries": rows(f, "SELECT count(*) FROM ledger_entries")[0][0],
    }


def test_backup_drop_restore_and_the_suite_is_as_it_was(rabbit, start_service, publish_as,
                                                        make_db, event_tap, tmp_path):
    funding = start_service("funding")
    eligibility = start_service("eligibility")
    resident, closed = _a_month(funding, eligibility, rabbit, publish_as)
    gateway_url = _gateway_audit(make_db)
    urls = {"funding": funding.config["DB_URL"], "eligibility": eligibility.config["DB_URL"],
            "gateway": gateway_url}
    before = _snapshot(funding, eligibility, gateway_url, resident)
    assert before["entries"] and len(before["audit"]) >= 3

    backed = ops("backup", "--out", str(tmp_path / "backup"),
                 *[f"--url={n}={u}" for n, u in urls.items()])
    assert set(backed) == set(urls) and all(b["revision"] for b in backed.values())
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["databases"]["funding"]["rows"]["ledger_entries"] == before["entries"]

    funding.stop()
    eligibility.stop()
    admin = sa.create_engine(urls["funding"].rsplit("/", 1)[0] + "/postgres",
                             isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:  # the disaster
        for url in urls.values():
            conn.execute(sa.text(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()

    restored = ops("restore", "--from", str(tmp_path / "backup"),
                   *[f"--url={n}={u}" for n, u in urls.items()])
    assert restored == backed

    tap = event_tap("funding", ["#"], user="cdpf")
    funding = start_service("funding", db_url=urls["funding"])
    eligibility = start_service("eligibility", db_url=urls["eligibility"])
    clock_of(funding).set(date(2026, 4, 1))
    # every ledger transaction balances
    assert rows(urls["funding"], "SELECT txn_id FROM ledger_entries GROUP BY txn_id "
                                 "HAVING sum(amount_fen) <> 0") == []
    assert call(funding, "reconciliation")["ok"]
    # the month closed again (redelivered): applied once already, not again
    publish_as("services_log", "month.closed", envelope=closed)
    wait_for(lambda: count_rows(funding, "inbox", event_type="month.closed") == 1,
             message="the close known")
    eventlet.sleep(1.5)
    after = _snapshot(funding, eligibility, gateway_url, resident)
    assert after == before
    assert tap.poll() == []  # nothing published again from the restored outbox


def test_a_restore_that_does_not_match_its_manifest_is_refused(make_db, tmp_path):
    url = make_db("doudi_funding")
    ops("backup", "--out", str(tmp_path / "b"), f"--url=funding={url}")
    path = tmp_path / "b" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["databases"]["funding"]["rows"]["accounts"] += 1
    path.write_text(json.dumps(manifest))
    done = subprocess.run([str(BIN / "doudi-ops"), "restore", "--from", str(tmp_path / "b"),
                           f"--url=funding={url}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "accounts" in done.stderr, done.stderr
