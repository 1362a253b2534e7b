"""The gateway's Flask application (``create_app()`` for gunicorn)."""

from __future__ import annotations

import functools
import json
import os

from doudi_common import tracing
from doudi_common.config import load_config
from doudi_common.ids import preload_regions
from doudi_common.logs import configure_logging, get_logger
from flask import Flask
from flask_smorest import Api

from doudi_gateway import auth, docs_pages, observe, ops, portal
from doudi_gateway.auth import KeySet, RateLimiter
from doudi_gateway.person_refs import PersonRefs
from doudi_gateway.problems import register_problem_handlers
from doudi_gateway.rpc import RpcClient
from doudi_gateway.store import admin_password_from_env, store_from_config

API_PREFIX = "/api/v1"

#: signing key used only when DOUDI_ENV=development and DOUDI_JWT_SECRET is unset
DEV_JWT_SECRET = "doudi-development-only-jwt-secret"  # noqa: S105 - refused outside development

log = get_logger(__name__)


def gateway_config(**overrides) -> dict:
    path = os.environ.get("DOUDI_GATEWAY_CONFIG")
    return load_config(path, service="gateway", **overrides) if path else \
        load_config(_default_config_path(), **overrides)


def _default_config_path() -> str:
    from doudi_common.config import repo_root

    return str(repo_root() / "gateway" / "config.yaml")


def jwt_secret(config: dict) -> str | None:
    """The single signing key of ``JWT_SECRET`` (``DOUDI_JWT_SECRET``), checked;
    None when unset."""
    secret = config.get("JWT_SECRET") or os.environ.get("DOUDI_JWT_SECRET")
    if secret and len(str(secret)) < 16 and str(config.get("ENVIRONMENT")) != "development":
        raise RuntimeError("DOUDI_JWT_SECRET is too short (at least 16 characters)")
    return str(secret) if secret else None


def _development(config: dict) -> bool:
    return str(config.get("ENVIRONMENT", "")).lower() == "development"


def signing_keys(config: dict) -> KeySet:
    """The token keys: ``JWT_KEYS`` (``DOUDI_JWT_KEYS``, ``kid:secret,kid:secret``)
    with ``JWT_KID`` (``DOUDI_JWT_KID``, default the first) signing and every one
    verifying — a key is rotated by adding the new one, making it current, and
    removing the old one once its tokens have expired. ``JWT_SECRET`` alone is one
    key (kid ``default``); beside ``JWT_KEYS`` it verifies tokens that carry no kid.
    A fixed development key only when ``ENVIRONMENT`` is ``development``."""
    legacy = jwt_secret(config)
    listed = str(config.get("JWT_KEYS") or os.environ.get("DOUDI_JWT_KEYS") or "").strip()
    if listed:
        keys = KeySet.parse(listed, str(config.get("JWT_KID") or "").strip() or None,
                            legacy=legacy)
        if not _development(config) and any(len(k) < 16 for k in keys.keys.values()):
            raise RuntimeError("a key in DOUDI_JWT_KEYS is too short (at least 16 characters)")
        return keys
    if legacy:
        return KeySet({"default": legacy}, "default", legacy=legacy)
    if _development(config):
        log.warning("using the development JWT signing key (DOUDI_ENV=development)")
        return KeySet({"dev": DEV_JWT_SECRET}, "dev", legacy=DEV_JWT_SECRET)
    raise RuntimeError("DOUDI_JWT_SECRET (or DOUDI_JWT_KEYS) is not set (set DOUDI_ENV="
                       "development for a development key; `doudi-gateway` generates one "
                       "per run)")


def audit_key(config: dict, keys: KeySet) -> str:
    """The key of the audit trail's subject hashes and the person links: its own
    ``AUDIT_KEY`` (``DOUDI_AUDIT_KEY``), so that rotating the token keys keeps the
    link between audit entries and persons. Unset, it is the single
    ``JWT_SECRET`` (what it was before the two were separated); beside
    ``JWT_KEYS`` it must be set."""
    key = config.get("AUDIT_KEY") or os.environ.get("DOUDI_AUDIT_KEY")
    if key:
        if len(str(key)) < 16 and not _development(config):
            raise RuntimeError("DOUDI_AUDIT_KEY is too short (at least 16 characters)")
        return str(key)
    if keys.legacy:
        return keys.legacy
    raise RuntimeError("DOUDI_AUDIT_KEY is not set: with DOUDI_JWT_KEYS the audit-subject "
                       "key is its own (rotating token keys must not change it)")


def create_app(config: dict | None = None) -> Flask:
    config = config or gateway_config()
    configure_logging(config.get("LOG_LEVEL", "INFO"), config.get("LOG_FORMAT", "auto"), "gateway")
    tracing.configure("gateway")  # OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
    app = Flask("doudi_gateway")
    app.config.update(
        DOUDI=config,
        API_TITLE="doudi 兜底 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearerAuth": []}],
        },
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=int(config.get("MAX_BODY_BYTES", 2 * 1024 * 1024)),
    )
    app.json.ensure_ascii = False
    hops = int(config.get("PROXY_HOPS", 0) or 0)
    if hops > 0:  # behind an ingress: the client address for audit and rate limits
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    preload_regions()  # ID-number checks: the address-code table, before threads race for it
    app.extensions["doudi_rpc"] = RpcClient(config, timeout=float(config.get("RPC_TIMEOUT", 10)))
    keys = signing_keys(config)
    app.extensions["doudi_jwt_keys"] = keys
    app.extensions["doudi_audit_key"] = audit_key(config, keys)
    app.extensions["doudi_person_refs"] = PersonRefs(app.extensions["doudi_audit_key"])
    store = store_from_config(config)
    if str(config.get("AUTO_MIGRATE", True)).lower() in ("1", "true", "yes", "on"):
        store.migrate()
        store.ensure_admin(config.get("ADMIN_PASSWORD") or admin_password_from_env())
    app.extensions["doudi_store"] = store
    app.extensions["doudi_login_limiter"] = RateLimiter(
        int(config.get("LOGIN_RATE_LIMIT", 10)), float(config.get("LOGIN_RATE_WINDOW", 60)),
        storage_uri=str(config.get("RATE_LIMIT_STORAGE") or "memory://"),
        namespace=str(config.get("RATE_LIMIT_NAMESPACE") or "doudi-login"))

    observe.install(app)            # request id first, so even a 401 carries one
    app.before_request(auth.authenticate_request)

    docs_pages.install(app)          # Swagger UI from the gateway itself, before Api reads it
    api = Api(app)
    api.ma_plugin.converter.add_attribute_function(_field_glossary)
    api.register_blueprint(ops.blp)
    api.register_blueprint(auth.blp)
    from doudi_gateway.resources import register_all

    register_all(api)
    _public_docs(api)
    _problem_docs(api)
    register_problem_handlers(app)
    portal.install(app)             # the staff portal at / (after the API's routes)
    if str(config.get("CHECK_REPLIES", False)).lower() in ("1", "true", "yes", "on"):
        from doudi_gateway import replycheck

        replycheck.install(app, api.spec.to_dict)
    return app


def _field_glossary(self, field, **_kwargs) -> dict:
    """apispec attribute function: descriptions from the one field glossary."""
    from doudi_gateway.schemas.glossary import describe

    return describe(field)


def _public_docs(api: Api) -> None:
    """Endpoints that need no token say so in the OpenAPI document."""
    spec = api.spec
    for path in ("/healthz", "/readyz", "/api/v1/auth/token", "/api/v1/auth/refresh",
                 "/api/v1/vocabularies", "/api/v1/vocabularies/{name}",
                 "/api/v1/divisions/{code}", "/api/v1/divisions/{code}/children"):
        for op in spec._paths.get(path, {}).values():
            if isinstance(op, dict):
                op["security"] = []


PROBLEM_SCHEMA = {
    "type": "object", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "问题类型 URI（通常为 about:blank）"},
        "title": {"type": "string", "description": "问题标题（中文）"},
        "status": {"type": "integer", "description": "HTTP 状态码"},
        "detail": {"type": "string", "description": "原因（中文，可直接展示给用户）"},
        "code": {"type": "string", "description": "机器可读的原因代码（如 out_of_jurisdiction）"},
        "errors": {"type": "object", "description": "webargs: {location: {field: [reason]}}"},
        "invalid_params": {"type": "array",
                           "description": "不合法的字段：位置、名称（点分路径）、原因",
                           "items": {
            "type": "object", "properties": {"in": {"type": "string", "description": "位置"},
                                             "name": {"type": "string", "description": "字段"},
                                             "reason": {"type": "string",
                                                        "description": "原因（中文）"}}}},
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}
_STANDARD_ERRORS = {
    "401": "未登录或令牌无效", "403": "无权操作或不在辖区内", "404": "未找到（或不在辖区内）",
    "409": "状态冲突", "412": "If-Match 不符", "422": "数据不合法（字段与原因）",
    "503": "服务暂不可用 (Retry-After)", "504": "服务响应超时 (Retry-After)",
}


def _spreadsheets(response: dict) -> None:
    """An operation with ``format``: its 200 may also be CSV or XLSX."""
    content = response.setdefault("content", {})
    content["text/csv"] = {"schema": {"type": "string"}}
    content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = {
        "schema": {"type": "string", "format": "binary"}}


def _null_alternatives(node) -> None:
    """apispec writes a nullable nested object as ``anyOf: [{$ref}, {nullable: true,
    type: object}]`` — the second branch would admit any object. Make it admit
    only null (``enum: [null]``), so validators and generated clients read
    ``X | null``."""
    if isinstance(node, dict):
        for branch in node.get("anyOf") or []:
            if branch == {"nullable": True, "type": "object"}:
                branch["enum"] = [None]
        for value in node.values():
            _null_alternatives(value)
    elif isinstance(node, list):
        for value in node:
            _null_alternatives(value)


@functools.cache
def _examples() -> dict:
    """Replies recorded by the API tour (tests/test_api_tour.py), one per
    operation and status: the document's examples."""
    from importlib.resources import files

    return json.loads(files("doudi_gateway").joinpath("openapi_examples.json")
                      .read_text(encoding="utf-8"))


def _example(op: dict, responses: dict) -> None:
    for status, example in _examples().get(op.get("operationId"), {}).items():
        content = responses.get(status, {}).get("content", {}).get("application/json")
        if content is not None:
            content["example"] = example


def _problem_docs(api: Api) -> None:
    """Errors are application/problem+json with one schema everywhere; every
    operation documents the error statuses the gateway may answer."""
    spec = api.spec
    original = spec.to_dict

    def to_dict():
        doc = original()
        components = doc.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for response in components.get("responses", {}).values():
            response["content"] = dict(_PROBLEM_CONTENT)
        from doudi_gateway.schemas.paths import describe_path_parameters

        for path, operations in doc.get("paths", {}).items():
            describe_path_parameters(path, operations.get("parameters", []))
            for op in operations.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                responses = op["responses"]
                for code, response in list(responses.items()):
                    is_error = code == "default" or code.startswith(("4", "5"))
                    if is_error and "$ref" not in response:
                        response["content"] = dict(_PROBLEM_CONTENT)
                public = op.get("security") == []
                for code, text in _STANDARD_ERRORS.items():
                    if public and code not in ("422", "503", "504"):
                        continue
                    responses.setdefault(code, {"description": text,
                                                "content": dict(_PROBLEM_CONTENT)})
                if "200" in responses and any(
                        p.get("name") == "format" for p in op.get("parameters", [])):
                    _spreadsheets(responses["200"])
                _example(op, responses)
        _null_alternatives(doc)
        return doc

    spec.to_dict = to_dict
