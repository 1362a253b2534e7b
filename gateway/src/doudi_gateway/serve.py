"""``doudi-gateway``: run the gateway under gunicorn's gthread worker.

Binds ``127.0.0.1:8000`` by default (``DOUDI_GATEWAY_HOST`` / ``DOUDI_GATEWAY_PORT``
override); extra arguments go to gunicorn.
"""

from __future__ import annotations

import os
import secrets
import sys

GUNICORN_CONFIG = "python:doudi_gateway.gunicorn_conf"


def main(argv: list[str] | None = None) -> int:
    if not os.environ.get("DOUDI_JWT_SECRET") and os.environ.get("DOUDI_ENV") != "development":
        # a fresh random key per run, shared by the workers: tokens do not survive a
        # restart. Production sets DOUDI_JWT_SECRET from a Secret.
        os.environ["DOUDI_JWT_SECRET"] = secrets.token_urlsafe(48)
        print("doudi-gateway: DOUDI_JWT_SECRET not set; using a random key for this run",
              file=sys.stderr)
    # migrate and create the first admin once, before the workers start
    from doudi_gateway.app import gateway_config
    from doudi_gateway.store import admin_password_from_env, store_from_config

    config = gateway_config()
    store = store_from_config(config)
    store.migrate()
    store.ensure_admin(config.get("ADMIN_PASSWORD") or admin_password_from_env())
    if store.count_users() == 0:
        print("doudi-gateway: no users yet — set DOUDI_ADMIN_PASSWORD for a first `admin`, "
              "or `doudi-gateway-admin add-user NAME --role admin`", file=sys.stderr)
    store.engine.dispose()
    _metrics_dir()
    host = os.environ.get("DOUDI_GATEWAY_HOST", "127.0.0.1")
    port = os.environ.get("DOUDI_GATEWAY_PORT", "8000")
    shown = "127.0.0.1" if host == "0.0.0.0" else host  # noqa: S104
    print(f"doudi-gateway: metrics at http://{shown}:{port}/metrics", file=sys.stderr)
    args = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG,
            "--worker-class", "gthread",
            "--workers", os.environ.get("DOUDI_GATEWAY_WORKERS", "2"),
            "--threads", os.environ.get("DOUDI_GATEWAY_THREADS", "8"),
            # no gunicorn access log: it would print ID numbers in paths; the
            # gateway writes its own structured, masked access log
            "--bind", f"{host}:{port}",
            *(argv if argv is not None else sys.argv[1:]),
            "doudi_gateway.app:create_app()"]
    os.execvp(args[0], args)  # noqa: S606 - gunicorn replaces this process, no shell
    return 0  # pragma: no cover


def _metrics_dir() -> None:
    """Prometheus multiprocess mode: /metrics sums every worker's counters."""
    import shutil
    import tempfile

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = tempfile.mkdtemp(prefix="doudi-gateway-metrics-")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


if __name__ == "__main__":
    sys.exit(main())
