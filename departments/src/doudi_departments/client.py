"""A small AMQP client for department systems (plain kombu, no nameko).

    from doudi_departments import DepartmentClient

    with DepartmentClient("cdpf", "amqp://cdpf:secret@mq.example:5672/",
                          division_code="341500") as client:
        envelope = client.publish("certificate.issued", data)   # waits for the confirm

        def on_event(event, message):       # raise to get the message again
            print(event["type"], event["data"])

        client.subscribe("eligibility", ["enrolment.*", "person.handed_over"], on_event)

What ``publish`` does is exactly the department contract of DESIGN.md: a
CloudEvents 1.0 JSON envelope whose ``data`` is checked against the contract
before it leaves (``ContractError`` otherwise), sent to ``<department>.events``
with routing key = type, ``content_type=application/json``, ``delivery_mode=2``,
``message_id`` = envelope id, ``user_id`` = the connection's user, ``type`` =
type — and it returns only after RabbitMQ confirmed the message (publisher
confirms), so a returned envelope is safely with the broker.

A broker that is away (restarted, a node failing over, a dropped line) does
not lose an event: ``publish`` holds it and tries again on a new connection
until the broker is back or ``outage_timeout`` seconds (default 120) have
passed, so events published one after another reach the broker in that order.
A message whose confirm was lost with the connection may reach the broker
twice; the suite's consumers apply an event id once. A refusal (wrong
password, a forbidden exchange, a forged ``user_id``) is not an outage and
raises at once.

``subscribe`` consumes through a durable queue of the department's own
(``<department>.<source>.<name>``; a department may only declare and read queues
named after itself) with manual acknowledgements: the message is acked after
the handler returns and rejected with requeue (redelivered) when it raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Self
from urllib.parse import quote

from amqp.exceptions import RecoverableConnectionError
from doudi_common.outbox import amqp_user as uri_user  # one parser for AMQP URIs
from doudi_common.queue_types import check_queue_type, durable_arguments
from doudi_common.rabbit import password_for
from doudi_contracts.registry import DEPARTMENTS, SOURCES, build_envelope, validate_event
from doudi_contracts.subscriptions import DEPARTMENT_SUBSCRIPTIONS
from kombu import Connection, Consumer, Exchange, Producer, Queue, binding
from kombu.exceptions import OperationalError

#: What a broker that is away raises (refusals are channel or irrecoverable
#: connection errors and are not among them)
OUTAGE_ERRORS = (OSError, RecoverableConnectionError, OperationalError)

#: What each department subscribes to (the contract: doudi_contracts.subscriptions)
SUBSCRIPTIONS = DEPARTMENT_SUBSCRIPTIONS

Handler = Callable[[dict, Any], Any]


def default_uri(department: str) -> str:
    """``DOUDI_DEPT_AMQP_URI`` or the local development broker with the
    department's development password (``DOUDI_<DEPT>_PASSWORD`` overrides)."""
    env = os.environ.get("DOUDI_DEPT_AMQP_URI")
    if env:
        return env
    password = password_for(department)
    host = os.environ.get("DOUDI_AMQP_HOST", "localhost")
    return f"amqp://{quote(department)}:{quote(password)}@{host}:5672/"


def exchange(source: str) -> Exchange:
    # the exchanges exist (deploy-time definitions); departments may not declare them
    return Exchange(f"{source}.events", type="topic", durable=True, no_declare=True)


class DepartmentClient:
    """One department's connection. ``department`` is the source name (``cdpf``,
    ``health``, ``medical_insurance``); the AMQP user is taken from ``uri``."""

    def __init__(self, department: str, uri: str | None = None, *,
                 division_code: str | None = None, connect_timeout: float = 10.0,
                 outage_timeout: float = 120.0, queue_type: str | None = None):
        if department not in SOURCES:
            raise ValueError(f"unknown source {department!r}")
        self.department = department
        self.uri = uri or default_uri(department)
        self.user = uri_user(self.uri)
        self.division_code = division_code
        self.connect_timeout = connect_timeout
        self.outage_timeout = outage_timeout
        #: the broker's durable queues are classic or quorum (DOUDI_QUEUE_TYPE):
        #: this client declares its own queues with the same arguments
        self.queue_type = check_queue_type(queue_type or os.environ.get("DOUDI_QUEUE_TYPE"))
        self.retries = 0   # publishes tried again after an outage
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._batch: tuple | None = None   # (connection, producer, Confirms)
        self.published = 0

    # -- connection -------------------------------------------------------------

    def connection(self) -> Connection:
        if self._conn is None:
            conn = Connection(self.uri, transport_options={"confirm_publish": True},
                              connect_timeout=self.connect_timeout)
            conn.ensure_connection(max_retries=0)  # publish_raw waits an outage out
            self._conn = conn
        return self._conn

    def close(self) -> None:
        conn, self._conn, self._producer = self._conn, None, None
        batch, self._batch = self._batch, None
        for connection in (batch[0] if batch else None, conn):
            if connection is not None:
                with contextlib.suppress(Exception):  # closing a broken connection
                    connection.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- publishing --------------------------------------------------------------

    def envelope(self, event_type: str, data: dict[str, Any], *,
                 division_code: str | None = None, event_id: str | None = None,
                 time: datetime | None = None) -> dict[str, Any]:
        """The envelope ``publish`` would send (validated; ``ContractError`` if not)."""
        division = division_code or self.division_code or data.get("division_code")
        if not division:
            raise ValueError("division_code is needed (client default or per event)")
        return build_envelope(self.department, division, event_type, data,
                              event_id=event_id, time=time)

    def publish(self, event_type: str, data: dict[str, Any], *,
                division_code: str | None = None, event_id: str | None = None,
                time: datetime | None = None) -> dict[str, Any]:
        """Build, validate and publish one event; returns the envelope once the
        broker has confirmed it."""
        envelope = self.envelope(event_type, data, division_code=division_code,
                                 event_id=event_id, time=time)
        self.publish_envelope(envelope)
        return envelope

    def publish_envelope(self, envelope: dict[str, Any]) -> None:
        """Publish a ready envelope as is (no validation here: the suite checks)."""
        body = json.dumps(envelope, ensure_ascii=False)
        self.publish_raw(body, routing_key=str(envelope.get("type")),
                         message_id=str(envelope.get("id")), type=str(envelope.get("type")))

    def publish_raw(self, body: bytes | str, routing_key: str, **properties: Any) -> None:
        """Publish any body with the contract's message properties (for tests,
        simulators and tools); waits for the publisher confirm. A refusal by the
        broker (permissions, forged ``user_id``) raises and closes the connection."""
        props = {"content_type": "application/json", "content_encoding": "utf-8",
                 "delivery_mode": 2, "user_id": self.user, **properties}
        props = {k: v for k, v in props.items() if v is not None}

        def send() -> None:
            if self._producer is None:
                self._producer = Producer(self.connection().channel())
            self._producer.publish(body, exchange=exchange(self.department),
                                   routing_key=routing_key, declare=[], retry=False, **props)
        self._through_outages(send)
        self.published += 1

    def _through_outages(self, send: Callable[[], None]) -> None:
        """``send()``, again on a new connection while the broker is away (up to
        ``outage_timeout``); anything else closes the connection and raises."""
        deadline = time.monotonic() + self.outage_timeout
        pause = 0.25
        while True:
            try:
                send()
                return
            except OUTAGE_ERRORS:
                self.close()
                if time.monotonic() + pause > deadline:
                    raise
                _warn(f"broker unreachable; publishing again in {pause:.2f} s")
                time.sleep(pause)
                pause = min(pause * 2, 2.0)
                self.retries += 1
            except Exception:
                self.close()
                raise

    def publish_many(self, messages: Iterable, batch_size: int = 500,
                     confirm_timeout: float = 60.0) -> int:
        """Publish many ready messages (objects with ``body``, ``routing_key``,
        ``message_id``, ``event_type`` — e.g. simulator messages), waiting for
        the broker's confirms once per ``batch_size`` instead of once per
        message. Returns when all are confirmed; raises
        ``doudi_common.confirms.ConfirmError`` (with the confirmed prefix) if
        the broker refuses one. A batch interrupted by an outage is sent again
        whole once the broker is back (the suite applies an event id once)."""
        sent = 0
        batch: list = []
        for message in messages:
            batch.append(message)
            if len(batch) >= batch_size:
                sent += self._publish_batch(batch, confirm_timeout)
                batch = []
        if batch:
            sent += self._publish_batch(batch, confirm_timeout)
        self.published += sent
        return sent

    def _publish_batch(self, batch: list, confirm_timeout: float) -> int:
        from doudi_common.confirms import Confirms

        def send() -> None:
            if self._batch is None:
                conn = Connection(self.uri, connect_timeout=self.connect_timeout)
                conn.ensure_connection(max_retries=0)
                channel = conn.channel()
                self._batch = (conn, Producer(channel), Confirms(channel))
            _conn, producer, confirms = self._batch
            confirms.reset()
            for message in batch:
                producer.publish(message.body, exchange=exchange(self.department),
                                 routing_key=message.routing_key, declare=[], retry=False,
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, user_id=self.user,
                                 message_id=message.message_id, type=message.event_type)
                confirms.published(message.message_id)
            confirms.wait(confirm_timeout)
            confirms.reset()
        self._through_outages(send)
        return len(batch)

    # -- subscribing -------------------------------------------------------------

    def queue(self, source: str, patterns: Iterable[str], name: str | None = None,
              durable: bool = True) -> Queue:
        name = name or "sub"
        if not name.startswith(f"{self.user}."):
            name = f"{self.user}.{source}.{name}"
        return Queue(name, bindings=[binding(exchange(source), routing_key=p) for p in patterns],
                     durable=durable, auto_delete=not durable, exclusive=False,
                     queue_arguments=durable_arguments(None, self.queue_type) if durable else None)

    def subscribe(self, source: str, patterns: str | Iterable[str], handler: Handler, *,
                  queue_name: str | None = None, durable: bool = True, validate: bool = True,
                  prefetch: int = 50, limit: int | None = None, timeout: float | None = None,
                  idle_timeout: float | None = None, redeliver_delay: float = 1.0,
                  should_stop: Callable[[], bool] | None = None) -> int:
        """Consume ``<source>.events`` for ``patterns`` and call
        ``handler(event, message)`` for each message; returns how many were
        handled.

        ``event`` is the decoded envelope (checked against the contract when
        ``validate``; ``data`` keeps its JSON form). Acked after the handler
        returns; when it raises, the message is rejected with requeue and comes
        again (after ``redeliver_delay`` seconds). A message that is not JSON or
        fails the contract cannot get better by retrying: it is logged and
        rejected without requeue. Runs until ``limit`` messages were handled,
        ``timeout`` seconds passed, nothing came for ``idle_timeout`` seconds, or
        ``should_stop()`` is true.
        """
        patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        queue = self.queue(source, patterns, queue_name, durable)
        handled = 0
        started = last = time.monotonic()

        def on_message(message):
            nonlocal handled, last
            last = time.monotonic()
            try:
                event = json.loads(message.body)
                if validate:
                    validate_event(source, event)
            except Exception as exc:  # noqa: BLE001 - not retryable
                message_id = message.properties.get("message_id")
                _warn(f"rejecting undecodable/invalid message {message_id}:"
                      f" {exc}")
                message.reject(requeue=False)
                return
            try:
                handler(event, message)
            except Exception as exc:  # noqa: BLE001 - the handler's failure: redeliver
                _warn(f"handler failed for {event.get('id')}: {exc!r}; will be redelivered")
                time.sleep(redeliver_delay)
                message.requeue()
                return
            if not message.acknowledged:
                message.ack()
            handled += 1

        with Connection(self.uri, connect_timeout=self.connect_timeout) as conn:
            channel = conn.channel()
            with Consumer(channel, queues=[queue], on_message=on_message, accept=None,
                          no_ack=False, prefetch_count=prefetch):
                while True:
                    if limit is not None and handled >= limit:
                        break
                    if should_stop is not None and should_stop():
                        break
                    now = time.monotonic()
                    if timeout is not None and now - started > timeout:
                        break
                    if idle_timeout is not None and now - last > idle_timeout:
                        break
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        continue
        return handled


def _warn(text: str) -> None:
    import sys

    from doudi_common.ids import mask_in_text

    print(f"doudi-departments: {mask_in_text(text)}", file=sys.stderr, flush=True)


__all__ = ["DEPARTMENTS", "SUBSCRIPTIONS", "DepartmentClient", "default_uri"]
