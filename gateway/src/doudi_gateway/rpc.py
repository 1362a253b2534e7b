"""Calling the services from gunicorn's gthread workers.

Each request thread keeps one AMQP connection of its own (``threading.local``),
a ``_Line``: a channel with publisher confirms for the requests and, on the
same connection, an exclusive reply queue consumed without acks. A call speaks
nameko's RPC protocol directly (exchange ``nameko-rpc``, routing key
``<service>.<method>``, ``reply_to``/``correlation_id``, context data as
``nameko.*`` headers, ``{"result", "error"}`` replies with nameko's error
serialisation), without nameko's standalone proxy and kombu's producer pool
per call: one socket per thread, confirm and reply read from it, no reply ack.
A line that failed is thrown away and rebuilt on the next call.

Lines speak AMQP heartbeats (``RPC_HEARTBEAT`` seconds, 0: off): one thread
per worker goes over the idle lines a few times per interval, reads what the
broker sent them (its heartbeats, a late reply) and sends theirs, so a proxy
or load balancer never sees an idle connection, and a connection that died
between requests is found by this thread and replaced before a request needs
it — instead of failing the next write that may not be repeated.

``call_all`` (``/readyz``) still uses nameko's standalone ``ClusterRpcProxy``.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import threading
import time
import uuid
import weakref
from typing import Any
from urllib.parse import urlsplit

import amqp
import doudi_common.rpc_errors  # noqa: F401 - the services' errors arrive as themselves
from doudi_common.amqp_io import BROKER_ERRORS, no_poll_before_publish
from doudi_common.tracing import traceparent
from kombu import Connection
from kombu.utils.json import dumps as json_dumps
from kombu.utils.json import loads as json_loads
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.exceptions import (
    MethodNotFound,
    RemoteError,
    RpcTimeout,
    UnknownService,
    deserialize,
)
from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from doudi_gateway.problems import ServiceUnavailable


class _Returned(Exception):
    """The broker returned a request (``mandatory``): no queue is bound for it."""


class _Line:
    """One thread's connection to the broker. Requests go out ``mandatory`` on
    one channel; replies come to an exclusive, auto-deleted queue on another
    channel of the same connection, consumed without acks (the queue dies with
    the connection, so an ack protects nothing). While the caller waits, the
    connection delivers whichever comes first: the reply, or the broker's
    ``basic.return`` when no queue is bound for ``<service>.<method>`` (the
    service is not running: 503 at once). So no publisher confirm is needed to
    notice an unknown service (nameko's proxy asks for one per call, and waits
    for it, only because its replies come on another connection); a request
    the broker lost otherwise ends as the caller's timeout, like a lost reply.
    Requests are transient (delivery mode 1): a request is only worth anything
    while its caller waits on the reply queue, which a broker restart deletes —
    persisting it would make the broker write it to disk, and would let a write
    the caller was told had failed run after a restart. One call at a time
    (one request thread)."""

    def __init__(self, config: dict, heartbeat: float = 0):
        self._kombu = Connection(config["AMQP_URI"], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                 login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                                 heartbeat=heartbeat)
        # one attempt: kombu's connect() tries again after sleeping 2 s, so a
        # request arriving while the broker was down waited 2 s, reached it as
        # it came back, and then waited out the RPC timeout before the service
        # had reconnected (5.07 s against the 4 s the fault test allows) —
        # while the broker is away a request is answered at once (503)
        self._kombu.ensure_connection(max_retries=0, reraise_as_library_errors=False)
        # held by a call, or by the heartbeat thread between calls
        self.lock = threading.Lock()
        self.dead = False
        self.connection: amqp.Connection = self._kombu.connection
        # a line reads its socket while it waits for every reply anyway
        no_poll_before_publish(self.connection)
        self.exchange = get_rpc_exchange(config).name
        try:
            publish = self.publish_channel = self.connection.channel()
            publish.events["basic_return"].add(self._on_return)
            replies = self.connection.channel()
            replies.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
            reply_id = str(uuid.uuid4())
            queue = RPC_REPLY_QUEUE_TEMPLATE.format("standalone_rpc_proxy", reply_id)
            replies.queue_declare(queue, durable=False, exclusive=True, auto_delete=True)
            replies.queue_bind(queue, self.exchange, routing_key=reply_id)
            replies.basic_consume(queue, no_ack=True, callback=self._on_reply)
        except BaseException:
            self.close()
            raise
        self.reply_to = reply_id
        # as nameko's standalone proxy: one call id for the proxy's lifetime
        self.call_id_stack = [f"standalone_rpc_proxy.call.{uuid.uuid4()}"]
        # correlation ids only need to be unique on this reply queue
        self._calls = itertools.count(1)
        self._waiting: str | None = None
        self._reply: bytes | str | None = None
        self._returned = False

    def _on_return(self, _exc, _exchange, _routing_key, message: amqp.Message) -> None:
        if message.properties.get("correlation_id") == self._waiting:
            self._returned = True

    def _on_reply(self, message: amqp.Message) -> None:
        if message.properties.get("correlation_id") == self._waiting:
            self._reply = message.body
        # else: the late answer to a call that timed out (its line was dropped)

    def keep_alive(self) -> None:
        """Between calls (the heartbeat thread): read what the broker sent,
        send a heartbeat when one is due; a connection found dead is closed
        and marked, so the next call builds a new one instead of failing."""
        if not self.lock.acquire(blocking=False):
            return  # a call is using the line: its reads count as heartbeats
        try:
            if self.dead:
                return
            with contextlib.suppress(TimeoutError):
                while True:  # until nothing more is waiting on the socket
                    self.connection.drain_events(timeout=0.001)
            self.connection.heartbeat_tick()
        except BROKER_ERRORS:
            self.dead = True
            self.close()
        finally:
            self.lock.release()

    def call(self, service: str, method: str, args: tuple, kwargs: dict, timeout: float,
             request_id: str | None) -> Any:
        with self.lock:
            return self._call(service, method, args, kwargs, timeout, request_id)

    def _call(self, service: str, method: str, args: tuple, kwargs: dict, timeout: float,
              request_id: str | None) -> Any:
        correlation_id = f"{self.reply_to}.{next(self._calls)}"
        headers = {"nameko.call_id_stack": self.call_id_stack}
        if request_id is not None:
            headers["nameko.request_id"] = request_id
        parent = traceparent()
        if parent:  # the service's worker continues the request's trace
            headers["nameko.traceparent"] = parent
        message = amqp.Message(
            json_dumps({"args": args, "kwargs": kwargs}), content_type="application/json",
            content_encoding="utf-8", delivery_mode=1, reply_to=self.reply_to,
            correlation_id=correlation_id, application_headers=headers)
        self._waiting, self._reply, self._returned = correlation_id, None, False
        deadline = time.monotonic() + timeout
        try:
            self.publish_channel.basic_publish(
                message, exchange=self.exchange, routing_key=f"{service}.{method}",
                mandatory=True)
            while self._reply is None:
                if self._returned:
                    raise _Returned()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RpcTimeout(timeout)
                try:
                    self.connection.drain_events(timeout=remaining)
                except TimeoutError:
                    raise RpcTimeout(timeout) from None
            body = self._reply
        finally:
            self._waiting = self._reply = None
        return _result_of(body)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # it is broken already
            self._kombu.close()


def _result_of(body: bytes | str) -> Any:
    """The result of nameko's RPC reply ``{"result", "error"}``, or its error raised."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    # kombu's decoder calls a Python hook for every object, only to revive
    # its ``{"__type__": ...}`` markers; without any, the plain decoder
    # gives the same result
    reply = json_loads(body) if '"__type__"' in body else json.loads(body)
    error = reply.get("error")
    if error:
        raise deserialize(error)
    return reply["result"]


class _NotOffered(Exception):
    """The service does not answer this method over HTTP (or its HTTP port is
    not reachable): the call goes through the broker."""


class HttpReads:
    """The services' reads over HTTP (``doudi_common.entrypoints.http_rpc``):
    ``POST <base>/rpc/<method>`` with nameko's RPC request body, answered with
    nameko's RPC reply, on one keep-alive connection per request thread and
    service. A service lists its HTTP base in ``SERVICE_HTTP``; a method it does
    not offer there (404) is remembered and goes through the broker from then
    on, as does a call whose connection is refused before anything was sent.
    Only what a service offers is sent here, and it offers reads only, so a
    call on a connection the service had closed while idle is sent again once
    on a new one."""

    def __init__(self, bases: dict[str, str], call_id_stack: list[str]):
        self.bases = {service: urlsplit(url) for service, url in bases.items() if url}
        self.not_offered: set[tuple[str, str]] = set()
        self._local = threading.local()
        self._stack = json.dumps(call_id_stack)

    def offers(self, service: str, method: str) -> bool:
        return service in self.bases and (service, method) not in self.not_offered

    def _connection(self, service: str, timeout: float, fresh: bool):
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(service)
        if conn is not None and fresh:
            conn.close()
            conn = None
        if conn is None:
            base = self.bases[service]
            conn = conns[service] = http.client.HTTPConnection(
                base.hostname, base.port or 80, timeout=timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def call(self, service: str, method: str, args: tuple, kwargs: dict, timeout: float,
             request_id: str | None) -> Any:
        body = json_dumps({"args": args, "kwargs": kwargs}).encode("utf-8")
        headers = {"Content-Type": "application/json", "nameko.call_id_stack": self._stack}
        if request_id is not None:
            headers["nameko.request_id"] = request_id
        parent = traceparent()
        if parent:
            headers["nameko.traceparent"] = parent
        path = f"{self.bases[service].path.rstrip('/')}/rpc/{method}"
        for attempt in (0, 1):
            conn = self._connection(service, timeout, fresh=attempt > 0)
            reused = conn.sock is not None
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                payload = response.read()
            except ConnectionRefusedError:
                conn.close()
                raise _NotOffered() from None
            except TimeoutError:
                conn.close()
                raise RpcTimeout(timeout) from None
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                if reused and attempt == 0:  # the service closed it while idle
                    continue
                raise ServiceUnavailable(f"无法连接服务 {service}: {type(exc).__name__}",
                                         service=service) from None
            if response.status == 404:
                self.not_offered.add((service, method))
                raise _NotOffered()
            if response.status != 200:
                raise RemoteError("HttpReadError",
                                  f"{response.status}: {payload[:200].decode('utf-8', 'replace')}")
            return _result_of(payload)
        raise AssertionError("unreachable")



def safe_to_repeat() -> bool:
    """A read, or a write that carries an ``Idempotency-Key`` (the gateway
    answers its repeat from the first result): repeating it cannot do twice
    what the caller asked once. Outside a request (a CLI), nothing is."""
    from flask import has_request_context, request

    if not has_request_context():
        return False
    return request.method in ("GET", "HEAD") or bool(request.headers.get("Idempotency-Key"))


class RpcClient:
    def __init__(self, config: dict, timeout: float):
        self.config = {"AMQP_URI": config["AMQP_URI"]}
        self.amqp_config = {k: config[k] for k in ("AMQP_URI", AMQP_SSL_CONFIG_KEY,
                                                   LOGIN_METHOD_CONFIG_KEY, "rpc_exchange")
                            if config.get(k) is not None}
        self.timeout = timeout
        self.heartbeat = float(config.get("RPC_HEARTBEAT", 30) or 0)
        self._local = threading.local()
        self._lines: weakref.WeakSet[_Line] = weakref.WeakSet()
        self._heartbeats: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.http = HttpReads(config.get("SERVICE_HTTP") or {},
                              [f"gateway.http_read.{uuid.uuid4()}"])

    # -- heartbeats: one thread per worker process ----------------------------------

    def _new_line(self) -> _Line:
        line = _Line(self.amqp_config, self.heartbeat)
        self._lines.add(line)
        if self.heartbeat and self._heartbeats is None:
            with self._start_lock:
                if self._heartbeats is None:
                    self._heartbeats = threading.Thread(
                        target=self._keep_alive, name="amqp-heartbeats", daemon=True)
                    self._heartbeats.start()
        return line

    def _keep_alive(self) -> None:
        # heartbeat_tick sends one when half the interval passed without traffic
        while True:
            time.sleep(self.heartbeat / 4)
            for line in list(self._lines):
                line.keep_alive()

    # -- call: this thread's line -------------------------------------------------

    def _drop_line(self) -> None:
        line = getattr(self._local, "line", None)
        self._local.line = None
        if line is not None:
            line.close()

    def _call(self, service: str, method: str, args: tuple, kwargs: dict,
              timeout: float) -> Any:
        from doudi_gateway.observe import current_request_id

        if self.http.offers(service, method):
            try:
                return self.http.call(service, method, args, kwargs, timeout,
                                      current_request_id())
            except _NotOffered:
                pass
        line = getattr(self._local, "line", None)
        if line is None:
            line = self._local.line = self._new_line()
        elif line.dead or not line.connection.connected:
            # the heartbeat thread found it dead between requests
            self._drop_line()
            line = self._local.line = self._new_line()
        # the request id travels as nameko context data (header nameko.request_id)
        return line.call(service, method, args, kwargs, timeout, current_request_id())

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None,
             **kwargs: Any) -> Any:
        from doudi_gateway.observe import observe_rpc

        timeout = timeout or self.timeout
        started, outcome = time.perf_counter(), "error"
        line = getattr(self._local, "line", None)
        # a line believed alive (one the heartbeat thread found dead is replaced
        # first, and the new connection is not tried twice)
        had_line = line is not None and not line.dead
        try:
            try:
                result = self._call(service, method, args, kwargs, timeout)
            except BROKER_ERRORS:
                # this thread's connection died while idle (a broker restart, a
                # proxy's idle timeout): found out only now. A call that is safe
                # to repeat goes again on a new connection, once — not when the
                # connection was new already (the broker is down: answer now).
                self._drop_line()
                if not had_line or not safe_to_repeat():
                    raise
                result = self._call(service, method, args, kwargs, timeout)
            outcome = "ok"
            return result
        except MethodNotFound:
            outcome = "unavailable"
            raise ServiceUnavailable(f"服务 {service} 尚不提供 {method}", service=service,
                                     method=method) from None
        except RpcTimeout:
            outcome = "timeout"
            self._drop_line()  # its late answer must not be taken for another call's
            raise ServiceUnavailable(f"服务 {service} 未在 {timeout:g} 秒内响应",
                                     timeout=True, service=service) from None
        except _Returned:
            outcome = "unavailable"
            raise ServiceUnavailable(f"服务 {service} 未运行", service=service) from None
        except ServiceUnavailable:  # a read over HTTP the service could not answer
            outcome = "unavailable"
            raise
        except RemoteError as exc:
            if exc.exc_type != "TransientError":
                raise
            # the service's database (or broker) is away for a moment: a 503
            outcome = "unavailable"
            raise ServiceUnavailable(f"服务 {service} 暂不可用：{exc.value}",
                                     service=service) from None
        except BROKER_ERRORS as exc:
            outcome = "unavailable"
            self._drop_line()
            raise ServiceUnavailable(f"无法连接消息队列: {type(exc).__name__}",
                                     service=service) from None
        finally:
            observe_rpc(service, method, time.perf_counter() - started, outcome)

    # -- call_all (/readyz): nameko's standalone proxy -------------------------------

    def _proxy(self, timeout: float):
        proxies = getattr(self._local, "proxies", None)
        if proxies is None:
            proxies = self._local.proxies = {}
        entry = proxies.get(timeout)
        if entry is None:
            runner = ClusterRpcProxy(self.config, timeout=timeout)
            entry = proxies[timeout] = (runner, runner.start())
        return entry

    def _discard(self, timeout: float) -> None:
        entry = getattr(self._local, "proxies", {}).pop(timeout, None)
        if entry is not None:
            with contextlib.suppress(Exception):  # it is broken already
                entry[0].stop()

    def call_all(self, calls: dict[str, tuple[str, str]], timeout: float) -> dict[str, Any]:
        """Fire several calls at once, wait for all; each result is the answer
        or the exception it raised."""
        try:
            cluster = self._proxy(timeout)[1]
        except BROKER_ERRORS as exc:
            self._discard(timeout)
            return {key: ServiceUnavailable(f"无法连接消息队列: {exc}", broker=True)
                    for key in calls}
        results: dict[str, Any] = {}
        pending = {}
        for key, (svc, method) in calls.items():
            try:
                pending[key] = getattr(getattr(cluster, svc), method).call_async()
            except UnknownService:
                results[key] = ServiceUnavailable("未运行 (no consumer)")
            except BROKER_ERRORS as exc:
                self._discard(timeout)
                results[key] = ServiceUnavailable(f"无法连接消息队列: {exc}", broker=True)
                return {k: results.get(k, results[key]) for k in calls}
        timed_out = False
        for key, reply in pending.items():
            try:
                results[key] = reply.result()
            except RpcTimeout:
                timed_out = True
                results[key] = ServiceUnavailable("未在时限内响应", timeout=True)
            except Exception as exc:  # noqa: BLE001 - reported per service
                results[key] = exc
        if timed_out:
            self._discard(timeout)
        return results
