"""Batched publisher confirms (``doudi_common.confirms``) and the relay using
them: many messages, one wait; a refusal marks only the confirmed prefix."""

from __future__ import annotations

import pytest
from doudi_common.confirms import ConfirmError, Confirms
from kombu import Connection, Exchange, Producer, Queue


@pytest.fixture
def limited_queue(rabbit):
    """A queue taking 2 messages and refusing (nack) more: the broker's way to
    say no to a publisher."""
    exchange = Exchange("eligibility.events", type="topic", durable=True, no_declare=True)
    queue = Queue("confirms-test-limited", exchange=exchange, routing_key="#",
                  queue_arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
    with Connection(rabbit["AMQP_URI"]) as conn:
        queue(conn.channel()).declare()
    return queue


def publish_batch(uri, n, exchange="eligibility.events"):
    with Connection(uri) as conn:
        channel = conn.channel()
        confirms = Confirms(channel)
        producer = Producer(channel)
        for i in range(n):
            producer.publish({"n": i}, exchange=exchange, routing_key="person.registered",
                             delivery_mode=2, retry=False, declare=[])
            confirms.published(i)
        assert confirms.outstanding <= n
        return confirms.wait(timeout=20)


def test_a_batch_is_confirmed_in_order(rabbit):
    assert publish_batch(rabbit["AMQP_URI"], 500) == list(range(500))


def test_a_refused_message_raises_with_the_confirmed_prefix(rabbit, limited_queue):
    with pytest.raises(ConfirmError) as info:
        publish_batch(rabbit["AMQP_URI"], 5)
    assert info.value.confirmed == [0, 1]


def test_relay_marks_only_the_confirmed_prefix(make_db, rabbit, limited_queue):
    from doudi_common.db import DatabaseCore
    from doudi_common.outbox import OutboxRelay
    from doudi_common.testing.idnumbers import make_id_number
    from doudi_eligibility.models import metadata

    core = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility",
                        metadata)
    for seq in range(1, 6):
        with core.unit_of_work() as uow:
            uow.outbox.add("person.registered", {
                "id_number": make_id_number(seq=seq), "name": "李四",
                "birth_date": "1952-03-14", "sex": "male", "division_code": "341502001001"})
    relay = OutboxRelay(core, rabbit["AMQP_URI"], poll_interval=0.05)
    try:
        with pytest.raises(ConfirmError):
            relay.publish_pending()
        assert len(relay.pending()) == 3, "2 confirmed and marked, 3 refused and kept"
        # once the consumer makes room, the rest goes out (same ids, in order)
        with Connection(rabbit["AMQP_URI"]) as conn:
            conn.channel().queue_purge(limited_queue.name)
        relay._close_connection()
        with pytest.raises(ConfirmError):
            relay.publish_pending()     # room for 2 of the 3
        assert len(relay.pending()) == 1
        with Connection(rabbit["AMQP_URI"]) as conn:
            conn.channel().queue_purge(limited_queue.name)
        relay._close_connection()
        assert relay.publish_pending() == 1
        assert relay.pending() == []
    finally:
        relay.stop()
        core.dispose()
