"""Traces from the gateway through RPC and events (OpenTelemetry, issue 19).

Off by default: the OpenTelemetry API alone records nothing. A process exports
spans over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set — ``configure()`` is called by
``doudi-service run`` and the gateway's app factory; the other standard
``OTEL_*`` variables (headers, sampler) apply as OpenTelemetry defines them.

How the context travels (W3C ``traceparent``):

* an HTTP request to the gateway starts a span, or continues the caller's
  ``traceparent`` header (``doudi_gateway.observe``);
* a gateway RPC carries it as nameko context data (header
  ``nameko.traceparent``); the service's worker continues it
  (``WorkerTracing``, next to ``WorkerMetrics`` on every service);
* an event written to the outbox carries it in its envelope (the CloudEvents
  distributed-tracing extension, ``traceparent``); the subscription that
  handles the event continues it — a batch of several events starts a span
  linked to each of theirs.

Log lines keep the request id and gain ``trace_id`` while a span is current.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from nameko.extensions import DependencyProvider
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

from doudi_common.metrics import ENABLED

tracer = trace.get_tracer("doudi")
_CONFIGURED: list[str] = []


def configure(service: str) -> bool:
    """Export this process's spans over OTLP when an endpoint is configured
    (once per process); returns whether tracing is on."""
    if _CONFIGURED:
        return True
    if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"doudi-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _CONFIGURED.append(service)
    return True


def traceparent() -> str | None:
    """The current span's ``traceparent``, or None (no span, or tracing off)."""
    if not ENABLED:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def _context_of(value: str | None):
    return propagate.extract({"traceparent": value}) if value else None


def start(name: str, *, kind: SpanKind, parent: str | None = None,
          linked: Iterable[str] = (), attributes: Mapping[str, Any] | None = None):
    """Start a span (child of ``parent``'s traceparent when given, linked to
    ``linked`` ones) and make it current; returns what ``finish`` needs."""
    links = []
    for value in linked:
        span_context = trace.get_current_span(_context_of(value)).get_span_context()
        if span_context.is_valid:
            links.append(Link(span_context))
    span = tracer.start_span(name, context=_context_of(parent), kind=kind, links=links,
                             attributes=dict(attributes or {}))
    token = otel_context.attach(trace.set_span_in_context(span))
    trace_id = span.get_span_context().trace_id
    if trace_id:
        structlog.contextvars.bind_contextvars(trace_id=f"{trace_id:032x}")
    return span, token


def finish(started, error: BaseException | None = None) -> None:
    span, token = started
    if error is not None:
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
    span.end()
    otel_context.detach(token)
    structlog.contextvars.unbind_contextvars("trace_id")


class WorkerTracing(DependencyProvider):
    """A span per worker: an RPC (or a read over HTTP) continues the caller's
    trace (context data ``traceparent``); a subscription's batch continues its
    event's trace, or links to each event's when there are several."""

    def setup(self):
        self._spans: dict[Any, Any] = {}

    def worker_setup(self, worker_ctx):
        if not ENABLED:
            return
        entrypoint = worker_ctx.entrypoint
        kind = type(entrypoint).__name__
        name = f"{worker_ctx.service_name}.{entrypoint.method_name}"
        if kind in ("Rpc", "HttpRead"):  # through the broker, or a read over HTTP
            self._spans[worker_ctx] = start(
                name, kind=SpanKind.SERVER, parent=worker_ctx.data.get("traceparent"),
                attributes={"rpc.system": "nameko", "rpc.service": worker_ctx.service_name,
                            "rpc.method": entrypoint.method_name})
        elif kind == "EventSubscriber":
            events = worker_ctx.args[0] if worker_ctx.args else []
            parents = [e.get("traceparent") for e in events if e.get("traceparent")]
            one = parents[0] if len(events) == 1 and parents else None
            self._spans[worker_ctx] = start(
                name, kind=SpanKind.CONSUMER, parent=one, linked=[] if one else parents,
                attributes={"messaging.system": "rabbitmq",
                            "messaging.batch.message_count": len(events)})

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._spans.pop(worker_ctx, None)
        if started is not None:
            finish(started, exc_info[1] if exc_info else None)

    def worker_teardown(self, worker_ctx):
        started = self._spans.pop(worker_ctx, None)
        if started is not None:
            finish(started)
