"""The ingest bench's bus-only ceiling on the real broker: it does the bus work
of ingest — every certificate consumed and acked, one ``person.registered`` per
certificate on each queue bound to it — and nothing is left behind."""

from __future__ import annotations

import json

from kombu import Connection

from bench.bench_ingest import bus_only, make_messages, scratch_vhost

READERS = ("funding.eligibility.on_eligibility",
           "institutions.eligibility.on_person_registered",
           "services_log.eligibility.on_person_registered")


def _depth(conn, queue: str) -> int:
    return conn.channel().queue_declare(queue, passive=True).message_count


def test_the_bus_only_ceiling_consumes_every_event_and_publishes_one_each():
    messages = make_messages(60)
    with scratch_vhost() as uri_for:
        seconds, line = bus_only(uri_for, messages)
        with Connection(uri_for("admin")) as conn:
            assert _depth(conn, "eligibility.cdpf.on_cdpf") == 0  # all acked
            assert [_depth(conn, q) for q in READERS] == [60, 60, 60]
            message = conn.channel().basic_get(READERS[1], no_ack=True)
            assert message.properties["type"] == "person.registered"
            assert message.properties["user_id"] == "eligibility"
            assert json.loads(message.body)["type"] == "person.registered"
    assert seconds > 0
    assert line.startswith("CPU per event (ms): publisher and consumer (bench)")
