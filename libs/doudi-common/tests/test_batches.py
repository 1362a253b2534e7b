"""Batched delivery of subscriptions, against real RabbitMQ and PostgreSQL/SQLite.

A probe service subscribes to ``cdpf.events``; its handler refuses events whose
name is ``坏`` (a handler's ``Invalid``) and records what it saw. Messages are
published before it starts, so they reach it as one batch."""

from __future__ import annotations

import os

import sqlalchemy as sa
from doudi_common.db import Database, DatabaseCore
from doudi_common.entrypoints import subscribe, subscription_queue
from doudi_common.errors import Invalid
from doudi_common.testing.fixtures import count_rows, department_envelope, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_common.testing.samples import certificate_issued
from doudi_eligibility.models import counters, metadata
from kombu import Connection

SEEN: list[list[str]] = []  # per handler call: the event ids it got, in order


class ProbeService:
    name = "probe"
    db = Database(metadata, package="doudi_eligibility")

    @subscribe("cdpf", "#")
    def on_cdpf(self, event):
        SEEN.append([event["id"]])
        if event["data"]["name"] == "坏":
            raise Invalid("测试：拒绝这一条", field="name")
        # an effect in the same transaction (a table the probe borrows)
        self.db.session.execute(sa.insert(counters).values(name=event["id"], value=1))


class BatchProbeService:
    name = "batchprobe"
    db = Database(metadata, package="doudi_eligibility", relay=False)

    @subscribe("cdpf", "#", batch=True)
    def on_cdpf(self, events):
        SEEN.append([e["id"] for e in events])


def _declare(rabbit, service):
    with Connection(rabbit["AMQP_URI"]) as conn:
        subscription_queue(service, "cdpf", "on_cdpf", ["#"],
                           os.environ.get("DOUDI_QUEUE_TYPE"))(conn.channel()).declare()


def _certificates(names):
    out = []
    for seq, name in enumerate(names, start=1):
        data = certificate_issued(make_id_number(seq=seq))
        data["name"] = name
        out.append(department_envelope("cdpf", "certificate.issued", data))
    return out


def _start(container_factory, service_config, cls):
    config = service_config("eligibility", SUBSCRIBE_BATCH_MAX=50)
    container = container_factory(cls, config)
    container.start()
    return container


def test_a_bad_event_in_a_batch_is_dead_lettered_alone(rabbit, container_factory,
                                                        service_config, publish_as,
                                                        dead_letters):
    SEEN.clear()
    _declare(rabbit, "probe")
    envelopes = _certificates(["张三", "李四", "坏", "王五", "赵六"])
    for envelope in envelopes:
        publish_as("cdpf", "certificate.issued", envelope=envelope)
    probe = _start(container_factory, service_config, ProbeService)

    wait_for(lambda: count_rows(probe, "inbox") == 4, message="four events applied")
    letters = []
    wait_for(lambda: letters.extend(dead_letters("probe")) or letters, message="a dead letter")
    (reason, headers, _body), = letters
    assert reason == "rejected_by_handler:invalid"
    assert headers["x-doudi-queue"] == "probe.cdpf.on_cdpf"
    bad = envelopes[2]["id"]
    assert count_rows(probe, "inbox", event_id=bad) == 0
    # the whole batch went through the handler first, in order (then rolled
    # back); after the failure each event was handled again on its own
    ids = [e["id"] for e in envelopes]
    flat = [call[0] for call in SEEN]
    assert flat[:3] == ids[:3] and flat[3:] == ids, flat
    assert count_rows(probe, "counters") == 4
    assert count_rows(probe, "counters", name=bad) == 0


def test_batch_handler_gets_the_events_at_once_without_duplicates(
        rabbit, container_factory, service_config, publish_as):
    SEEN.clear()
    _declare(rabbit, "batchprobe")
    envelopes = _certificates(["张三", "李四", "王五"])
    for envelope in [*envelopes, envelopes[0]]:  # the first one twice
        publish_as("cdpf", "certificate.issued", envelope=envelope)
    probe = _start(container_factory, service_config, BatchProbeService)

    wait_for(lambda: count_rows(probe, "inbox") == 3, message="three claimed")
    # what was waiting comes in batches (how many depends on the broker's
    # delivery pace on a loaded machine), each event once, in order
    assert [i for call in SEEN for i in call] == [e["id"] for e in envelopes]
    assert max(len(call) for call in SEEN) > 1
    first_calls = len(SEEN)
    # a later redelivery of the same events is no news
    for envelope in envelopes:
        publish_as("cdpf", "certificate.issued", envelope=envelope)
    later = _certificates(["钱七"])[0]
    publish_as("cdpf", "certificate.issued", envelope=later)
    wait_for(lambda: count_rows(probe, "inbox") == 4, message="the later one claimed")
    assert [later["id"]] in SEEN
    assert all(e["id"] not in call for call in SEEN[first_calls:] for e in envelopes)


def _claims(core):
    with core.unit_of_work() as uow:
        first = uow.inbox.claim_many(
            [{"id": "a", "type": "t"}, {"id": "b", "type": "t"}, {"id": "a", "type": "t"}], "h")
    with core.unit_of_work() as uow:
        second = uow.inbox.claim_many(
            [{"id": "c", "type": "t"}, {"id": "b", "type": "t"}], "h", source="cdpf")
        other_handler = uow.inbox.claim("b", "h2")
        again = uow.inbox.claim("c", "h")
    return [e["id"] for e in first], [e["id"] for e in second], other_handler, again


def test_claim_many_on_postgresql(make_db):
    core = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility",
                        metadata)
    try:
        assert _claims(core) == (["a", "b"], ["c"], True, False)
        with core.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one() == 4
    finally:
        core.dispose()


def test_claim_many_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'eligibility.db'}"
    core = DatabaseCore(url, "doudi_eligibility", "eligibility", metadata)
    try:
        core.migrate()
        assert _claims(core) == (["a", "b"], ["c"], True, False)
    finally:
        core.dispose()


# -- a write that loses a race ---------------------------------------------------------

RIVAL: dict = {}  # the database URL, how many times the rival writes first, and
# whether the handler's own write always collides (a bug, not a race)


class RacingProbeService:
    """Check-then-insert, as a handler that keeps one row per key: between its
    look and its insert, another transaction (another replica, or another
    worker of this process while a query waits) inserts the same key."""

    name = "racingprobe"
    db = Database(metadata, package="doudi_eligibility")

    @subscribe("cdpf", "#")
    def on_cdpf(self, event):
        SEEN.append([event["id"]])
        session = self.db.session
        if RIVAL["collides"]:
            session.execute(sa.insert(counters).values(name=event["id"], value=1))
            session.execute(sa.insert(counters).values(name=event["id"], value=1))
            return
        row = session.execute(sa.select(counters.c.value).where(
            counters.c.name == "tally")).first()
        if row is None:
            if RIVAL["wins"] > 0:  # the rival commits its row after our look
                RIVAL["wins"] -= 1
                engine = sa.create_engine(RIVAL["url"])
                with engine.begin() as conn:
                    conn.execute(sa.delete(counters).where(counters.c.name == "tally"))
                    conn.execute(sa.insert(counters).values(name="tally", value=10))
                engine.dispose()
            session.execute(sa.insert(counters).values(name="tally", value=1))
        else:
            session.execute(sa.update(counters).where(counters.c.name == "tally")
                            .values(value=counters.c.value + 1))


def _race(rival_wins, rabbit, container_factory, service_config, publish_as):
    SEEN.clear()
    _declare(rabbit, "racingprobe")
    config = service_config("eligibility", SUBSCRIBE_BATCH_MAX=50)
    RIVAL.update(url=config["DB_URL"], wins=rival_wins, collides=rival_wins is None)
    envelope = _certificates(["张三"])[0]
    publish_as("cdpf", "certificate.issued", envelope=envelope)
    probe = container_factory(RacingProbeService, config)
    probe.start()
    return probe, envelope


def test_a_write_that_lost_a_race_is_handled_again(rabbit, container_factory,
                                                   service_config, publish_as,
                                                   dead_letters):
    probe, envelope = _race(1, rabbit, container_factory, service_config, publish_as)
    wait_for(lambda: count_rows(probe, "inbox") == 1, message="the event applied")
    # the first run hit the rival's row (a unique violation, rolled back); the
    # second saw it and added to it
    runs = list(SEEN)
    assert runs == [[envelope["id"]], [envelope["id"]]]
    url = RIVAL["url"]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(counters.c.value).where(
            counters.c.name == "tally")).scalar_one() == 11
    engine.dispose()
    assert dead_letters("racingprobe") == []


def test_a_write_that_always_collides_is_dead_lettered(rabbit, container_factory,
                                                    service_config, publish_as,
                                                    dead_letters):
    from doudi_common.entrypoints.subscribe import CONTENTION_RUNS

    probe, envelope = _race(None, rabbit, container_factory, service_config,
                             publish_as)
    letters = []
    wait_for(lambda: letters.extend(dead_letters("racingprobe")) or letters,
             message="a dead letter")
    (reason, _headers, body), = letters
    assert reason == "handler_error"
    assert envelope["id"] in (body.decode() if isinstance(body, bytes) else str(body))
    # run CONTENTION_RUNS times, then settled as any handler error
    runs = list(SEEN)
    assert runs == [[envelope["id"]]] * CONTENTION_RUNS
    assert count_rows(probe, "inbox") == 0 and count_rows(probe, "counters") == 0
