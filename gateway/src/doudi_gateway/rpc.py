"""Calling the services from gunicorn's gthread workers.

nameko's standalone ``ClusterRpcProxy`` is not thread-safe, so each request
thread keeps its own started proxy (``threading.local``) and reuses it; a proxy
that failed is thrown away and rebuilt on the next call.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from amqp.exceptions import ChannelError
from doudi_common.errors import TransientError
from kombu import Connection
from kombu.exceptions import ChannelError as KombuChannelError
from kombu.pools import producers
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.exceptions import MethodNotFound, RpcTimeout, UnknownService
from nameko.rpc import MethodProxy
from nameko.standalone.rpc import ClusterRpcProxy


class ServiceUnavailable(TransientError):
    """A service did not answer in time or the broker is unreachable."""

    def __init__(self, detail: str = "", timeout: bool = False, **fields: Any):
        super().__init__(detail, **fields)
        self.timeout = timeout


class _Publisher(Publisher):
    """nameko's ``Publisher.publish`` builds a kombu ``Connection`` on every call
    only to look up the shared producer pool; this one builds it once.

    Requests are transient (delivery mode 1): an RPC request is only worth
    anything while its caller waits on its exclusive reply queue, which a broker
    restart deletes — persisting it only makes the broker write it to disk and
    hold the publisher confirm until then (or until the service has answered),
    and would let a write the caller was told had failed run after a restart.
    Otherwise the same: publisher confirms (an unknown service is still
    detected at once through ``mandatory``), retries."""

    delivery_mode = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = dict(self.transport_options, confirm_publish=self.use_confirms)
        self._connection = Connection(self.amqp_uri, transport_options=options, ssl=self.ssl,
                                      login_method=self.login_method)

    def publish(self, payload, **kwargs):
        headers = dict(self.publish_kwargs.get("headers") or {})
        headers.update(kwargs.pop("headers", {}))
        headers.update(kwargs.pop("extra_headers", {}))
        mandatory = kwargs.pop("mandatory", self.mandatory)
        with producers[self._connection].acquire(block=True) as producer:
            try:
                producer.publish(
                    payload, headers=headers, delivery_mode=self.delivery_mode,
                    mandatory=mandatory, priority=self.priority, expiration=self.expiration,
                    compression=self.compression, declare=list(self.declare),
                    retry=self.retry, retry_policy=self.retry_policy,
                    serializer=kwargs.pop("serializer", self.serializer), **kwargs)
            except KombuChannelError as exc:
                if "NO_ROUTE" in str(exc):
                    raise UndeliverableMessage() from None
                raise


class _MethodProxy(MethodProxy):
    publisher_cls = _Publisher


class RpcClient:
    def __init__(self, config: dict, timeout: float):
        self.config = {"AMQP_URI": config["AMQP_URI"]}
        self.timeout = timeout
        self._local = threading.local()

    def _proxy(self, timeout: float):
        proxies = getattr(self._local, "proxies", None)
        if proxies is None:
            proxies = self._local.proxies = {}
        entry = proxies.get(timeout)
        if entry is None:
            runner = ClusterRpcProxy(self.config, timeout=timeout)
            entry = proxies[timeout] = (runner, runner.start(), {})
        return entry

    def _method(self, timeout: float, service: str, method: str) -> MethodProxy:
        """This thread's proxy for ``service.method`` (kept with its publisher)."""
        runner, _, methods = self._proxy(timeout)
        proxy = methods.get((service, method))
        if proxy is None:
            proxy = methods[(service, method)] = _MethodProxy(
                runner._worker_ctx, service, method, runner._reply_listener)
        return proxy

    def _discard(self, timeout: float) -> None:
        entry = getattr(self._local, "proxies", {}).pop(timeout, None)
        if entry is not None:
            try:
                entry[0].stop()
            except Exception:  # noqa: BLE001, S110 - it is broken already
                pass

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None,
             **kwargs: Any) -> Any:
        from doudi_gateway.observe import current_request_id, observe_rpc

        timeout = timeout or self.timeout
        started, outcome = time.perf_counter(), "error"
        try:
            runner = self._proxy(timeout)[0]
            # the request id travels as nameko context data (header nameko.request_id)
            runner._worker_ctx.data["request_id"] = current_request_id()
            result = self._method(timeout, service, method)(*args, **kwargs)
            outcome = "ok"
            return result
        except MethodNotFound:
            outcome = "unavailable"
            raise ServiceUnavailable(f"服务 {service} 尚不提供 {method}", service=service,
                                     method=method) from None
        except RpcTimeout:
            outcome = "timeout"
            self._discard(timeout)
            raise ServiceUnavailable(f"服务 {service} 未在 {timeout:g} 秒内响应",
                                     timeout=True, service=service) from None
        except UnknownService:
            outcome = "unavailable"
            raise ServiceUnavailable(f"服务 {service} 未运行", service=service) from None
        except (OSError, ConnectionError, ChannelError) as exc:
            outcome = "unavailable"
            self._discard(timeout)
            raise ServiceUnavailable(f"无法连接消息队列: {type(exc).__name__}",
                                     service=service) from None
        finally:
            observe_rpc(service, method, time.perf_counter() - started, outcome)

    def call_all(self, calls: dict[str, tuple[str, str]], timeout: float) -> dict[str, Any]:
        """Fire several calls at once, wait for all; each result is the answer
        or the exception it raised."""
        try:
            cluster = self._proxy(timeout)[1]
        except (OSError, ConnectionError, ChannelError) as exc:
            self._discard(timeout)
            return {key: ServiceUnavailable(f"无法连接消息队列: {exc}") for key in calls}
        results: dict[str, Any] = {}
        pending = {}
        for key, (svc, method) in calls.items():
            try:
                pending[key] = getattr(getattr(cluster, svc), method).call_async()
            except UnknownService:
                results[key] = ServiceUnavailable("未运行 (no consumer)")
            except (OSError, ConnectionError, ChannelError) as exc:
                self._discard(timeout)
                results[key] = ServiceUnavailable(f"无法连接消息队列: {exc}")
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
