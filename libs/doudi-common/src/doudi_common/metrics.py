"""Prometheus metrics of a service process (issue 19).

Every service process serves its metrics on a port of its own
(``METRICS_PORT``; ``doudi-service run`` starts the server and logs where it
is). A service is one process (eventlet), so the default registry is enough;
the gateway, under gunicorn with several workers, has its own multiprocess
metrics (``doudi_gateway.observe``).

Labels are bounded: a service, an RPC method, a handler or timer name, an
event source and a contract type, an outcome or a dead-letter reason from a
fixed list — never an ID number, an event id or free text.

* RPC: ``doudi_rpc_calls_total{service,method,outcome}``,
  ``doudi_rpc_duration_seconds{service,method}`` — outcome ``ok``,
  ``refused`` (the caller's mistake: 4xx at the gateway), ``transient``
  (database away: 503), ``error`` (a bug: 500); a read answered over HTTP
  (``entrypoints.http_rpc``) counts as the same method's call.
* Events: ``doudi_events_consumed_total{service,source,type,outcome}`` —
  outcome ``applied``, ``dead_lettered``, ``retried``;
  ``doudi_handler_duration_seconds{service,handler}`` per batch;
  ``doudi_inbox_duplicates_total{service,handler}``;
  ``doudi_dead_letters_total{service,reason}``.
* Outbox: ``doudi_outbox_pending{service}`` and
  ``doudi_outbox_oldest_age_seconds{service}`` (read from the database when
  scraped), ``doudi_outbox_published_total{service}``,
  ``doudi_outbox_confirm_duration_seconds{service}`` (one per batch),
  ``doudi_outbox_relay_failures_total{service}``.
* Timers: ``doudi_timer_runs_total{service,timer,outcome}``.
* Connections: ``doudi_connection_errors_total{service,dependency}`` —
  dependency ``database`` or ``broker``.

``DOUDI_INSTRUMENTATION=off`` turns the metrics and the trace hooks into
no-ops (the bench measures what they cost against that).
"""

from __future__ import annotations

import os
import time
from typing import Any

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

from doudi_common.logs import get_logger

log = get_logger(__name__)

#: metrics and trace hooks on (``DOUDI_INSTRUMENTATION=off``: off, for the bench)
ENABLED = os.environ.get("DOUDI_INSTRUMENTATION", "on").lower() != "off"


class _Off:
    """A metric that records nothing (instrumentation off)."""

    def labels(self, *_args, **_kwargs) -> _Off:
        return self

    def inc(self, *_args) -> None:
        pass

    observe = inc


def _metric(kind, *args, **kwargs):
    return kind(*args, **kwargs) if ENABLED else _Off()


#: latency buckets (seconds) for calls and handlers: 2 ms … 30 s
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RPC_CALLS = _metric(Counter, "doudi_rpc_calls_total", "RPC calls a service handled, by outcome",
                    ["service", "method", "outcome"])
RPC_SECONDS = _metric(Histogram, "doudi_rpc_duration_seconds",
                      "Time a service spent on an RPC call", ["service", "method"],
                      buckets=BUCKETS)
EVENTS = _metric(Counter, "doudi_events_consumed_total",
                 "Events a subscription handled, by source, type and outcome",
                 ["service", "source", "type", "outcome"])
HANDLER_SECONDS = _metric(Histogram, "doudi_handler_duration_seconds",
                            "Time a subscription's handler took for one batch of events",
                            ["service", "handler"], buckets=BUCKETS)
INBOX_DUPLICATES = _metric(Counter, "doudi_inbox_duplicates_total",
                           "Events the inbox recognised as already applied (not applied again)",
                           ["service", "handler"])
DEAD_LETTERS = _metric(Counter, "doudi_dead_letters_total", "Messages dead-lettered, by reason",
                       ["service", "reason"])
OUTBOX_PUBLISHED = _metric(Counter, "doudi_outbox_published_total",
                           "Outbox events published and confirmed by the broker", ["service"])
OUTBOX_CONFIRM_SECONDS = _metric(Histogram, "doudi_outbox_confirm_duration_seconds",
                                   "Time from publishing an outbox batch to the broker's "
                                   "confirms", ["service"], buckets=BUCKETS)
RELAY_FAILURES = _metric(Counter, "doudi_outbox_relay_failures_total",
                         "Outbox relay rounds that failed (and were retried)", ["service"])
TIMER_RUNS = _metric(Counter, "doudi_timer_runs_total", "Timer runs, by outcome",
                     ["service", "timer", "outcome"])
CONNECTION_ERRORS = _metric(Counter, "doudi_connection_errors_total",
                            "Connections to a dependency found broken",
                            ["service", "dependency"])


def outcome_of(exc: BaseException | None) -> str:
    """``ok``, ``refused`` (a DoudiError the caller caused), ``transient`` (as the
    entrypoints class it: ``outcomes.is_transient``) or ``error``."""
    from doudi_common.entrypoints.outcomes import is_transient  # (imports this module)
    from doudi_common.errors import DoudiError

    if exc is None:
        return "ok"
    if is_transient(exc):
        return "transient"
    return "refused" if isinstance(exc, DoudiError) else "error"


class WorkerMetrics(DependencyProvider):
    """Times every worker of the service and counts it by its entrypoint:
    RPC calls, subscription batches, timer runs (nameko's worker hooks, so no
    entrypoint needs to know)."""

    def setup(self):
        self._started: dict[Any, float] = {}

    def worker_setup(self, worker_ctx):
        if ENABLED:
            self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if worker_ctx not in self._started:
            return
        seconds = time.perf_counter() - self._started.pop(worker_ctx)
        service = worker_ctx.service_name
        entrypoint = worker_ctx.entrypoint
        name = entrypoint.method_name
        kind = type(entrypoint).__name__
        outcome = outcome_of(exc_info[1] if exc_info else None)
        if kind in ("Rpc", "HttpRead"):  # a call through the broker or a read over HTTP
            RPC_CALLS.labels(service, name, outcome).inc()
            RPC_SECONDS.labels(service, name).observe(seconds)
        elif kind == "EventSubscriber":
            HANDLER_SECONDS.labels(service, name).observe(seconds)
        elif "Timer" in kind:
            TIMER_RUNS.labels(service, name, outcome).inc()

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)


class OutboxCollector:
    """``doudi_outbox_pending`` and ``doudi_outbox_oldest_age_seconds``, read
    from the service's outbox when Prometheus scrapes (one indexed query; no
    cost between scrapes)."""

    def __init__(self, service: str, engine: sa.engine.Engine, table: sa.Table):
        self.service, self.engine, self.table = service, engine, table

    def collect(self):
        from doudi_common.dates import utcnow

        pending = GaugeMetricFamily("doudi_outbox_pending",
                                    "Outbox events written and not yet published",
                                    labels=["service"])
        oldest = GaugeMetricFamily("doudi_outbox_oldest_age_seconds",
                                   "Age of the oldest outbox event not yet published "
                                   "(0 when none)", labels=["service"])
        try:
            with self.engine.connect() as conn:
                count, first = conn.execute(
                    sa.select(sa.func.count(), sa.func.min(self.table.c.created_at))
                    .where(self.table.c.sent_at.is_(None))).one()
        except sa.exc.SQLAlchemyError:
            CONNECTION_ERRORS.labels(self.service, "database").inc()
            return
        pending.add_metric([self.service], count)
        # created_at reads back aware on SQLite too (doudi_common.timestamps)
        age = 0.0 if first is None else max(0.0, (utcnow() - first).total_seconds())
        oldest.add_metric([self.service], age)
        yield pending
        yield oldest


_WATCHED: set[str] = set()
_SERVING: list[int] = []  # the port, once this process serves its metrics


def watch_outbox(service: str, engine: sa.engine.Engine, table: sa.Table) -> None:
    """Register the outbox gauges of ``service`` (once per process, and only in
    a process that serves metrics: not in tests that start containers)."""
    if _SERVING and service not in _WATCHED:
        _WATCHED.add(service)
        REGISTRY.register(OutboxCollector(service, engine, table))


def serve(service: str, config: dict) -> int | None:
    """Start this process's metrics server on ``METRICS_PORT`` (0 or unset:
    none); returns the port. A port already taken is logged, not fatal: the
    service runs on without its metrics."""
    port = int(config.get("METRICS_PORT") or 0)
    if not port:
        return None
    host = str(config.get("METRICS_HOST") or "0.0.0.0")
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("metrics not served: port unavailable", port=port, error=str(exc))
        return None
    _SERVING.append(port)
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    log.info("metrics served", service=service, url=f"http://{shown}:{port}/metrics")
    return port
