"""``@subscribe(source, patterns)``: consume ``<source>.events`` through a durable
queue ``<service>.<source>.<method>``, checked before any worker runs, handled
in batches through the inbox, refused messages dead-lettered with a reason.
See the package docstring for the rules."""

from __future__ import annotations

import contextlib
import functools
import json
import random
from collections import deque
from functools import partial

import eventlet
import eventlet.event
import structlog
from kombu import Queue, binding
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer

from doudi_common.amqp_io import BROKER_ERRORS, corked
from doudi_common.db import UnitOfWork, finish_units_of_work
from doudi_common.entrypoints.deadletters import (
    DEFAULT_REPLAY_OPERATORS,
    DLX,
    ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    ORIGINAL_USER_HEADER,
    REPLAY_HEADER,
    DeadLetters,
    Rejected,
)
from doudi_common.entrypoints.outcomes import is_contention, is_transient
from doudi_common.errors import EXPECTED_ERRORS, DoudiError
from doudi_common.logs import get_logger
from doudi_common.metrics import (
    CONNECTION_ERRORS,
    DEAD_LETTERS,
    EVENTS,
    INBOX_DUPLICATES,
)
from doudi_common.outbox import event_exchange
from doudi_common.queue_types import durable_arguments

log = get_logger(__name__)

#: runs of one event's handler while its write loses races with other transactions
CONTENTION_RUNS = 3


class RawQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but hands over the undecoded kombu message: a body
    that is not valid JSON must be dead-lettered, not crash the consumer loop.
    Each subscription's prefetch is its own (``SUBSCRIBE_PREFETCH``), large
    enough to fill a batch."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                on_message=provider.collect,
                accept=None,
            )
            consumer.qos(prefetch_count=provider.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()


class EventSubscriber(Entrypoint):
    """Delivers a subscription's messages in batches: what has arrived while the
    previous batch was being handled (up to ``SUBSCRIBE_BATCH_MAX``) is checked
    message by message, then handled by one worker in one transaction — one
    inbox claim statement, one commit, one relay wake-up for the lot. Batches of
    one subscription run one after another, in queue order.

    A batch whose handler fails for a reason that is not transient is rolled
    back and its events are handled again one per transaction, so the one bad
    event is dead-lettered with its reason and the others still take effect.
    A transient failure (database down) requeues the whole batch after back-off.
    """

    queue_consumer = RawQueueConsumer()
    dead_letters = DeadLetters()

    def __init__(self, source: str, patterns, **kwargs):
        self.source = source
        self.patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        self._attempts: dict[str, int] = {}
        self._pending: deque = deque()
        self._dispatching = False
        super().__init__(expected_exceptions=EXPECTED_ERRORS, **kwargs)

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        service = self.container.service_name
        config = self.container.config
        self.backoff_max = float(config.get("RETRY_BACKOFF_MAX", 30.0))
        self.batch_max = max(1, int(config.get("SUBSCRIBE_BATCH_MAX", 200)))
        self.prefetch_count = max(self.batch_max,
                                  int(config.get("SUBSCRIBE_PREFETCH", 2 * self.batch_max)))
        self.expected_user = (config.get("EVENT_PUBLISHERS") or {}).get(self.source)
        self.replay_operators = frozenset(config.get("REPLAY_OPERATORS")
                                          or DEFAULT_REPLAY_OPERATORS)
        self.queue = subscription_queue(service, self.source, self.method_name, self.patterns,
                                        config.get("QUEUE_TYPE"))
        self.queue_consumer.register_provider(self)

    def stop(self):
        self.queue_consumer.unregister_provider(self)

    # -- checks before any worker runs ------------------------------------------

    def replay_origin(self, message) -> dict | None:
        """The original exchange/routing key/user of an authorised replay; None
        for an ordinary message; ``Rejected('forbidden_replay')`` when someone
        who is not a replay operator sends the replay marker."""
        headers = message.headers or {}
        if not headers.get(REPLAY_HEADER):
            return None
        operator = message.properties.get("user_id")
        if operator not in self.replay_operators:
            raise Rejected("forbidden_replay",
                           f"user_id {operator!r} is not a replay operator")
        return {"user_id": headers.get(ORIGINAL_USER_HEADER) or None,
                "routing_key": headers.get(ORIGINAL_ROUTING_KEY_HEADER) or None,
                "exchange": headers.get(ORIGINAL_EXCHANGE_HEADER) or None}

    def check(self, message) -> dict:
        from doudi_contracts.registry import ContractError, validate_event

        origin = self.replay_origin(message)
        user_id = origin["user_id"] if origin else message.properties.get("user_id")
        if self.expected_user and user_id != self.expected_user:
            raise Rejected("forbidden_publisher",
                           f"user_id {user_id!r} may not publish on {self.source}.events")
        try:
            body = json.loads(message.body.decode("utf-8") if isinstance(message.body, bytes)
                              else message.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Rejected("invalid_json", f"body is not UTF-8 JSON: {exc}") from None
        if not isinstance(body, dict):
            raise Rejected("bad_envelope", "body is not a JSON object")
        try:
            event = validate_event(self.source, body)
        except ContractError as exc:
            raise Rejected(exc.reason, exc.detail) from None
        message_id = message.properties.get("message_id")
        if message_id and message_id != event["id"]:
            raise Rejected("id_mismatch", "message_id differs from the envelope id")
        routing_key = origin["routing_key"] if origin else message.delivery_info.get("routing_key")
        if routing_key and routing_key != event["type"]:
            raise Rejected("type_mismatch",
                           f"routing key {routing_key!r} differs from type {event['type']!r}")
        return event

    # -- batching ------------------------------------------------------------------

    def collect(self, message):
        """kombu callback (consumer thread): queue the message; one dispatcher
        per subscription works through what has arrived."""
        self._pending.append(message)
        if not self._dispatching:
            self._dispatching = True
            self.container.spawn_managed_thread(self._dispatch,
                                                identifier=f"subscribe[{self.queue.name}]")

    def _dispatch(self):
        try:
            while self._pending:
                deliveries = []
                while self._pending and len(deliveries) < self.batch_max:
                    message = self._pending.popleft()
                    try:
                        deliveries.append((message, self.check(message)))
                    except Rejected as rejected:
                        self.dead_letter(message, rejected.reason, rejected.detail)
                if deliveries:
                    self._deliver(deliveries)
        finally:
            self._dispatching = False

    def _deliver(self, deliveries) -> None:
        exc_info = self._run_worker(deliveries)
        if exc_info is False:
            return
        if exc_info is None:
            with self._acks_corked(deliveries[0][0]):
                for message, event in deliveries:
                    self._attempts.pop(event["id"], None)
                    self._ack(message)
                    self._count(event, "applied")
        elif is_transient(exc_info[1]):
            self._retry_later(deliveries, exc_info[1])
        else:
            alone = len(deliveries) == 1
            if not alone:
                log.info("batch failed; handling its events one by one", size=len(deliveries),
                         error=f"{type(exc_info[1]).__name__}: {exc_info[1]}")
            for index, delivery in enumerate(deliveries):
                exc_info = self._run_alone(delivery, exc_info if alone else None)
                if exc_info is False:
                    return
                if exc_info is not None and is_transient(exc_info[1]):
                    self._retry_later(deliveries[index:], exc_info[1])
                    return
                self._settle(delivery, exc_info)

    def _run_alone(self, delivery, exc_info=None):
        """Run the handler over one event; while its write loses a race with
        another transaction (``is_contention``: both saw no row, both inserted
        it), run it again — up to ``CONTENTION_RUNS`` times in all, then its
        error is settled as any other. ``exc_info``: a first run's outcome."""
        if exc_info is None:
            exc_info = self._run_worker([delivery])
        runs = 1
        while exc_info is not None and exc_info is not False \
                and is_contention(exc_info[1]) and runs < CONTENTION_RUNS:
            log.info("a write raced another transaction; handling the event again",
                     event_id=delivery[1]["id"], run=runs + 1,
                     error=type(exc_info[1]).__name__)
            exc_info = self._run_worker([delivery])
            runs += 1
        return exc_info

    def _run_worker(self, deliveries):
        """Run the handler over ``deliveries`` in one worker; returns its
        exc_info after the commit (None = committed), or False when the
        container is going away (the messages are requeued)."""
        done = eventlet.event.Event()
        events = [event for _message, event in deliveries]
        try:
            self.container.spawn_worker(
                self, (events,), {},
                context_data={"event_id": events[0]["id"], "batch_size": len(events)},
                handle_result=partial(self._worker_finished, done))
        except Exception:  # noqa: BLE001 - container going away: let another take them
            for message, _event in deliveries:
                self._requeue(message)
            return False
        return done.wait()

    def _worker_finished(self, done, worker_ctx, result=None, exc_info=None):
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        done.send(exc_info)
        return result, exc_info

    def _settle(self, delivery, exc_info) -> None:
        message, event = delivery
        self._attempts.pop(event["id"], None)
        if exc_info is None:
            self._ack(message)
            self._count(event, "applied")
            return
        self._count(event, "dead_lettered")
        exc = exc_info[1]
        reason = (f"rejected_by_handler:{exc.code}" if isinstance(exc, DoudiError)
                  else "handler_error")
        self.dead_letter(message, reason, f"{type(exc).__name__}: {exc}")

    def _retry_later(self, deliveries, exc) -> None:
        event_id = deliveries[0][1]["id"]
        attempt = self._attempts.get(event_id, 0) + 1
        self._attempts[event_id] = attempt
        delay = min(0.2 * 2 ** attempt, self.backoff_max) * (0.5 + random.random() / 2)
        log.warning("transient failure, will retry", event_id=event_id, attempt=attempt,
                    batch_size=len(deliveries), retry_in=round(delay, 2), error=repr(exc))
        CONNECTION_ERRORS.labels(self.container.service_name, "database").inc()
        eventlet.sleep(delay)
        for message, event in deliveries:
            self._requeue(message)
            self._count(event, "retried")

    # a connection that died under an ack or requeue is no failure of the
    # handler: the broker takes the message back and delivers it again (the
    # inbox drops what was applied). Raising here would stop the service
    # (nameko ends the container when a managed thread raises)
    def _ack(self, message) -> None:
        self._settle_message(self.queue_consumer.ack_message, message, "ack")

    @contextlib.contextmanager
    def _acks_corked(self, message):
        """A batch's acks in one socket write (``corked``). A connection that
        died under the write is no failure of the handler, as for one ack."""
        connection = getattr(message.channel, "connection", None)
        if connection is None:  # gone: the broker takes the messages back
            yield
            return
        try:
            with corked(connection):
                yield
        except BROKER_ERRORS:  # _ack catches its own: this is the write
            CONNECTION_ERRORS.labels(self.container.service_name, "broker").inc()
            log.info("acks lost with the connection; the broker redelivers", exc_info=True)

    def _requeue(self, message) -> None:
        self._settle_message(self.queue_consumer.requeue_message, message, "requeue")

    def _settle_message(self, action, message, what: str) -> None:
        try:
            action(message)
        except BROKER_ERRORS:
            CONNECTION_ERRORS.labels(self.container.service_name, "broker").inc()
            log.info(f"{what} lost with the connection; the broker redelivers", exc_info=True)

    def _count(self, event: dict, outcome: str) -> None:
        # the type is a contract's (checked before any worker ran): bounded
        EVENTS.labels(self.container.service_name, self.source, event["type"], outcome).inc()

    def dead_letter(self, message, reason: str, detail: str) -> None:
        # reasons are a fixed list (rejected_by_handler:<error code> included)
        DEAD_LETTERS.labels(self.container.service_name, reason).inc()
        try:
            try:
                origin = self.replay_origin(message)
            except Rejected:
                origin = None
            self.dead_letters.publish(message, reason, detail, self.queue.name, origin=origin)
        except Exception:
            log.exception("dead-lettering failed; requeueing", reason=reason)
            eventlet.sleep(1.0)
            self._requeue(message)
            return
        self._ack(message)


def subscription_queue(service: str, source: str, method: str, patterns,
                       queue_type: str | None = "classic") -> Queue:
    """The durable queue of one handler; the same name and arguments are declared
    at deploy time in ``deploy/rabbitmq/definitions.json`` (classic) or the
    production definitions (quorum, ``doudi-rabbit generate --queue-type quorum``)."""
    exchange = event_exchange(source)
    return Queue(
        f"{service}.{source}.{method}",
        bindings=[binding(exchange, routing_key=p) for p in patterns],
        durable=True, auto_delete=False,
        queue_arguments=durable_arguments(
            {"x-dead-letter-exchange": DLX, "x-dead-letter-routing-key": service}, queue_type))


def _find_unit_of_work(service_instance) -> UnitOfWork:
    for value in vars(service_instance).values():
        if isinstance(value, UnitOfWork):
            return value
    raise RuntimeError("a @subscribe handler needs a Database dependency on its service")


def each_event(events):
    """The events one by one, each one's id in the log context meanwhile (for a
    batch handler that handles some events singly)."""
    for event in events:
        with structlog.contextvars.bound_contextvars(event_id=event["id"]):
            yield event


def subscribe(source: str, patterns, batch: bool = False, **kwargs):
    """Decorate ``handler(self, event)``; ``event`` is the validated envelope
    (``event["data"]`` loaded by its contract). Events come in batches (see
    ``EventSubscriber``): the inbox claims the whole batch in one statement
    first, in the worker's transaction, and the handler is called for each
    event that is not a duplicate, in order.

    With ``batch=True`` the handler is ``handler(self, events)`` and gets the
    list of claimed events at once, for set-based work."""

    def decorate(fn):
        @functools.wraps(fn)
        def handler(self, events):
            uow = _find_unit_of_work(self)
            name = f"{type(self).name}.{fn.__name__}"
            claimed = uow.inbox.claim_many(events, name, source=source)
            if len(claimed) < len(events):
                INBOX_DUPLICATES.labels(type(self).name, fn.__name__).inc(
                    len(events) - len(claimed))
                log.info("duplicate events ignored", handler=name,
                         duplicates=len(events) - len(claimed))
            if batch:
                return fn(self, claimed) if claimed else None
            for event in each_event(claimed):
                fn(self, event)
            return None

        return EventSubscriber.decorator(source, patterns, **kwargs)(handler)

    return decorate
