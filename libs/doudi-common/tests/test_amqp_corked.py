"""``corked(connection)`` (doudi_common.amqp_io): a batch of publishes or acks
leaves in one socket write, and the broker receives the same messages in the
same order, properties and bodies included, as without it."""

from __future__ import annotations

import amqp
import pytest
from doudi_common.amqp_io import corked
from kombu import Connection, Exchange, Queue

EXCHANGE = Exchange("eligibility.events", type="topic", durable=True, no_declare=True)


@pytest.fixture
def queue(rabbit):
    queue = Queue("corked-test", exchange=EXCHANGE, routing_key="#", durable=False,
                  auto_delete=False)
    with Connection(rabbit["AMQP_URI"]) as conn:
        queue(conn.channel()).declare()
    return queue


class CountingWrites:
    """Counts a transport's socket writes (``_write``: the socket's ``sendall``,
    which every frame written goes through) while passing them on."""

    def __init__(self, transport):
        self.transport, self.calls = transport, 0
        self._write = transport._write

    def __enter__(self):
        def write(data):
            self.calls += 1
            return self._write(data)

        self.transport._write = write
        return self

    def __exit__(self, *exc):
        self.transport._write = self._write


def publish(channel, n: int, body_size: int = 40) -> None:
    for i in range(n):
        channel.basic_publish(amqp.Message(
            f"{i:06d}".encode() + b"x" * body_size, content_type="application/json",
            message_id=f"m-{i}", delivery_mode=2, application_headers={"n": i}),
            exchange=EXCHANGE.name, routing_key="person.registered")


def drain(uri: str, queue: Queue, expected: int) -> list:
    with Connection(uri) as conn:
        channel = conn.channel()
        got = []
        for _ in range(expected + 1):
            message = channel.basic_get(queue.name, no_ack=True)
            if message is None:
                break
            got.append(message)
        return got


@pytest.mark.parametrize("body_size", [40, 200_000])  # one frame each; split bodies
def test_a_corked_batch_is_one_write_and_arrives_whole_and_in_order(rabbit, queue, body_size):
    with Connection(rabbit["AMQP_URI"]) as conn:
        channel = conn.channel()
        connection = channel.connection
        with CountingWrites(connection.transport) as writes:
            with corked(connection):
                publish(channel, 50, body_size)
                assert writes.calls == 0  # held until the block ends
            assert writes.calls == 1
            # after the block: as before, one write per message
            publish(channel, 2)
            assert writes.calls == 3
        channel.basic_qos(0, 1, False)  # a round trip: everything before it arrived
    got = drain(rabbit["AMQP_URI"], queue, 52)
    assert [m.properties["message_id"] for m in got] == [f"m-{i}" for i in range(50)] + [
        "m-0", "m-1"]
    assert [m.headers["n"] for m in got[:50]] == list(range(50))
    assert all(len(m.body) == 6 + body_size for m in got[:50])
    assert got[7].body[:6] == b"000007"


def test_nested_blocks_are_one_write_and_a_block_that_raises_still_sends(rabbit, queue):
    with Connection(rabbit["AMQP_URI"]) as conn:
        channel = conn.channel()
        connection = channel.connection
        with CountingWrites(connection.transport) as writes:
            with corked(connection):
                publish(channel, 2)
                with corked(connection):
                    publish(channel, 2)
                assert writes.calls == 0
            assert writes.calls == 1
            with pytest.raises(RuntimeError), corked(connection):
                publish(channel, 3)
                raise RuntimeError("after three")
            assert writes.calls == 2
        channel.basic_qos(0, 1, False)
    assert len(drain(rabbit["AMQP_URI"], queue, 7)) == 7


def test_corked_acks_settle_every_message(rabbit, queue):
    with Connection(rabbit["AMQP_URI"]) as conn:
        channel = conn.channel()
        publish(channel, 20)
        channel.basic_qos(0, 1, False)
        messages = [channel.basic_get(queue.name, no_ack=False) for _ in range(20)]
        with CountingWrites(channel.connection.transport) as writes:
            with corked(channel.connection):
                for message in messages:
                    channel.basic_ack(message.delivery_tag)
            assert writes.calls == 1
        channel.basic_qos(0, 1, False)
    with Connection(rabbit["AMQP_URI"]) as conn:
        _name, ready, _consumers = conn.channel().queue_declare(queue.name, passive=True)
    assert ready == 0  # acked, not returned to the queue when the connection closed
