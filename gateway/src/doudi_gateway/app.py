"""The gateway's Flask application (``create_app()`` for gunicorn)."""

from __future__ import annotations

import os

from flask import Flask
from flask_smorest import Api

from doudi_common.config import load_config
from doudi_common.logs import configure_logging
from doudi_gateway import ops
from doudi_gateway.problems import register_problem_handlers
from doudi_gateway.rpc import RpcClient

API_PREFIX = "/api/v1"


def gateway_config(**overrides) -> dict:
    path = os.environ.get("DOUDI_GATEWAY_CONFIG")
    return load_config(path, service="gateway", **overrides) if path else \
        load_config(_default_config_path(), **overrides)


def _default_config_path() -> str:
    from doudi_common.config import repo_root

    return str(repo_root() / "gateway" / "config.yaml")


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
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.extensions["doudi_rpc"] = RpcClient(config, timeout=float(config.get("RPC_TIMEOUT", 10)))
    api = Api(app)
    api.register_blueprint(ops.blp)
    register_problem_handlers(app)
    return app
