"""RabbitMQ stopped for a few seconds under load, then started again (issue
22): during the outage every answer that needs the broker is a 503
problem+json in time (no 500, no hang past the RPC timeout), and eligibility's
reads over HTTP go on; from 2 s after the broker is back, no failed
request — not even on request threads whose connections died while idle;
events a department published during the outage (held by its client) and
events written to the outbox during it arrive once, in order per aggregate.
eligibility and the gateway (gunicorn, gthread) run as real processes, the
load (bench/load.py) and the department (``doudi-dept simulate``) in
processes of their own."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from doudi_common.dates import SHANGHAI
from doudi_common.testing.fixtures import free_port, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_departments.simulate import interleave, simulators
from kombu import Connection, Exchange, Queue

from bench.load import running_load
from bench.processes import BIN, SuiteProcesses, check_load, metric_value, scrape

RPC_TIMEOUT = 3

pytestmark = pytest.mark.slow


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def eligibility_and_gateway(rabbit, tmp_path, db_url: str | None = None):
    """eligibility (on ``db_url``, else SQLite under ``tmp_path``) and the
    gateway under gunicorn (12 threads: 8 for a test's own callers, 4 for the
    load process) as real processes; yields the running suite and an admin's
    bearer header."""
    suite = SuiteProcesses(rabbit, tmp_path, ["eligibility"], rpc_timeout=RPC_TIMEOUT,
                           threads=12, db_urls={"eligibility": db_url} if db_url else None,
                           metrics_ports={"eligibility": free_port()})
    try:
        suite.start().wait_ready(timeout=60)
        yield suite, suite.login()
    finally:
        suite.stop()


@pytest.fixture
def suite(rabbit, tmp_path):
    try:
        with eligibility_and_gateway(rabbit, tmp_path) as running:
            yield running
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=60)


#: a read through the broker (the person list: ``list_persons`` is not offered
#: over HTTP), and one eligibility answers over HTTP (``get_person``: 404, no such person)
LIST = "/api/v1/persons?per_page=1"
PERSON = f"/api/v1/persons/{make_id_number(region='341502', seq=5)}"


def read(base: str, headers: dict, path: str = LIST) -> tuple[int, float, str]:
    started = time.monotonic()
    resp = requests.get(f"{base}{path}", headers=headers, timeout=30)
    return resp.status_code, time.monotonic() - started, resp.headers.get("Content-Type", "")


def test_a_broker_restart_costs_no_request_after_it(suite, tmp_path):
    running, headers = suite
    base = running.base
    with ThreadPoolExecutor(16) as pool, \
            running_load(base, headers, tmp_path / "load.jsonl") as load:
        # every gateway thread has a live connection before the restart
        warm = list(pool.map(lambda _: read(base, headers), range(64)))
        assert {s for s, _, _ in warm} == {200}, warm
        rabbitmqctl("stop_app")
        try:
            time.sleep(1)
            with ThreadPoolExecutor(8) as callers:  # one caller per gateway thread
                outage = list(callers.map(lambda _: read(base, headers), range(16)))
            # a read eligibility answers over HTTP does not need the broker: the
            # service's own answer (no such person), not a 503
            person_in_outage = read(base, headers, PERSON)[0]
        finally:
            rabbitmqctl("start_app")
        assert {s for s, _, _ in outage} == {503}, outage
        assert person_in_outage == 404
        assert all("problem+json" in c for _, _, c in outage), outage
        # each caller has a gateway thread to itself: none waits past the RPC timeout
        assert max(t for _, t, _ in outage) < RPC_TIMEOUT + 1, sorted(t for _, t, _ in outage)
        recovered = running.wait_recovered()
        after = list(pool.map(lambda _: read(base, headers), range(96)))
        time.sleep(2)  # the load process goes on after the recovery too
    assert [s for s, _, _ in after if s != 200] == [], after
    statuses = check_load(load.records, recovered, slowest=RPC_TIMEOUT + 1)
    assert statuses.get(503), statuses  # the load process met the outage
    assert statuses.get(200), statuses  # and wrote persons before and after it


SEED, COUNT = 22, 1500


def _tap(rabbit) -> Queue:
    """A durable queue of everything eligibility publishes, declared before the
    stream so nothing published is missed; drained after the recovery."""
    queue = Queue("fault-tap.eligibility", Exchange("eligibility.events", type="topic",
                                                    no_declare=True),
                  routing_key="#", durable=True)
    with Connection(rabbit["AMQP_URI"]) as conn:
        queue(conn.channel()).declare()
    return queue


def _drain(rabbit, queue: Queue) -> list[dict]:
    got = []
    with Connection(rabbit["AMQP_URI"]) as conn:
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            got.append(json.loads(message.body))
    return got


def _moment(value) -> datetime:
    """A moment as SQLite keeps it (Asia/Shanghai wall time, doudi_common.timestamps)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def last_words(published) -> dict[str, tuple | None]:
    """Each person's certificate (number, grade) after the department's
    stream, in the order it was sent; None when revoked or expired by then."""
    state: dict[str, dict | None] = {}
    last_day = max(m.envelope["time"][:10] for m in published)
    for m in published:
        data = m.envelope["data"]
        if m.event_type in ("certificate.issued", "certificate.changed"):
            state[data["id_number"]] = data
        elif m.event_type == "certificate.revoked":
            held = state.get(data["id_number"])
            if held and held["certificate_no"] == data["certificate_no"]:
                state[data["id_number"]] = None
    return {pid: (c["certificate_no"], c["grade"])
            if c and (c["valid_until"] is None or c["valid_until"] >= last_day) else None
            for pid, c in state.items()}


def certificates_read(engine, published) -> dict[str, tuple | None]:
    """Each person's certificate as eligibility's own reading of the stored
    history gives it (store.persons.load_facts, domain.person.snapshot)."""
    from datetime import date

    from doudi_eligibility.domain.person import snapshot
    from doudi_eligibility.store.persons import get_person_row, load_facts
    from sqlalchemy.orm import Session

    on = date.fromisoformat(max(m.envelope["time"][:10] for m in published))
    read = {}
    with Session(engine) as session:
        for pid in {m.envelope["data"]["id_number"] for m in published
                    if m.event_type.startswith("certificate.")}:
            row = get_person_row(session, pid)
            cert = snapshot(row["birth_date"], row["division_code"], row["registration"],
                            load_facts(session, pid), on).certificate
            read[pid] = (cert.payload["certificate_no"], cert.payload["grade"]) if cert else None
    return read


def stream_through(rabbit, tmp_path, engine, fault, *, written_during: bool = True) -> None:
    """CDPF publishes a stream (a process of its own, ``doudi-dept simulate``)
    while ``fault()`` runs once it flows; eligibility (its database behind
    ``engine``) applies each event once, reads each person as the department's
    last word says, and publishes what it wrote to its outbox — also during the
    fault, when ``written_during`` — once it is over, each event on the wire,
    in order per person."""
    tap = _tap(rabbit)
    parts = urlsplit(rabbit["AMQP_URI"])
    template = (f"amqp://{{user}}:{{password}}@{parts.hostname}:{parts.port or 5672}"
                f"{parts.path}")
    department = subprocess.Popen(
        [str(BIN / "doudi-dept"), "simulate", "cdpf", "--seed", str(SEED), "--count",
         str(COUNT), "--rate", "100", "--jurisdiction", "341502", "--uri", template],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "dept.log", "wb"))  # noqa: SIM115

    def applied() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()
    try:
        wait_for(lambda: applied() >= COUNT // 5, timeout=60, interval=0.02,
                 message="the stream flowing")
        stopped = datetime.now(UTC)
        fault()
        started = datetime.now(UTC)
        assert department.wait(timeout=180) == 0, (tmp_path / "dept.log").read_text()
        wait_for(lambda: applied() == COUNT, timeout=120, interval=0.5,
                 message="every event applied")
        with engine.connect() as conn:
            wait_for(lambda: conn.execute(sa.text(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar_one() == 0,
                timeout=60, interval=0.5, message="the outbox drained")
            outbox = conn.execute(sa.text(
                "SELECT event_id, aggregate_key, created_at FROM outbox ORDER BY seq")).all()
            facts = conn.execute(sa.text(
                "SELECT source_event_id FROM person_facts WHERE source = 'cdpf'"
                " ORDER BY id")).scalars().all()
    finally:
        if department.poll() is None:
            department.kill()
        engine.dispose()
    published = list(interleave(simulators(["cdpf"], SEED, ["341502"]), COUNT, 0.0, SEED))
    # each department event applied once (the inbox and the facts)
    assert len(facts) == len(set(facts)) and set(facts) <= {m.message_id for m in published}
    # and eligibility reads each person as the department's last word says,
    # whatever order redeliveries applied the events in
    assert certificates_read(engine, published) == last_words(published)
    during = [r for r in outbox if stopped <= _moment(r.created_at) <= started]
    if written_during:
        assert during, "no outbox row written between the fault and the recovery"
    wire = _drain(rabbit, tap)
    first_seen = list(dict.fromkeys(e["id"] for e in wire))
    assert set(first_seen) == {r.event_id for r in outbox}
    position = {event_id: n for n, event_id in enumerate(first_seen)}
    for key in {r.aggregate_key for r in outbox}:
        seen = [position[r.event_id] for r in outbox if r.aggregate_key == key]
        assert seen == sorted(seen), key
    print(f"{len(outbox)} outbox rows, {len(during)} written between the fault and the "
          f"recovery, {len(wire) - len(first_seen)} sent twice on the wire (a lost confirm)")


def sample(port: int, name: str, **labels: str) -> float:
    """eligibility's ``name`` summed over the samples with ``labels``, as
    Prometheus scrapes it."""
    return metric_value(scrape(port), name, **labels)


def outbox_pending(port: int) -> float:
    return sample(port, "doudi_outbox_pending", service="eligibility")


def _write_event(db_url: str) -> None:
    """eligibility's own outbox writer adds a person.registered (the contract's
    example data) in a transaction of its own."""
    from doudi_common.db import DatabaseCore
    from doudi_contracts.registry import example_envelope
    from doudi_eligibility.models import metadata

    core = DatabaseCore(db_url, "doudi_eligibility", "eligibility", metadata)
    try:
        data = example_envelope("eligibility", "person.registered")["data"]
        with core.unit_of_work() as uow:
            uow.outbox.add("person.registered", data, key=data["id_number"])
    finally:
        core.dispose()


def test_events_during_an_outage_arrive_once_in_order(suite, rabbit, tmp_path):
    """A CDPF stream through a broker outage (``stream_through``); the
    department's client held what it published meanwhile, and the operator saw
    the outbox back up during the outage and drain after it (issue 19)."""
    running, _headers = suite
    port = running.metrics_ports["eligibility"]
    pending: list[float] = []

    db_url = f"sqlite:///{tmp_path / 'var' / 'eligibility.db'}"

    def outage():
        rabbitmqctl("stop_app")
        # an event written while the broker is away, as a timer's would be
        _write_event(db_url)
        for _ in range(15):  # ~3 s
            pending.append(outbox_pending(port))
            time.sleep(0.2)
        rabbitmqctl("start_app")
    stream_through(rabbit, tmp_path, sa.create_engine(db_url), outage)
    assert "broker unreachable" in (tmp_path / "dept.log").read_text(encoding="utf-8")
    assert max(pending) > 0, pending
    assert outbox_pending(port) == 0
    # the relay's failed rounds during the outage are counted for the operator
    assert sample(port, "doudi_outbox_relay_failures_total") > 0
