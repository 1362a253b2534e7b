"""The gateway's Flask application (``create_app()`` for gunicorn)."""

from __future__ import annotations

import os

from doudi_common.config import load_config
from doudi_common.logs import configure_logging, get_logger
from flask import Flask
from flask_smorest import Api

from doudi_gateway import auth, observe, ops
from doudi_gateway.auth import RateLimiter
from doudi_gateway.problems import register_problem_handlers
from doudi_gateway.rpc import RpcClient
from doudi_gateway.store import admin_password_from_env, store_from_config

API_PREFIX = "/api/v1"

#: signing key used only when DOUDI_ENV=development and DOUDI_JWT_SECRET is unset
DEV_JWT_SECRET = "doudi-development-only-jwt-secret"

log = get_logger(__name__)


def gateway_config(**overrides) -> dict:
    path = os.environ.get("DOUDI_GATEWAY_CONFIG")
    return load_config(path, service="gateway", **overrides) if path else \
        load_config(_default_config_path(), **overrides)


def _default_config_path() -> str:
    from doudi_common.config import repo_root

    return str(repo_root() / "gateway" / "config.yaml")


def jwt_secret(config: dict) -> str:
    """The signing key: ``JWT_SECRET`` (``DOUDI_JWT_SECRET``); a fixed development
    key only when ``ENVIRONMENT`` (``DOUDI_ENV``) is ``development``."""
    secret = config.get("JWT_SECRET") or os.environ.get("DOUDI_JWT_SECRET")
    if secret:
        if len(str(secret)) < 16 and str(config.get("ENVIRONMENT")) != "development":
            raise RuntimeError("DOUDI_JWT_SECRET is too short (at least 16 characters)")
        return str(secret)
    if str(config.get("ENVIRONMENT", "")).lower() == "development":
        log.warning("using the development JWT signing key (DOUDI_ENV=development)")
        return DEV_JWT_SECRET
    raise RuntimeError("DOUDI_JWT_SECRET is not set (set DOUDI_ENV=development for a "
                       "development key; `doudi-gateway` generates one per run)")


def create_app(config: dict | None = None) -> Flask:
    config = config or gateway_config()
    configure_logging(config.get("LOG_LEVEL", "INFO"), config.get("LOG_FORMAT", "auto"), "gateway")
    app = Flask("doudi_gateway")
    app.config.update(
        DOUDI=config,
        API_TITLE="doudi 兜底 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="/docs",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
        OPENAPI_SWAGGER_UI_PATH="/swagger",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearerAuth": []}],
        },
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=int(config.get("MAX_BODY_BYTES", 2 * 1024 * 1024)),
    )
    app.json.ensure_ascii = False
    app.extensions["doudi_rpc"] = RpcClient(config, timeout=float(config.get("RPC_TIMEOUT", 10)))
    app.extensions["doudi_jwt_secret"] = jwt_secret(config)
    store = store_from_config(config)
    if str(config.get("AUTO_MIGRATE", True)).lower() in ("1", "true", "yes", "on"):
        store.migrate()
        store.ensure_admin(config.get("ADMIN_PASSWORD") or admin_password_from_env())
    app.extensions["doudi_store"] = store
    app.extensions["doudi_login_limiter"] = RateLimiter(
        int(config.get("LOGIN_RATE_LIMIT", 10)), float(config.get("LOGIN_RATE_WINDOW", 60)))

    observe.install(app)            # request id first, so even a 401 carries one
    app.before_request(auth.authenticate_request)

    api = Api(app)
    api.register_blueprint(ops.blp)
    api.register_blueprint(auth.blp)
    from doudi_gateway.resources import register_all

    register_all(api)
    _public_docs(api)
    register_problem_handlers(app)
    return app


def _public_docs(api: Api) -> None:
    """Endpoints that need no token say so in the OpenAPI document."""
    spec = api.spec
    for path in ("/healthz", "/readyz", "/api/v1/auth/token", "/api/v1/auth/refresh"):
        for op in spec._paths.get(path, {}).values():
            if isinstance(op, dict):
                op["security"] = []
