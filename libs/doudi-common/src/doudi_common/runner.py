"""``doudi-service``: run, migrate or probe one service.

    doudi-service run eligibility [--config services/eligibility/config.yaml]
    doudi-service migrate eligibility
    doudi-service health eligibility      # exit 0 when it answers over RabbitMQ

``run`` monkey-patches eventlet first (nameko needs it), configures logging,
applies migrations when ``AUTO_MIGRATE`` is on (the Database dependency does it
at setup) and runs the service until SIGTERM/SIGINT.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from doudi_common.config import load_config  # noqa: E402
from doudi_common.logs import configure_logging, get_logger  # noqa: E402

SERVICES = ("eligibility", "institutions", "funding", "services_log")


def service_key(name: str) -> str:
    key = name.replace("-", "_")
    if key not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; one of: {', '.join(SERVICES)}")
    return key


def service_class(key: str):
    module = importlib.import_module(f"doudi_{key}.service")
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if getattr(obj, "name", None) == key and obj.__module__ == module.__name__:
            return obj
    raise SystemExit(f"doudi_{key}.service defines no class with name = {key!r}")


def cmd_run(key: str, config: dict) -> int:
    from unittest import mock

    from nameko.cli import run as nameko_run
    from nameko.runners import ServiceRunner

    from doudi_common.gcfreeze import freeze_startup_objects

    log = get_logger("doudi.runner", service=key)
    log.info("starting", amqp=_safe_uri(config["AMQP_URI"]), db=_safe_uri(config["DB_URL"]))
    from doudi_common.metrics import serve
    from doudi_common.tracing import configure

    serve(key, config)
    if configure(key):
        log.info("traces exported over OTLP")

    class Runner(ServiceRunner):
        def start(self):
            super().start()
            log.info("started", gc_frozen_objects=freeze_startup_objects())

    # nameko's `run` (signals, waiting, stopping) with a runner that freezes the
    # start-up objects once the container is up
    with mock.patch.object(nameko_run, "ServiceRunner", Runner):
        nameko_run.run([service_class(key)], config)
    return 0


def cmd_migrate(key: str, config: dict) -> int:
    from doudi_common.db import migrate

    revision = migrate(f"doudi_{key}", config["DB_URL"])
    print(json.dumps({"service": key, "revision": revision}))
    return 0


def cmd_wait_migrated(key: str, config: dict, timeout: float) -> int:
    """Wait until the service's database is at the migrations' head (the migrate
    Job's work), without migrating: the init container of every replica in the
    cluster. One JSON line; exit 1 when the time runs out."""
    import time

    import sqlalchemy as sa

    from doudi_common.db import current_revision, head_revision, make_engine

    package = f"doudi_{key}"
    head = head_revision(package, config["DB_URL"])
    engine = make_engine(config["DB_URL"], poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout
    current, error = None, None
    try:
        while True:
            try:
                current, error = current_revision(engine), None
            except sa.exc.SQLAlchemyError as exc:  # the database may still be starting
                error = type(exc).__name__
            if current == head or time.monotonic() >= deadline:
                break
            time.sleep(2)
    finally:
        engine.dispose()
    print(json.dumps({"service": key, "head": head, "current": current, "ok": current == head,
                      **({"error": error} if error else {})}))
    return 0 if current == head else 1


def cmd_health(key: str, config: dict, timeout: float) -> int:
    """The Kubernetes probe: one line of JSON naming what failed — ``broker``
    (unreachable), ``service`` (no consumer, or no answer in time) or
    ``database`` (the service's own check) — and exit 1; exit 0 when healthy."""
    from amqp.exceptions import AMQPError
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            answer = getattr(cluster, key).health()
    except Exception as exc:  # noqa: BLE001 - a probe reports, it does not raise
        failed = ("service" if isinstance(exc, RpcTimeout | UnknownService)
                  else "broker" if isinstance(exc, OSError | AMQPError | OperationalError)
                  else "service")
        print(json.dumps({"service": key, "ok": False, "failed": failed, "error": repr(exc)}))
        return 1
    if not answer.get("ok"):
        answer["failed"] = "database"
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if answer.get("ok") else 1


def _safe_uri(uri: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(uri)
    if not parts.password:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doudi-service", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "migrate", "wait-migrated", "health"])
    parser.add_argument("service")
    parser.add_argument("--config", help="YAML config (default services/<name>/config.yaml)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait (health: 3, wait-migrated: 600)")
    args = parser.parse_args(argv)
    key = service_key(args.service)
    config = load_config(args.config, service=key)
    configure_logging(config.get("LOG_LEVEL", "INFO"), config.get("LOG_FORMAT", "auto"), key)
    if args.command == "run":
        return cmd_run(key, config)
    if args.command == "migrate":
        return cmd_migrate(key, config)
    if args.command == "wait-migrated":
        return cmd_wait_migrated(key, config, 600.0 if args.timeout is None else args.timeout)
    return cmd_health(key, config, 3.0 if args.timeout is None else args.timeout)


if __name__ == "__main__":
    sys.exit(main())
