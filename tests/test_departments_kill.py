"""A consuming service killed with SIGKILL in the middle of a stream of 10,000
department events, then restarted: none is lost and none is applied twice.

eligibility runs as a real ``doudi-service run eligibility`` process on a
PostgreSQL database; CDPF publishes 10,000 ``certificate.issued`` for distinct
people (a simulator stream) while it runs. Effects are counted: one person,
one fact and one inbox row per event, one ``person.registered`` per person in
the outbox — and every outbox row eventually published. The officials' figures
read from the restarted service equal the stream's own count per county and
township (issue 18)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from doudi_common.testing.fixtures import stop_process, wait_for
from doudi_departments.simulate import Simulator

from tests.flows import StreamInBackground

# the 10,000; DOUDI_KILL_TEST_EVENTS lowers it for a quick local run
TOTAL = int(os.environ.get("DOUDI_KILL_TEST_EVENTS", "10000"))
ROOT = Path(__file__).resolve().parents[1]


def start_eligibility(env: dict, log_path: Path) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "doudi-service"
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(exe), "run", "eligibility"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def counts(engine) -> dict:
    with engine.connect() as conn:
        one = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM persons),"
            " (SELECT count(*) FROM person_facts),"
            " (SELECT count(DISTINCT source_event_id) FROM person_facts),"
            " (SELECT count(*) FROM inbox),"
            " (SELECT count(*) FROM outbox WHERE event_type = 'person.registered'),"
            " (SELECT count(*) FROM outbox WHERE sent_at IS NULL)")).one()
    names = ["persons", "facts", "fact_events", "inbox", "registered", "unsent"]
    return dict(zip(names, one, strict=True))


def caseload_by_division(rabbit: dict, messages: list) -> dict[str, tuple[int, int]]:
    """division → (people the stream registered there, the running service's
    ``registered`` figure), for the three counties and one county's townships."""
    from collections import Counter

    from nameko.standalone.rpc import ClusterRpcProxy

    villages = [json.loads(m.body)["data"]["division_code"] for m in messages]
    expected = Counter(v[:6] for v in villages) + Counter(
        v[:9] for v in villages if v.startswith("341502"))
    month = json.loads(messages[0].body)["data"]["issued_on"][:7]
    with ClusterRpcProxy({"AMQP_URI": rabbit["AMQP_URI"]}, timeout=60) as cluster:
        return {d: (n, cluster.eligibility.caseload_statistics(d, month)["registered"])
                for d, n in sorted(expected.items())}


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_sigkill_mid_stream_loses_nothing_and_applies_nothing_twice(rabbit, make_db, tmp_path):
    url = make_db("doudi_eligibility")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                              poolclass=sa.pool.NullPool)
    env = {**os.environ, "DOUDI_DB_URL": url, "DOUDI_AMQP_URI": rabbit["AMQP_URI"],
           "DOUDI_LOG_LEVEL": "WARNING", "DOUDI_LOG_FORMAT": "json",
           "DOUDI_AUTO_MIGRATE": "true"}
    sim = Simulator("cdpf", seed=10_000, jurisdictions=["341502", "341522", "410928"])
    messages = [sim.new_certificate() for _ in range(TOTAL)]

    log_path = tmp_path / "eligibility.log"
    proc = start_eligibility(env, log_path)
    stream = StreamInBackground(rabbit, messages)
    try:
        # kill it mid-stream: some applied, most still to come
        wait_for(lambda: counts(engine)["inbox"] >= TOTAL * 3 // 20, timeout=90, interval=0.1,
                 message="eligibility to apply some of the events")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        at_kill = counts(engine)
        assert 0 < at_kill["inbox"] < TOTAL
        proc = start_eligibility(env, log_path)
        stream.join(timeout=120)

        def done():
            c = counts(engine)
            return c if c["inbox"] >= TOTAL and c["unsent"] == 0 else None
        final = wait_for(done, timeout=360, interval=0.5,
                         message=f"all {TOTAL} events applied (log: {log_path})")
        figures = caseload_by_division(rabbit, messages)
    finally:
        stop_process(proc)
    assert final == {"persons": TOTAL, "facts": TOTAL, "fact_events": TOTAL, "inbox": TOTAL,
                     "registered": TOTAL, "unsent": 0}, (at_kill, final)
    with engine.connect() as conn:
        applied = {r[0] for r in conn.execute(sa.text("SELECT event_id FROM inbox"))}
    assert applied == {m.message_id for m in messages}
    engine.dispose()
    # the officials' figures (issue 18) are exact after the kill: each county's
    # and township's registered count is the stream's count of its people
    assert len(figures) > 3
    for division, (expected, got) in figures.items():
        assert got == expected, (division, expected, got)
