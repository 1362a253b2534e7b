"""nameko entrypoints with our delivery rules.

* ``rpc`` and ``timer``: like nameko's, but the worker's unit of work is
  committed *before* the reply goes out, so a failed commit is the caller's
  error instead of a silent loss; database outages surface as ``TransientError``.
* ``subscribe(source, patterns)``: consumes ``<source>.events`` through a durable
  queue ``<service>.<source>.<method>``. Before a worker runs, the message is
  checked — publisher (AMQP ``user_id``) allowed for that source, JSON body,
  CloudEvents envelope, known type and ``data`` contract (doudi-contracts). A
  message failing any check goes to the dead-letter exchange ``doudi.dlx``
  (queue ``doudi.dlq.<service>``) with the reason in headers and is acked — never
  lost, never retried forever. The handler runs once per (event id, handler)
  thanks to the inbox claim in the same transaction; a transient failure
  (database down) is requeued after back-off; a handler's ``Invalid``/``Conflict``
  or an unexpected error dead-letters the message with that reason.
* Replays: an operator's tool (``doudi-dept dlq replay``) puts a dead-lettered
  message straight back into its subscription queue (default exchange, routing
  key = ``x-doudi-queue``) with the header ``x-doudi-replay``. RabbitMQ only
  lets the operator set its *own* ``user_id``, so the department's original
  user travels in ``x-doudi-user-id`` (and the original routing key in
  ``x-doudi-routing-key``). Such a message is accepted as a replay only when
  its ``user_id`` is an authorised operator (config ``REPLAY_OPERATORS``,
  default ``["admin"]``); the publisher and routing-key checks then apply to the
  original values, and every other check is the same. Anyone else sending the
  marker is dead-lettered as ``forbidden_replay``.
"""

from __future__ import annotations

import functools
import inspect
import json
import random
import socket
import sys
import time
from collections import deque
from datetime import datetime, timezone
from functools import partial

import amqp
import eventlet
import eventlet.event
import eventlet.semaphore
import kombu.serialization
import sqlalchemy.exc
import structlog
from amqp.exceptions import AMQPError
from kombu import Connection, Exchange, Queue, binding
from kombu.pools import producers
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.extensions import DependencyProvider, Entrypoint, SharedExtension
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import get_rpc_exchange
from nameko.timer import Timer as NamekoTimer

from doudi_common.db import UnitOfWork, finish_units_of_work
from doudi_common.errors import EXPECTED_ERRORS, DoudiError, TransientError
from doudi_common.logs import get_logger
from doudi_common.outbox import event_exchange
from doudi_common.rabbit import no_poll_before_publish

log = get_logger(__name__)

DLX = "doudi.dlx"
REASON_HEADER = "x-doudi-reason"
DETAIL_HEADER = "x-doudi-detail"
REPLAY_HEADER = "x-doudi-replay"
ORIGINAL_USER_HEADER = "x-doudi-user-id"
ORIGINAL_ROUTING_KEY_HEADER = "x-doudi-routing-key"
ORIGINAL_EXCHANGE_HEADER = "x-doudi-exchange"
DEFAULT_REPLAY_OPERATORS = ("admin",)


def is_transient(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                        sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError)):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, socket.timeout))


def _as_transient(exc_info):
    """Database outages become ``TransientError`` for RPC callers (503 at the gateway)."""
    if exc_info is not None and is_transient(exc_info[1]) \
            and not isinstance(exc_info[1], TransientError):
        try:
            raise TransientError("数据库暂不可用，请稍后重试", cause=type(exc_info[1]).__name__)
        except TransientError:
            return sys.exc_info()
    return exc_info


# -- rpc and timer ------------------------------------------------------------

class DirectReplies(SharedExtension):
    """One connection per service container on which RPC replies go straight
    out: one channel, ``basic_publish`` (a single write), no producer pool or
    retry wrapper per reply; a semaphore keeps the greenthreads' frames apart.
    ``publish`` answers False when the connection failed (it is dropped and
    reopened on the next reply); the caller then sends the pooled way.

    py-amqp would read the socket before every publish (timeout 0) to hear of
    broker notices (``connection.blocked``, a closed channel); this connection
    does so at most once a second (``POLL_INTERVAL``), so a channel the broker
    closed is still noticed and replaced."""

    POLL_INTERVAL = 1.0

    def setup(self):
        config = self.container.config
        self.connection = Connection(config[AMQP_URI_CONFIG_KEY],
                                     ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                     login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        self.channel = None
        self.lock = eventlet.semaphore.Semaphore(1)
        self._next_poll = 0.0

    def _open(self):
        channel = self.connection.default_channel
        no_poll_before_publish(self.connection.connection)
        return channel

    def stop(self):
        self.channel = None
        self.connection.release()

    kill = stop

    def publish(self, message: amqp.Message, exchange: str, routing_key: str) -> bool:
        try:
            with self.lock:
                if self.channel is None:
                    self.channel = self._open()
                now = time.monotonic()
                if now >= self._next_poll:
                    self._next_poll = now + self.POLL_INTERVAL
                    try:
                        self.connection.connection.drain_events(timeout=0)
                    except TimeoutError:
                        pass
                self.channel.basic_publish(message, exchange=exchange,
                                           routing_key=routing_key, mandatory=False)
            return True
        except (OSError, AMQPError, *self.connection.connection_errors,
                *self.connection.channel_errors):
            log.info("reply connection lost; replying through the producer pool",
                     exc_info=True)
            self.channel = None
            self.connection.collect()
            return False


class ReplyPublisher(Publisher):
    """Publishes RPC replies: the body is serialised once (nameko's ``Responder``
    serialises every reply twice: a trial run, then the publish), and the broker
    is not asked to confirm a reply (the caller's reply queue is exclusive and
    transient: a confirm adds a round trip per call and protects nothing — a
    lost reply is the caller's timeout either way). A reply goes out through
    ``DirectReplies``; when that connection failed, through kombu's producer
    pool (its ``Connection``, which keys the pool, built once per service),
    which reconnects and retries by the retry policy."""

    use_confirms = False

    def __init__(self, amqp_uri, ssl=None, login_method=None,
                 direct: DirectReplies | None = None):
        super().__init__(amqp_uri, ssl=ssl, login_method=login_method)
        options = dict(self.transport_options, confirm_publish=False)
        self._connection = Connection(amqp_uri, transport_options=options, ssl=ssl,
                                      login_method=login_method)
        self._direct = direct

    def send(self, body: str, content_type: str, content_encoding: str, exchange,
             routing_key: str, correlation_id) -> None:
        if self._direct is not None:
            message = amqp.Message(
                body.encode(content_encoding or "utf-8") if isinstance(body, str) else body,
                content_type=content_type, content_encoding=content_encoding,
                correlation_id=correlation_id, application_headers={},
                delivery_mode=self.delivery_mode, priority=self.priority or 0)
            if self._direct.publish(message, exchange.name, routing_key):
                return
        with producers[self._connection].acquire(block=True) as producer:
            producer.publish(body, content_type=content_type,
                             content_encoding=content_encoding, exchange=exchange,
                             routing_key=routing_key, correlation_id=correlation_id,
                             headers={}, delivery_mode=self.delivery_mode,
                             mandatory=False, priority=self.priority, retry=self.retry,
                             retry_policy=self.retry_policy)


class Rpc(NamekoRpc):
    direct_replies = DirectReplies()

    def __init__(self, expected_exceptions=EXPECTED_ERRORS + (TransientError,), **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def setup(self):
        super().setup()
        config = self.container.config
        self._reply_exchange = get_rpc_exchange(config)
        self._reply_publisher = ReplyPublisher(
            config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY), direct=self.direct_replies)
        # as inspect.getcallargs sees the method (no following of __wrapped__)
        self._signature = inspect.signature(
            getattr(self.container.service_cls, self.method_name), follow_wrapped=False)

    def check_signature(self, args, kwargs):
        """nameko's check calls ``inspect.getcallargs``, which builds the
        method's signature anew for every call; bind to the one built at setup,
        and only for a mismatch let nameko's check word the error."""
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError:
            super().check_signature(args, kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = _as_transient(finish_units_of_work(worker_ctx, exc_info))
        if exc_info is not None:
            result = None
        # as nameko's RpcConsumer.handle_result + Responder.send_response, with
        # one serialisation of the reply
        error = serialize(exc_info[1]) if exc_info is not None else None
        content_type = message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        try:
            ctype, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer)
        except Exception:  # noqa: BLE001 - as nameko: the caller gets the error instead
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            ctype, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer)
        self._reply_publisher.send(body, ctype, encoding, self._reply_exchange,
                                   message.properties["reply_to"],
                                   message.properties.get("correlation_id"))
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


class Timer(NamekoTimer):
    def handle_result(self, worker_ctx, result, exc_info):
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        return super().handle_result(worker_ctx, result, exc_info)


def rpc(fn=None, **kwargs):
    """``@rpc`` or ``@rpc(expected_exceptions=...)``."""
    if fn is None:
        return Rpc.decorator(**kwargs)
    return Rpc.decorator(fn)


timer = Timer.decorator


# -- dead letters ---------------------------------------------------------------

class Rejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


class DeadLetters(SharedExtension):
    """Publishes refused messages to ``doudi.dlx`` with publisher confirms."""

    exchange = Exchange(DLX, type="direct", durable=True, auto_delete=False)

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.service = self.container.service_name
        self.queue = dead_letter_queue(self.service)
        with Connection(self.amqp_uri) as conn:
            self.queue(conn.channel()).declare()
        self.connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
        self.count = 0

    def stop(self):
        self.connection.release()

    def publish(self, message, reason: str, detail: str, queue_name: str,
                origin: dict | None = None) -> None:
        """``origin``: the original exchange/routing key/user of an authorised
        replay, kept instead of the replay's own (default exchange, operator)."""
        props = message.properties
        headers = dict(message.headers or {})
        headers.update({
            REASON_HEADER: reason,
            DETAIL_HEADER: detail[:1000],
            "x-doudi-service": self.service,
            "x-doudi-queue": queue_name,
            "x-doudi-exchange": message.delivery_info.get("exchange", ""),
            "x-doudi-routing-key": message.delivery_info.get("routing_key", ""),
            "x-doudi-user-id": props.get("user_id") or "",
            "x-doudi-dead-lettered-at": datetime.now(timezone.utc).isoformat(),
        })
        if origin:
            headers.update({ORIGINAL_EXCHANGE_HEADER: origin.get("exchange") or "",
                            ORIGINAL_ROUTING_KEY_HEADER: origin.get("routing_key") or "",
                            ORIGINAL_USER_HEADER: origin.get("user_id") or ""})
        with producers[self.connection].acquire(block=True, timeout=10) as producer:
            # user_id is dropped: the broker only accepts our own user there
            producer.publish(
                message.body, exchange=self.exchange, routing_key=self.service,
                headers=headers, content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                message_id=props.get("message_id"), type=props.get("type"),
                delivery_mode=2, declare=[self.queue], retry=True,
                retry_policy={"max_retries": 3})
        self.count += 1
        log.warning("message dead-lettered", reason=reason, detail=detail,
                    message_id=props.get("message_id"), queue=queue_name)


def dead_letter_queue(service: str) -> Queue:
    return Queue(f"doudi.dlq.{service}", exchange=DeadLetters.exchange, routing_key=service,
                 durable=True, auto_delete=False)


# -- subscriptions ------------------------------------------------------------------

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
        self.queue = subscription_queue(service, self.source, self.method_name, self.patterns)
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
            for message, event in deliveries:
                self._attempts.pop(event["id"], None)
                self.queue_consumer.ack_message(message)
        elif is_transient(exc_info[1]):
            self._retry_later(deliveries, exc_info[1])
        elif len(deliveries) > 1:
            log.info("batch failed; handling its events one by one", size=len(deliveries),
                     error=f"{type(exc_info[1]).__name__}: {exc_info[1]}")
            for index, delivery in enumerate(deliveries):
                exc_info = self._run_worker([delivery])
                if exc_info is False:
                    return
                if exc_info is not None and is_transient(exc_info[1]):
                    self._retry_later(deliveries[index:], exc_info[1])
                    return
                self._settle(delivery, exc_info)
        else:
            self._settle(deliveries[0], exc_info)

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
                self.queue_consumer.requeue_message(message)
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
            self.queue_consumer.ack_message(message)
            return
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
        eventlet.sleep(delay)
        for message, _event in deliveries:
            self.queue_consumer.requeue_message(message)

    def dead_letter(self, message, reason: str, detail: str) -> None:
        try:
            try:
                origin = self.replay_origin(message)
            except Rejected:
                origin = None
            self.dead_letters.publish(message, reason, detail, self.queue.name, origin=origin)
        except Exception:  # noqa: BLE001 - could not park it: keep it in the queue
            log.exception("dead-lettering failed; requeueing", reason=reason)
            eventlet.sleep(1.0)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def subscription_queue(service: str, source: str, method: str, patterns) -> Queue:
    """The durable queue of one handler; the same name and arguments are declared
    at deploy time in ``deploy/rabbitmq/definitions.json``."""
    exchange = event_exchange(source)
    return Queue(
        f"{service}.{source}.{method}",
        bindings=[binding(exchange, routing_key=p) for p in patterns],
        durable=True, auto_delete=False,
        queue_arguments={"x-dead-letter-exchange": DLX, "x-dead-letter-routing-key": service})


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
                log.info("duplicate events ignored", handler=name,
                         duplicates=len(events) - len(claimed))
            if batch:
                return fn(self, claimed) if claimed else None
            for event in each_event(claimed):
                fn(self, event)
            return None

        return EventSubscriber.decorator(source, patterns, **kwargs)(handler)

    return decorate


# -- small dependencies ---------------------------------------------------------------

class Config(DependencyProvider):
    """``self.config`` on a service: the container's config dict (read-only use)."""

    def get_dependency(self, worker_ctx):
        return self.container.config
