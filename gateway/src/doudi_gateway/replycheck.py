"""Every 2xx JSON reply checked against the schema the OpenAPI document gives
for it (``CHECK_REPLIES``; on in the tests). Reply schemas pass the services'
JSON-ready answers through unchanged, so this is what holds the document and the
services to each other: a field the document does not name, a wrong type, a
missing required field or a code outside its vocabulary is a bug (500 with the
path of the mismatch in the log) in every test that goes through the gateway."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from doudi_common.logs import get_logger
from flask import Flask, Response, current_app, request

log = get_logger(__name__)

_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ReplyMismatch(Exception):
    """A reply that does not match its documented schema (a bug of the gateway
    or the document)."""


def openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema: ``nullable`` becomes a type
    that admits null; everything else is already JSON Schema."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items()
           if k not in ("nullable", "example", "examples", "x-vocabulary")}
    if node.get("nullable"):
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out:
            return {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        if "type" in out:
            out["type"] = [out["type"], "null"]
    return out


class ReplyChecker:
    """Validators per (path template, method, status), built once from the document."""

    def __init__(self, document: dict):
        from jsonschema import Draft7Validator, FormatChecker

        self._root = {"components": openapi_to_jsonschema(document.get("components", {}))}
        self._formats = FormatChecker(())
        self._formats.checks("date", raises=ValueError)(_is_date)
        self._formats.checks("date-time", raises=ValueError)(_is_instant)
        self._validator_class = Draft7Validator
        self._schemas: dict[tuple[str, str, str], dict] = {}
        for path, operations in document.get("paths", {}).items():
            for method, op in operations.items():
                if not isinstance(op, dict):
                    continue
                for status, response in op.get("responses", {}).items():
                    schema = (response.get("content", {}).get("application/json", {})
                              .get("schema"))
                    if status.startswith("2") and schema is not None:
                        self._schemas[(path, method, status)] = openapi_to_jsonschema(schema)
        self._lock = threading.Lock()
        self._validators: dict[tuple[str, str, str], Any] = {}

    def documented(self, path: str, method: str, status: int) -> bool:
        return (path, method.lower(), str(status)) in self._schemas

    def errors(self, path: str, method: str, status: int, body: Any) -> list[str]:
        key = (path, method.lower(), str(status))
        if key not in self._schemas:
            return [f"no JSON schema documented for {method} {path} {status}"]
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                validator = self._validator_class({**self._root, **self._schemas[key]},
                                                  format_checker=self._formats)
                self._validators[key] = validator
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message[:300]}"
                for e in validator.iter_errors(body)]


def _is_date(value: Any) -> bool:
    from datetime import date

    return not isinstance(value, str) or (len(value) == 10
                                          and date.fromisoformat(value) is not None)


def _is_instant(value: Any) -> bool:
    from datetime import datetime

    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def path_template(rule: str) -> str:
    """``/api/v1/persons/<id_number>`` → ``/api/v1/persons/{id_number}``."""
    return _RULE_PARAM.sub(r"{\1}", rule)


def install(app: Flask, document_of) -> None:
    """Check each 2xx JSON reply; ``document_of()`` gives the OpenAPI document
    (read once, on the first reply)."""
    state: dict[str, ReplyChecker] = {}

    def check(response: Response) -> Response:
        if not (200 <= response.status_code < 300) or request.url_rule is None \
                or response.mimetype != "application/json" or response.direct_passthrough:
            return response
        checker = state.get("checker")
        if checker is None:
            checker = state.setdefault("checker", ReplyChecker(document_of()))
        path = path_template(request.url_rule.rule)
        if path.endswith("/openapi.json"):
            return response
        body = json.loads(response.get_data(as_text=True) or "null")
        problems = checker.errors(path, request.method, response.status_code, body)
        if problems:
            log.error("reply does not match its documented schema", path=path,
                      method=request.method, status=response.status_code, errors=problems[:10])
            current_app.extensions.setdefault("doudi_reply_mismatches", []).append(
                (request.method, path, response.status_code, problems[:10]))
            raise ReplyMismatch(f"{request.method} {path} {response.status_code}: "
                                + "; ".join(problems[:5]))
        return response

    app.after_request(check)
