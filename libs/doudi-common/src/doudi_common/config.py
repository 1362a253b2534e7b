"""Per-service configuration: a YAML file with ``${ENV_VAR:default}`` substitution.

We reuse nameko's own YAML loader (the same syntax ``nameko run --config`` takes),
so a service's ``config.yaml`` reads e.g.::

    AMQP_URI: ${DOUDI_AMQP_URI:pyamqp://guest:guest@localhost:5672/}
    DB_URL: ${DOUDI_DB_URL:sqlite:///var/eligibility.db}

Environment variables always win over the file's defaults; defaults run locally.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor


class ConfigLoader(yaml.SafeLoader):
    """nameko's ``${VAR:default}`` syntax on a loader of our own: nameko's
    ``setup_yaml_parser`` would change ``yaml.safe_load`` for the whole process."""


ConfigLoader.add_constructor("!env_var", env_var_constructor)
ConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)

#: The environment variables every service understands (documented in README).
ENV_OVERRIDES = {
    "AMQP_URI": "DOUDI_AMQP_URI",
    "DB_URL": "DOUDI_DB_URL",
    "AUTO_MIGRATE": "DOUDI_AUTO_MIGRATE",
    "LOG_LEVEL": "DOUDI_LOG_LEVEL",
    "LOG_FORMAT": "DOUDI_LOG_FORMAT",
    # durable queues as classic or quorum queues (doudi_common.queue_types)
    "QUEUE_TYPE": "DOUDI_QUEUE_TYPE",
}

DEFAULTS: dict[str, Any] = {
    "AMQP_URI": "pyamqp://guest:guest@localhost:5672/",
    "AUTO_MIGRATE": True,
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "auto",
    "max_workers": 10,
    "OUTBOX_POLL_INTERVAL": 0.5,
    "OUTBOX_BATCH_SIZE": 200,
    # who may publish on each department exchange (AMQP user_id must match)
    "EVENT_PUBLISHERS": {
        "cdpf": "cdpf",
        "health": "health",
        "medical_insurance": "medical_insurance",
    },
    "RETRY_BACKOFF_MAX": 30.0,
    # events handled per worker and transaction by a subscription (entrypoints.py)
    "SUBSCRIBE_BATCH_MAX": 200,
    "QUEUE_TYPE": "classic",
}


def repo_root() -> Path:
    """The checkout (or /app in an image): the folder holding ``var/``."""
    env = os.environ.get("DOUDI_HOME")
    if env:
        return Path(env)
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "services").is_dir() and (candidate / "libs").is_dir():
            return candidate
    return here


def default_config_path(service: str) -> Path:
    return repo_root() / "services" / service.replace("_", "-") / "config.yaml"


def load_config(path: str | os.PathLike | None = None, service: str | None = None,
                **overrides: Any) -> dict[str, Any]:
    """Read a service's YAML config, apply env overrides, then ``overrides``."""
    if path is None:
        if service is None:
            raise ValueError("load_config needs a path or a service name")
        path = default_config_path(service)
    with open(path, encoding="utf-8") as fh:
        loaded = yaml.load(fh, Loader=ConfigLoader) or {}
    config = {**DEFAULTS, **loaded}
    for key, env in ENV_OVERRIDES.items():
        if env in os.environ:
            config[key] = yaml.safe_load(os.environ[env]) if key == "AUTO_MIGRATE" \
                else os.environ[env]
    config.update(overrides)
    config["DB_URL"] = resolve_db_url(config.get("DB_URL"), config.get("SERVICE_NAME", service))
    return config


def resolve_db_url(url: str | None, service: str | None) -> str:
    """Default to ``sqlite:///var/<service>.db`` under the repo root; make a
    relative SQLite path absolute so the working directory does not matter."""
    if not url:
        url = f"sqlite:///var/{(service or 'doudi').replace('-', '_')}.db"
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        path = repo_root() / url[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        url = prefix + str(path)
    return url
