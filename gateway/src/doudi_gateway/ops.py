"""Operations endpoints: liveness and readiness."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.problems import ServiceUnavailable, problem

blp = Blueprint("ops", __name__, description="运维探针 (liveness / readiness)")


class HealthReply(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]),
                           metadata={"description": "ok：进程在运行"})


class ReadyReply(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]),
                           metadata={"description": "ok：全部依赖可用"})
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "各依赖的状态：broker（RabbitMQ）、各服务、gateway_db（网关数据库）→ ok"})


@blp.route("/healthz")
@blp.response(200, HealthReply)
def healthz():
    """The gateway process is up (liveness)."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadyReply)
@blp.alt_response(503, description="RabbitMQ or a service is not answering")
def readyz():
    """200 only when RabbitMQ is reachable, every service answers `health`
    within READY_TIMEOUT seconds and the gateway's own database answers;
    otherwise 503 naming what failed."""
    rpc = current_app.extensions["doudi_rpc"]
    services = current_app.config["DOUDI"]["SERVICES"]
    timeout = float(current_app.config["DOUDI"].get("READY_TIMEOUT", 2))
    try:
        results = rpc.call_all({s: (s, "health") for s in services}, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - whatever fails, readiness says 503, never 500
        results = {s: ServiceUnavailable(f"无法连接消息队列: {type(exc).__name__}", broker=True)
                   for s in services}
    broker_down = bool(services) and all(
        isinstance(r, ServiceUnavailable) and r.fields.get("broker") for r in results.values())
    checks: dict[str, str] = {}
    failed: list[str] = []
    if services:  # the broker is only asked on the way to the services
        checks["broker"] = "unavailable" if broker_down else "ok"
        if broker_down:
            failed.append("broker")
    for svc in services:
        answer = results.get(svc)
        if isinstance(answer, dict) and answer.get("ok"):
            checks[svc] = "ok"
        else:
            failed.append(svc)
            checks[svc] = (str(answer) or type(answer).__name__) if isinstance(answer, Exception) \
                else f"unhealthy: {answer}"
    store = current_app.extensions.get("doudi_store")
    if store is not None:  # users, tokens and the audit trail live there
        if store.health():
            checks["gateway_db"] = "ok"
        else:
            checks["gateway_db"] = "unavailable"
            failed.append("gateway_db")
    if failed:
        return problem(503, "依赖不可用：" + "、".join(failed), code="not_ready",
                       headers={"Retry-After": "5"}, checks=checks, failed=failed)
    return {"status": "ok", "checks": checks}
