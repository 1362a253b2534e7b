"""Transactional outbox: events are rows written in the caller's transaction and
published afterwards by a relay.

* ``uow.outbox.add(event_type, data, ...)`` validates ``data`` against its
  contract, wraps it in the CloudEvents envelope and inserts a row — nothing is
  sent if the transaction rolls back.
* ``OutboxRelay`` publishes pending rows strictly in ``seq`` order to
  ``<service>.events`` (topic, durable; routing key = event type; persistent;
  ``message_id`` = event id; ``user_id`` = our AMQP user) **with publisher
  confirms**, then marks them sent. A crash between confirm and mark re-sends
  those rows on restart with the same ``message_id``: consumers dedupe through
  their inbox. Any broker/connection failure drops the connection and retries
  with back-off; nothing confirmed is lost and nothing is marked unconfirmed.
  A batch is published first and its confirms awaited together
  (``doudi_common.confirms``): the broker acks many messages at once, so the
  relay is not limited to one round trip and one disk sync per event. Only the
  gap-free confirmed prefix of a batch is marked sent.
* On PostgreSQL only one relay per service publishes at a time (advisory lock),
  so replicas keep the order.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
import zlib
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse

import amqp
import sqlalchemy as sa
from kombu import Connection, Exchange, Producer

from doudi_common.amqp_io import corked, no_poll_before_publish
from doudi_common.confirms import Confirms
from doudi_common.dates import utcnow
from doudi_common.logs import get_logger
from doudi_common.metrics import OUTBOX_CONFIRM_SECONDS, OUTBOX_PUBLISHED, RELAY_FAILURES
from doudi_common.queries import any_of_param, built_once, bulk_insert
from doudi_common.tracing import traceparent

log = get_logger(__name__)

#: Seconds the relay holds back rows that follow a gap in ``seq``: a writer
#: that took the missing seq may still be committing (two replicas commit at
#: the same instant and the later seq becomes visible first); a gap that lasts
#: is a rolled-back transaction's, and the rows after it go out.
GAP_GRACE = 1.0

#: From this many events in one ``add_many``, the outbox rows are copied in
#: (``COPY``) rather than inserted.
BULK_ROWS = 20

#: Division used in ``source`` when an event concerns no particular place.
NATIONAL_DIVISION = "100000"


def event_exchange(source: str) -> Exchange:
    """The ``<source>.events`` exchange, declared the same way nameko does
    (topic, durable, not auto-deleted) so both can share it."""
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False,
                    delivery_mode=2)


def event_message(body: bytes, event_id: str, event_type: str, user_id: str,
                  stamp: int) -> amqp.Message:
    """An event as the relay puts it on the wire: the envelope's JSON,
    persistent, ``message_id`` = event id, ``type`` = event type, ``user_id`` =
    the publishing service's AMQP user (the broker checks it)."""
    return amqp.Message(body, content_type="application/json", content_encoding="utf-8",
                        message_id=event_id, type=event_type, user_id=user_id,
                        delivery_mode=2, timestamp=stamp)


def amqp_user(uri: str) -> str:
    return unquote(urlparse(uri.replace("pyamqp://", "amqp://")).username or "guest")


@functools.cache
def _build_envelope() -> Any:
    """The contracts' envelope builder (imported once, when first needed: an
    import statement in the per-event path cost more than a field's check)."""
    from doudi_contracts.registry import build_envelope

    return build_envelope


@functools.cache
def _insert_into(table: sa.Table) -> sa.Insert:
    """The outbox's INSERT, built once (its cache key with it)."""
    return sa.insert(table)


@built_once
def _mark_sent(dialect: str, table: sa.Table) -> sa.Update:
    """The relay's ``UPDATE … SET sent_at`` of the rows ``:seqs``: on
    PostgreSQL of one array (one statement text for any batch, which psycopg
    prepares), an expanded ``IN`` elsewhere."""
    return (sa.update(table).where(any_of_param(dialect, table.c.seq, "seqs"))
            .values(sent_at=sa.bindparam("sent"), attempts=table.c.attempts + 1))


class OutboxWriter:
    def __init__(self, uow, database):
        self._uow = uow
        self._database = database

    def add(self, event_type: str, data: dict[str, Any], *, division_code: str | None = None,
            key: str | None = None, event_id: str | None = None,
            time: datetime | None = None) -> str:
        """Add an event to this unit of work; returns its id.

        ``key`` names the aggregate (e.g. the person's ID number) — kept for
        tracing; order is global per service anyway. ``division_code`` goes
        into the envelope's ``source`` (``eligibility/341502``)."""
        row = self._row(event_type, data, division_code, key, utcnow(), traceparent(),
                        event_id, time)
        self._insert([row])
        return row["event_id"]

    def add_many(self, events: list[tuple[str, dict[str, Any], str | None, str | None]]
                 ) -> list[str]:
        """Add many events in one round trip: ``(type, data, division_code, key)``
        each, validated like :meth:`add`, stored in the given order."""
        if not events:
            return []
        now, parent = utcnow(), traceparent()  # one trace context for the batch
        rows = [self._row(event_type, data, division_code, key, now, parent)
                for event_type, data, division_code, key in events]
        self._insert(rows)
        return [r["event_id"] for r in rows]

    def _row(self, event_type: str, data: dict[str, Any], division_code: str | None,
             key: str | None, now: datetime, parent: str | None,
             event_id: str | None = None, time: datetime | None = None) -> dict[str, Any]:
        """Validate ``data`` against its contract and wrap it in the envelope."""
        division = division_code or data.get("division_code") or NATIONAL_DIVISION
        envelope = _build_envelope()(self._database.service_name, division, event_type, data,
                                  event_id=event_id, time=time)  # None: a new UUID4
        if parent:  # CloudEvents distributed tracing: the consumer continues the trace
            envelope["traceparent"] = parent
        return {"event_id": envelope["id"], "event_type": event_type, "aggregate_key": key,
                "created_at": now,
                "envelope": json.dumps(envelope, ensure_ascii=False, sort_keys=True)}

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if len(rows) < BULK_ROWS:   # one row: a plain execute, not executemany's
            self._uow.session.execute(_insert_into(self._database.outbox_table),
                                      rows[0] if len(rows) == 1 else rows)
        else:   # COPY on PostgreSQL; ``seq`` follows the rows' order either way
            bulk_insert(self._uow.session, self._database.outbox_table, rows)
        self._uow._events_added = True


class OutboxRelay:
    """Publishes the outbox. ``run()`` loops until ``stop()``; ``publish_pending()``
    does one batch and is what tests drive directly."""

    def __init__(self, database, amqp_uri: str, poll_interval: float = 0.5,
                 batch_size: int = 200, backoff_max: float = 30.0,
                 confirm_timeout: float = 30.0, gap_grace: float = GAP_GRACE):
        self.database = database
        self.gap_grace = gap_grace
        # the last seq published (None: read from the table when next needed),
        # and when each gap after it was first seen
        self._last_seq: int | None = None
        self._gaps: dict[int, float] = {}
        self.table = database.outbox_table
        self.amqp_uri = amqp_uri
        self.user_id = amqp_user(amqp_uri)
        self.exchange = event_exchange(database.service_name)
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.backoff_max = backoff_max
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._channel = None
        self._confirms: Confirms | None = None
        self.confirm_timeout = confirm_timeout
        self._lock_conn = None
        self.published_total = 0

    @classmethod
    def from_config(cls, database, config: dict) -> OutboxRelay:
        return cls(database, config["AMQP_URI"],
                   poll_interval=float(config.get("OUTBOX_POLL_INTERVAL", 0.5)),
                   batch_size=int(config.get("OUTBOX_BATCH_SIZE", 200)),
                   backoff_max=float(config.get("RETRY_BACKOFF_MAX", 30.0)))

    # -- loop -----------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._close_connection()
        self._release_lock()

    def run(self) -> None:
        backoff = 0.2
        while not self._stopped.is_set():
            try:
                if not self._hold_lock():
                    self._wake.wait(max(self.poll_interval, 2.0))
                    self._wake.clear()
                    continue
                published = self.publish_pending()
                backoff = 0.2
                if published < self.batch_size:
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
            except Exception as exc:  # noqa: BLE001 - keep relaying whatever happens
                if self._stopped.is_set():
                    break
                log.warning("outbox relay failed, retrying", error=repr(exc), retry_in=backoff)
                RELAY_FAILURES.labels(self.database.service_name).inc()
                self._close_connection()
                self._release_lock()
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)

    # -- one batch ------------------------------------------------------------

    def pending(self, limit: int | None = None) -> list[sa.Row]:
        with self.database.engine.connect() as conn:
            return list(conn.execute(
                sa.select(self.table.c.seq, self.table.c.event_id, self.table.c.event_type,
                          self.table.c.envelope)
                .where(self.table.c.sent_at.is_(None))
                .order_by(self.table.c.seq).limit(limit or self.batch_size)))

    def _in_order(self, rows: list[sa.Row]) -> list[sa.Row]:
        """The rows up to the first gap in ``seq`` that is younger than
        ``gap_grace`` — so the wire keeps the outbox's order when a lower seq
        commits a moment after a higher one."""
        if self._last_seq is None:
            with self.database.engine.connect() as conn:
                self._last_seq = conn.execute(
                    sa.select(sa.func.max(self.table.c.seq))
                    .where(self.table.c.sent_at.is_not(None))).scalar()
        expected, now, ready = self._last_seq, time.monotonic(), []
        for row in rows:
            if expected is not None and row.seq > expected + 1:
                first_seen = self._gaps.setdefault(expected + 1, now)
                if now - first_seen < self.gap_grace:
                    break
            ready.append(row)
            expected = row.seq if expected is None else max(expected, row.seq)
        return ready

    def publish_pending(self) -> int:
        rows = self._in_order(self.pending())
        if not rows:
            return 0
        confirmed: list[int] = []
        try:
            self._get_producer()
            channel, confirms = self._channel, self._confirms
            confirms.reset()
            exchange, stamp = self.exchange.name, int(time.time())
            # the batch leaves in one socket write
            with corked(channel.connection):
                for row in rows:
                    # straight onto the channel: kombu's Producer.publish costs as
                    # much as the rest of the relay per message, for nothing we use
                    channel.basic_publish(
                        event_message(row.envelope.encode("utf-8"), row.event_id,
                                      row.event_type, self.user_id, stamp),
                        exchange=exchange, routing_key=row.event_type)
                    confirms.published(row.seq)
            sent_at = time.perf_counter()
            try:
                # one wait for the whole batch; raises on a nack or timeout
                confirms.wait(self.confirm_timeout)
            finally:
                confirmed = confirms.confirmed_prefix()
            OUTBOX_CONFIRM_SECONDS.labels(self.database.service_name).observe(
                time.perf_counter() - sent_at)
        finally:
            if confirmed:
                self.mark_sent(confirmed)
                self._last_seq = max(self._last_seq or 0, confirmed[-1])
                self._gaps = {k: v for k, v in self._gaps.items() if k > self._last_seq}
        return len(confirmed)

    def mark_sent(self, seqs: list[int]) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(_mark_sent(conn, self.table),
                         {"seqs": seqs, "sent": utcnow()})
        self.published_total += len(seqs)
        OUTBOX_PUBLISHED.labels(self.database.service_name).inc(len(seqs))

    # -- connection -----------------------------------------------------------

    def _get_producer(self) -> Producer:
        if self._producer is None:
            # no confirm_publish: Confirms puts the channel in confirm mode and
            # waits per batch instead of per message
            conn = Connection(self.amqp_uri, connect_timeout=5, heartbeat=0)
            conn.ensure_connection(max_retries=1)
            # the relay reads the socket while it waits for each batch's
            # confirms: soon enough to hear of a broker alarm
            no_poll_before_publish(conn.connection)
            channel = conn.channel()
            self.exchange(channel).declare()
            self._confirms = Confirms(channel)
            self._channel = channel
            self._connection = conn
            self._producer = Producer(channel, exchange=self.exchange)
        return self._producer

    def _close_connection(self) -> None:
        conn, self._connection, self._producer = self._connection, None, None
        self._confirms = self._channel = None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.release()

    # -- single active relay on PostgreSQL -------------------------------------

    def _lock_key(self) -> int:
        return zlib.crc32(f"doudi-outbox-{self.database.service_name}".encode())

    def _hold_lock(self) -> bool:
        engine = self.database.engine
        if engine.dialect.name != "postgresql":
            return True
        if self._lock_conn is not None:
            return True
        conn = engine.connect()
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                           {"k": self._lock_key()}).scalar_one()
        conn.commit()
        if got:
            self._lock_conn = conn
            return True
        conn.close()
        return False

    def _release_lock(self) -> None:
        self._last_seq = None  # another relay may publish meanwhile
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            try:
                # the pool would keep the server session (and the lock) alive
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key()})
                conn.commit()
                conn.close()
            except Exception:  # noqa: BLE001 - a dead connection released it already
                conn.invalidate()
