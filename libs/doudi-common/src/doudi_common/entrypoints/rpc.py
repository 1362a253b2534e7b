"""``@rpc``: nameko's RPC entrypoint, with the worker's unit of work committed
*before* the reply goes out (a failed commit is the caller's error instead of
a silent loss; database outages reach the caller as ``TransientError``), and
replies serialised once and sent on one connection per container."""

from __future__ import annotations

import contextlib
import inspect
import sys
import time

import amqp
import eventlet.semaphore
import kombu.serialization
from kombu import Connection
from kombu.pools import producers
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import get_rpc_exchange

import doudi_common.rpc_errors  # noqa: F401 - our errors cross RPC as themselves
from doudi_common.amqp_io import BROKER_ERRORS, no_poll_before_publish
from doudi_common.db import finish_units_of_work
from doudi_common.entrypoints.outcomes import as_reply_error
from doudi_common.errors import EXPECTED_ERRORS, TransientError
from doudi_common.logs import get_logger
from doudi_common.metrics import CONNECTION_ERRORS

log = get_logger(__name__)


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
                    with contextlib.suppress(TimeoutError):  # nothing waiting
                        self.connection.connection.drain_events(timeout=0)
                self.channel.basic_publish(message, exchange=exchange,
                                           routing_key=routing_key, mandatory=False)
            return True
        except (*BROKER_ERRORS, *self.connection.connection_errors,
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
                 direct: DirectReplies | None = None, service_name: str = "unknown"):
        super().__init__(amqp_uri, ssl=ssl, login_method=login_method)
        self.service_name = service_name
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
        try:
            with producers[self._connection].acquire(block=True) as producer:
                producer.publish(body, content_type=content_type,
                                 content_encoding=content_encoding, exchange=exchange,
                                 routing_key=routing_key, correlation_id=correlation_id,
                                 headers={}, delivery_mode=self.delivery_mode,
                                 mandatory=False, priority=self.priority, retry=self.retry,
                                 retry_policy=self.retry_policy)
        except BROKER_ERRORS:
            # the broker stayed away through the retries: the caller's reply
            # queue went with it and the caller has its 503/504 already. An
            # exception here would stop the whole service (nameko ends the
            # container when a worker's result handling raises)
            log.warning("reply dropped: the broker is unreachable", exc_info=True,
                        correlation_id=correlation_id)
            CONNECTION_ERRORS.labels(self.service_name, "broker").inc()


def method_signature(entrypoint) -> inspect.Signature:
    """The entrypoint's method signature, as ``inspect.getcallargs`` sees it (no
    following of ``__wrapped__``), built once at setup."""
    return inspect.signature(getattr(entrypoint.container.service_cls,
                                     entrypoint.method_name), follow_wrapped=False)


def check_signature_fast(entrypoint, nameko_check, args, kwargs) -> None:
    """nameko's check calls ``inspect.getcallargs``, which builds the method's
    signature anew for every call; bind to the one built at setup, and only for
    a mismatch let nameko's check word the error."""
    try:
        entrypoint._signature.bind(None, *args, **kwargs)
    except TypeError:
        nameko_check(args, kwargs)


def reply_of(result, exc_info, serializer: str = "json"):
    """nameko's RPC reply ``{"result", "error"}`` serialised: ``(result,
    exc_info, (content_type, encoding, body))`` — the result dropped when the
    worker failed; a result that cannot be serialised becomes the caller's
    ``UnserializableValueError`` (and the worker's error), as in nameko. One
    for both transports (``Rpc``, ``http_rpc.HttpRead``)."""
    if exc_info is not None:
        result = None
    error = serialize(exc_info[1]) if exc_info is not None else None
    try:
        return result, exc_info, kombu.serialization.dumps(
            {"result": result, "error": error}, serializer)
    except Exception:  # noqa: BLE001 - as nameko: the caller gets the error instead
        exc_info = sys.exc_info()
        return None, exc_info, kombu.serialization.dumps(
            {"result": None, "error": serialize(UnserializableValueError(result))}, serializer)


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
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY), direct=self.direct_replies,
            service_name=self.container.service_name)
        self._signature = method_signature(self)

    def check_signature(self, args, kwargs):
        check_signature_fast(self, super().check_signature, args, kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = as_reply_error(finish_units_of_work(worker_ctx, exc_info))
        # as nameko's RpcConsumer.handle_result + Responder.send_response, with
        # one serialisation of the reply
        serializer = kombu.serialization.registry.type_to_name[
            message.properties["content_type"]]
        result, exc_info, (ctype, encoding, body) = reply_of(result, exc_info, serializer)
        self._reply_publisher.send(body, ctype, encoding, self._reply_exchange,
                                   message.properties["reply_to"],
                                   message.properties.get("correlation_id"))
        try:
            self.rpc_consumer.queue_consumer.ack_message(message)
        except BROKER_ERRORS:  # the request went with the connection: nothing to ack
            log.info("request ack lost with the connection", exc_info=True)
        return result, exc_info


def rpc(fn=None, **kwargs):
    """``@rpc`` or ``@rpc(expected_exceptions=...)``."""
    if fn is None:
        return Rpc.decorator(**kwargs)
    return Rpc.decorator(fn)
