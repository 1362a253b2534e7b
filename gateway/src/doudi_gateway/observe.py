"""Per-request plumbing: request ids, structured access log, Prometheus
metrics, the audit trail of writes and full reads, and CORS."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid

import structlog
from doudi_common import tracing
from doudi_common.ids import mask_in_text
from doudi_common.logs import get_logger
from doudi_common.metrics import ENABLED
from flask import Flask, Response, current_app, g, request
from opentelemetry.trace import SpanKind
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from werkzeug.exceptions import HTTPException

log = get_logger("doudi_gateway.access")
_ACCESS = logging.getLogger("doudi_gateway.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("doudi_gateway_requests_total", "HTTP requests by route and status",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("doudi_gateway_request_duration_seconds", "HTTP request latency",
                    ["route", "method"], registry=REGISTRY,
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
RPC_LATENCY = Histogram("doudi_gateway_rpc_duration_seconds", "RPC latency per service",
                        ["service", "method", "outcome"], registry=REGISTRY,
                        buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))


_CHILDREN: dict[tuple, object] = {}


def _child(metric, *labels: str):
    """``metric.labels(*labels)``, remembered: the label sets are few (routes,
    methods, statuses, services), and ``labels`` validates and locks every time."""
    key = (metric, labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    return child


def observe_rpc(service: str, method: str, seconds: float, outcome: str) -> None:
    if ENABLED:
        _child(RPC_LATENCY, service, method, outcome).observe(seconds)


def current_request_id() -> str | None:
    try:
        return g.get("request_id")
    except RuntimeError:  # outside a request
        return None


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _before():
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=g.request_id)
    # continues the caller's traceparent header (or starts a trace); off unless
    # OTEL_EXPORTER_OTLP_ENDPOINT is set (doudi_common.tracing)
    if ENABLED:
        route = _route()
        g.span = tracing.start(f"{request.method} {route}", kind=SpanKind.SERVER,
                               parent=request.headers.get("traceparent"),
                               attributes={"http.request.method": request.method,
                                           "http.route": route,
                                           "doudi.request_id": g.request_id})


def _after(resp: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route = _route()
    method = request.method
    g.status = resp.status_code
    if ENABLED:
        _child(REQUESTS, route, method, str(resp.status_code)).inc()
        _child(LATENCY, route, method).observe(elapsed)
    resp.headers["X-Request-Id"] = g.get("request_id", "")
    if g.get("etag") and resp.status_code in (200, 201):
        resp.headers["ETag"] = g.etag
    _cors(resp)
    try:
        _audit(resp)
    except Exception:
        log.exception("audit write failed")
        if request.method in WRITE_METHODS:
            from doudi_gateway.problems import problem

            return problem(503, "审计记录失败，请稍后重试", code="audit_unavailable",
                           headers={"Retry-After": "5"})
    # when INFO is off (LOG_LEVEL=WARNING) structlog's first processor would drop
    # the line: do not build it
    if route not in ("/healthz", "/readyz", "/metrics") and _ACCESS.isEnabledFor(logging.INFO):
        principal = g.get("principal")
        log.info("request", method=request.method, path=mask_in_text(request.path),
                 route=route, status=resp.status_code, ms=round(elapsed * 1000, 1),
                 user=principal.username if principal else None,
                 remote=request.remote_addr)
    return resp


def _teardown(exc):
    started = g.pop("span", None)
    if started is not None:
        if g.get("status"):
            started[0].set_attribute("http.response.status_code", g.status)
        tracing.finish(started, exc)
    structlog.contextvars.unbind_contextvars("request_id")


# -- audit ----------------------------------------------------------------------

def subject_of(id_number: str | None) -> str | None:
    """A keyed hash of an ID number: the same person always has the same subject,
    but the trail cannot be read back into ID numbers without the key."""
    if not id_number or not isinstance(id_number, str):
        return None
    import hashlib
    import hmac

    key = current_app.extensions["doudi_audit_key"].encode()
    return hmac.new(key, b"audit-subject:" + id_number.strip().upper().encode(),
                    hashlib.sha256).hexdigest()[:40]


def _subject() -> str | None:
    explicit = g.get("audit_subject")
    if explicit:
        return subject_of(explicit)
    value = (request.view_args or {}).get("id_number")
    if not value and "json_body" in g:
        body = g.json_body
        value = body.get("id_number") if isinstance(body, dict) else None
    elif not value and request.is_json:
        try:  # a refused body (too large, too deep) has no subject
            body = request.get_json(silent=True)
        except (HTTPException, RecursionError, ValueError):
            body = None
        value = body.get("id_number") if isinstance(body, dict) else None
    return subject_of(value) if isinstance(value, str) else None


def begin_audit(action: str | None = None, resource_id: str | None = None) -> None:
    """Write a pending entry before an authorised write (or a full-record read) is
    carried out; the answer completes it."""
    principal = g.principal
    g.audit_entry_id = current_app.extensions["doudi_store"].audit(
        request_id=g.get("request_id"), username=principal.username, role=principal.role,
        action=action or f"{request.method.lower()} {request.url_rule.rule}",
        method=request.method, path=mask_in_text(request.path)[:512],
        resource_id=_resource_id(resource_id), status=0, outcome="pending",
        remote_addr=request.remote_addr, subject=_subject())


def _resource_id(marked):
    value = marked or next(iter((request.view_args or {}).values()), None)
    return mask_in_text(str(value))[:64] if value is not None else None


def _audit(resp: Response) -> None:
    marked = g.get("audit")
    if request.method not in WRITE_METHODS and marked is None:
        return
    if not request.path.startswith("/api/v1/"):
        return
    if marked is None and request.url_rule is None:
        return  # 404/405 on no route: nothing was written
    marked = dict(marked or {})
    principal = g.get("principal")
    status = resp.status_code
    outcome = marked.pop("outcome", None) or (
        "ok" if status < 400 else "denied" if status in (401, 403, 423)
        else "failed" if status >= 500 else "rejected")
    if marked.get("action") == "person.read_full" and status >= 400 \
            and g.get("audit_entry_id") is None:
        return  # nothing was read
    action = marked.pop("action", None) or \
        f"{request.method.lower()} {request.url_rule.rule if request.url_rule else request.path}"
    username = marked.pop("username", None) or (principal.username if principal else None)
    role = marked.pop("role", None) or (principal.role if principal else None)
    resource_id = _resource_id(marked.pop("resource_id", None))
    store = current_app.extensions["doudi_store"]
    entry_id = g.get("audit_entry_id")
    if entry_id is not None:
        store.audit_finish(entry_id, status=status, outcome=outcome, action=action,
                           detail=marked or None)
        return
    store.audit(
        request_id=g.get("request_id"), username=username, role=role, action=action,
        method=request.method, path=mask_in_text(request.path)[:512],
        resource_id=resource_id, status=status, outcome=outcome,
        remote_addr=request.remote_addr, detail=marked or None, subject=_subject())


# -- CORS -----------------------------------------------------------------------

def _cors(resp: Response) -> None:
    origins = current_app.config["DOUDI"].get("CORS_ORIGINS") or []
    if isinstance(origins, str):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    origin = request.headers.get("Origin")
    if not origin or not (origin in origins or "*" in origins):
        return
    resp.headers["Access-Control-Allow-Origin"] = origin
    resp.headers.add("Vary", "Origin")
    resp.headers["Access-Control-Expose-Headers"] = \
        "ETag, Location, Retry-After, X-Request-Id, Idempotent-Replayed"
    if request.method == "OPTIONS":
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = \
            "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id"
        resp.headers["Access-Control-Max-Age"] = "600"


# -- /metrics -------------------------------------------------------------------

def metrics():
    token = current_app.config["DOUDI"].get("METRICS_TOKEN")
    if token and request.headers.get("Authorization", "") != f"Bearer {token}":
        from doudi_gateway.problems import problem

        return problem(401, "需要 metrics 令牌", headers={"WWW-Authenticate": "Bearer"})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
    app.add_url_rule("/metrics", "metrics", metrics)
