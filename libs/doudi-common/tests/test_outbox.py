"""The transactional outbox against real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import eventlet
import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_common.outbox import OutboxRelay
from doudi_common.testing.fixtures import wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_eligibility.models import metadata


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


def person_registered(seq: int = 1) -> dict:
    return {"id_number": make_id_number(seq=seq), "name": "李四", "birth_date": "1952-03-14",
            "sex": "male", "division_code": "341502001001"}


@pytest.fixture
def core(make_db):
    db = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility", metadata)
    yield db
    db.dispose()


@pytest.fixture
def relay(core, rabbit):
    relays = []

    def make():
        r = OutboxRelay(core, rabbit["AMQP_URI"], poll_interval=0.05)
        relays.append(r)
        return r

    yield make
    for r in relays:
        r.stop()


def add_event(core, seq=1, fail=False) -> str:
    with core.unit_of_work() as uow:
        event_id = uow.outbox.add("person.registered", person_registered(seq))
        if fail:
            raise RuntimeError("business failure after the event was added")
    return event_id


def test_event_of_a_rolled_back_transaction_is_never_published(core, relay, event_tap):
    tap = event_tap("eligibility", "#")
    with pytest.raises(RuntimeError):
        add_event(core, fail=True)
    assert relay().publish_pending() == 0
    kept = add_event(core, seq=2)
    assert relay().publish_pending() == 1
    received = wait_for(lambda: tap.poll(), message="the committed event")
    assert [e["id"] for e in received] == [kept]


def test_published_message_follows_the_department_contract(core, relay, event_tap, rabbit):
    tap = event_tap("eligibility", "person.*")
    event_id = add_event(core)
    relay().publish_pending()
    envelope = tap.wait_for(lambda e: e["id"] == event_id)
    message = tap.messages[0]
    assert message.properties["message_id"] == event_id
    assert message.properties["user_id"] == rabbit["username"]
    assert message.properties["delivery_mode"] == 2
    assert message.properties["content_type"] == "application/json"
    assert message.delivery_info["routing_key"] == "person.registered"
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "eligibility/341502001001"
    assert envelope["type"] == "person.registered"
    assert envelope["data"]["name"] == "李四"


def test_crash_after_publish_before_mark_resends_same_message_id(core, relay, event_tap,
                                                                 monkeypatch):
    tap = event_tap("eligibility", "#")
    first, second = add_event(core, 1), add_event(core, 2)
    crashing = relay()

    def die(seqs):
        raise Crash()

    monkeypatch.setattr(crashing, "mark_sent", die)
    with pytest.raises(Crash):
        crashing.publish_pending()
    assert len(crashing.pending()) == 2, "nothing may be marked sent by a dead relay"
    wait_for(lambda: len(tap.poll()) == 2)

    restarted = relay()
    assert restarted.publish_pending() == 2
    assert restarted.pending() == []
    wait_for(lambda: len(tap.poll()) == 4)
    ids = [e["id"] for e in tap.received]
    assert ids == [first, second, first, second], "order kept, same ids re-sent"


def test_relay_publishes_in_commit_order(core, relay, event_tap):
    tap = event_tap("eligibility", "#")
    ids = [add_event(core, n) for n in range(1, 21)]
    relay().publish_pending()
    wait_for(lambda: len(tap.poll()) == 20)
    assert [e["id"] for e in tap.received] == ids


def test_relay_carries_on_after_its_connection_is_closed(core, relay, event_tap, rabbit_manager,
                                                         rabbit):
    tap = event_tap("eligibility", "#", user="cdpf")  # a department's consumer
    running = relay()
    thread = eventlet.spawn(running.run)
    try:
        first = add_event(core, 1)
        running.wake()
        tap.wait_for(lambda e: e["id"] == first)

        def relay_connections():
            return [c for c in rabbit_manager.get_connections()
                    if c.get("vhost") == rabbit["vhost"] and c.get("user") == rabbit["username"]]
        names = [c["name"] for c in wait_for(relay_connections, message="relay connection")]
        for name in names:
            rabbit_manager.delete_connection(name)

        second = add_event(core, 2)
        running.wake()
        tap.wait_for(lambda e: e["id"] == second, timeout=20)
        # marked sent once the broker's confirm is in (just after the tap sees it)
        wait_for(lambda: running.pending() == [], message="the event marked sent")
    finally:
        running.stop()
        thread.wait()


def test_events_committed_wakes_the_relay(core, relay, event_tap):
    tap = event_tap("eligibility", "#")
    running = relay()
    running.poll_interval = 30  # only the wake-up can make it publish in time
    core.relay = running
    thread = eventlet.spawn(running.run)
    try:
        eventlet.sleep(0.2)
        event_id = add_event(core)
        tap.wait_for(lambda e: e["id"] == event_id, timeout=5)
    finally:
        running.stop()
        thread.wait()


def test_outbox_rows_record_when_they_were_sent(core, relay):
    add_event(core)
    relay().publish_pending()
    with core.engine.connect() as conn:
        row = conn.execute(sa.select(core.outbox_table)).one()
    assert row.sent_at is not None and row.attempts == 1


def test_a_later_seq_waits_while_a_lower_one_may_still_commit(core, relay, event_tap):
    """Two writers: the one with the lower seq commits after the other. The
    relay holds the later rows back while the gap may still close, so the wire
    keeps the outbox's order; a gap that lasts (a rolled-back transaction's)
    holds them only for ``gap_grace``."""
    import time

    tap = event_tap("eligibility", "#")
    r = relay()
    r.gap_grace = 30
    first = add_event(core, 1)
    assert r.publish_pending() == 1
    with core.unit_of_work() as slow:
        held = slow.outbox.add("person.registered", person_registered(2))  # takes seq 2
        later = add_event(core, 3)  # seq 3, committed first
        assert r.publish_pending() == 0  # seq 3 waits behind the open seq 2
    assert r.publish_pending() == 2
    wait_for(lambda: len(tap.poll()) == 3, message="three events")
    assert [e["id"] for e in tap.received] == [first, held, later]
    r.gap_grace = 0.3
    with pytest.raises(RuntimeError):
        add_event(core, 4, fail=True)  # seq 4 rolled back: a gap for ever
    last = add_event(core, 5)
    assert r.publish_pending() == 0
    time.sleep(0.4)
    assert r.publish_pending() == 1
    wait_for(lambda: len(tap.poll()) == 4, message="the event after the gap")
    assert tap.received[-1]["id"] == last
