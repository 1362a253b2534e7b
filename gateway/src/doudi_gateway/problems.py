"""RFC 9457 problem+json for every error; a 500 is a bug and says so."""

from __future__ import annotations

from typing import Any

from doudi_common.errors import DoudiError, TransientError
from doudi_common.logs import get_logger
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException


class ServiceUnavailable(TransientError):
    """A service did not answer in time or the broker is unreachable."""

    def __init__(self, detail: str = "", timeout: bool = False, **fields: Any):
        super().__init__(detail, **fields)
        self.timeout = timeout


log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES = {400: "请求有误", 401: "未登录或令牌无效", 403: "无权操作", 404: "未找到",
          405: "方法不允许", 409: "状态冲突", 412: "资源已被修改", 413: "请求体过大",
          415: "不支持的内容类型", 422: "数据不合法", 423: "账户已锁定", 428: "需要前置条件",
          429: "请求过于频繁", 500: "内部错误", 503: "服务暂不可用", 504: "服务响应超时"}


def problem(status: int, detail: str = "", title: str | None = None, type_: str = "about:blank",
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": type_, "title": title or TITLES.get(status, "错误"), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type=PROBLEM_JSON + "; charset=utf-8")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {"json": {"field": ["reason"]}} as RFC 9457 invalid-params:
    [{"in": "json", "name": "field", "reason": "..."}]."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        location, _, name = prefix.partition(".")
        out += [{"in": location, "name": name or location, "reason": m} for m in messages]
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            out += _flatten(value, f"{prefix}.{i}")
    else:
        location, _, name = prefix.partition(".")
        out.append({"in": location, "name": name or location, "reason": str(messages)})
    return out


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceUnavailable)
    def _unavailable(exc: ServiceUnavailable):
        status = 504 if exc.timeout else 503
        return problem(status, exc.detail, headers={"Retry-After": "5"},
                       code="timeout" if exc.timeout else "unavailable")

    @app.errorhandler(DoudiError)
    def _service_error(exc: DoudiError):
        status = exc.status if exc.status in TITLES else 500
        headers = {"Retry-After": "5"} if status == 503 else None
        return problem(status, exc.detail, title=exc.title, headers=headers, code=exc.code,
                       **({"fields": exc.fields} if exc.fields else {}))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 500:  # an exception Flask caught outside the view (an after-request hook)
            return _unexpected(exc)
        extra: dict[str, Any] = {}
        # flask-smorest/webargs put field errors here: {"json": {"field": ["reason"]}}
        messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if messages:
            extra["errors"] = messages
            extra["invalid_params"] = _flatten(messages)
            if exc.code == 422 and not (isinstance(exc.description, str)
                                        and exc.description.startswith("请")):
                exc.description = "请求数据不合法：" + "；".join(
                    f"{p['name']}: {p['reason']}" for p in extra["invalid_params"][:5])
        detail = exc.description if isinstance(exc.description, str) else ""
        # keep what the exception says of itself: Allow on a 405 (RFC 9110 §15.5.6),
        # WWW-Authenticate, Retry-After
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return problem(exc.code or 500, detail, headers=headers or None, **extra)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem(500, "网关内部错误，已记录", code="bug")
