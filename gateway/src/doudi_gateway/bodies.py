"""Request bodies checked before anything reads them: a body over the limit is
413, one that is not JSON where the API takes JSON is 415, malformed or
too-deeply-nested JSON is 400 — each as problem+json, before the audit trail
(which refuses a write when it cannot record it) is touched, so hostile input
never looks like an outage. A body that passes is parsed here once and kept
as ``g.json_body`` for the argument parser and the audit trail."""

from __future__ import annotations

import json

from flask import Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from doudi_gateway.problems import problem

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def body_problem() -> Response | None:
    """The problem with this request's body, or None when it may be read."""
    if request.method not in BODY_METHODS:
        return None
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        return _too_large(limit)
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return _too_large(limit)
    if not data:
        return None
    if not request.is_json:
        return problem(415, "请求体须为 JSON（Content-Type: application/json）",
                       code="unsupported_media_type")
    try:
        # parsed once: the argument parser and the audit trail read it from g
        g.json_body = json.loads(data)
    except RecursionError:
        return problem(400, "JSON 嵌套层级过深", code="too_deep")
    except ValueError:
        return problem(400, "请求体不是合法的 JSON", code="bad_json")
    return None


def _too_large(limit: int | None) -> Response:
    return problem(413, f"请求体过大（上限 {limit} 字节）", code="too_large", limit=limit)
