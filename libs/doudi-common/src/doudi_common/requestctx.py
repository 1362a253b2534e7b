"""The gateway's request id in the services' logs.

The gateway sends ``request_id`` as nameko context data (header
``nameko.request_id``); this dependency binds it to structlog's context for the
worker, so every log line the worker writes carries it.
"""

from __future__ import annotations

import structlog
from nameko.extensions import DependencyProvider


class RequestContext(DependencyProvider):
    def worker_setup(self, worker_ctx) -> None:
        request_id = worker_ctx.data.get("request_id")
        if request_id:
            structlog.contextvars.bind_contextvars(request_id=str(request_id)[:64])

    def worker_teardown(self, worker_ctx) -> None:
        structlog.contextvars.unbind_contextvars("request_id")

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get("request_id")
