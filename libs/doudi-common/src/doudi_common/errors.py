"""Typed errors that cross nameko RPC and map to HTTP statuses at the gateway.

A service raises ``NotFound("人员不存在", id_number=masked)``; nameko serialises the
exception, and because every class here is registered with nameko's
``deserialize_to_instance`` (``doudi_common.rpc_errors``, imported by every RPC
end) the gateway's RPC proxy re-raises the *same* class, which the gateway turns
into RFC 9457 problem+json with ``status``.

Pure: no framework is imported here, so domain code raises these directly.
"""

from __future__ import annotations

from typing import Any


class DoudiError(Exception):
    """Base class: ``detail`` is human-readable (Chinese where staff see it),
    ``fields`` carries machine-readable context (never a full ID number)."""

    status = 500
    code = "error"
    title = "内部错误"

    def __init__(self, detail: str = "", fields: dict[str, Any] | None = None, **kwargs: Any):
        merged = dict(fields or {})
        merged.update(kwargs)
        super().__init__(detail, merged)
        self.detail = detail
        self.fields = merged

    def __str__(self) -> str:
        return self.detail or self.title

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "detail": self.detail,
                "status": self.status, "fields": self.fields}


class NotFound(DoudiError):
    status = 404
    code = "not_found"
    title = "未找到"


class Invalid(DoudiError):
    status = 422
    code = "invalid"
    title = "数据不合法"


class Conflict(DoudiError):
    status = 409
    code = "conflict"
    title = "状态冲突"


class Forbidden(DoudiError):
    status = 403
    code = "forbidden"
    title = "无权操作"


class TransientError(DoudiError):
    """Something outside us failed for now (database down, broker gone):
    retry later with back-off; never dead-letter for this."""

    status = 503
    code = "unavailable"
    title = "服务暂不可用"


#: Errors a service raises on purpose; nameko logs them as warnings, not tracebacks.
EXPECTED_ERRORS = (NotFound, Invalid, Conflict, Forbidden)
