"""``doudi-gateway``: run the gateway under gunicorn's gthread worker.

Binds ``127.0.0.1:8000`` by default (``DOUDI_GATEWAY_HOST`` / ``DOUDI_GATEWAY_PORT``
override); extra arguments go to gunicorn.
"""

from __future__ import annotations

import os
import secrets
import sys


def main(argv: list[str] | None = None) -> int:
    if not os.environ.get("DOUDI_JWT_SECRET") and os.environ.get("DOUDI_ENV") != "development":
        # a fresh random key per run, shared by the workers: tokens do not survive a
        # restart. Production sets DOUDI_JWT_SECRET from a Secret.
        os.environ["DOUDI_JWT_SECRET"] = secrets.token_urlsafe(48)
        print("doudi-gateway: DOUDI_JWT_SECRET not set; using a random key for this run",
              file=sys.stderr)
    host = os.environ.get("DOUDI_GATEWAY_HOST", "127.0.0.1")
    port = os.environ.get("DOUDI_GATEWAY_PORT", "8000")
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", os.environ.get("DOUDI_GATEWAY_WORKERS", "2"),
            "--threads", os.environ.get("DOUDI_GATEWAY_THREADS", "8"),
            # no gunicorn access log: it would print ID numbers in paths; the
            # gateway writes its own structured, masked access log
            "--bind", f"{host}:{port}",
            *(argv if argv is not None else sys.argv[1:]),
            "doudi_gateway.app:create_app()"]
    os.execvp(args[0], args)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
