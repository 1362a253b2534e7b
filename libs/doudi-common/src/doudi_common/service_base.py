"""What every doudi service class has: a ``health`` RPC.

    class EligibilityService(ServiceBase):
        name = "eligibility"
        db = Database(metadata)
"""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.metrics import WorkerMetrics
from doudi_common.requestctx import RequestContext
from doudi_common.tracing import WorkerTracing


class ServiceBase:
    name: str

    #: the gateway's request id (nameko context data) in this worker's log lines
    request_id = RequestContext()
    #: every worker timed and counted by its entrypoint (doudi_common.metrics)
    worker_metrics = WorkerMetrics()
    #: a span per worker, continuing the caller's or the event's trace (doudi_common.tracing)
    worker_tracing = WorkerTracing()

    @rpc
    def health(self) -> dict:
        """Answer when the process runs, the database answers and migrations are
        current; the gateway's /readyz asks every service this."""
        status = self.db.health() if hasattr(self, "db") else {}
        ok = status.get("database") == "ok" and status.get("migrations_current", True)
        return {"service": self.name, "ok": bool(ok), **status}
