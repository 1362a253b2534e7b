"""Reports too large for one request, as background jobs (issue 15): ``POST
/api/v1/exports`` answers 202 with ``Location: /api/v1/jobs/{job_id}`` at once;
a worker thread of the gateway reads the rows page by page from the service
(progress: rows read / total), renders the CSV or XLSX and keeps it in the
gateway's database; ``GET /api/v1/jobs/{job_id}/file`` downloads it. Jobs
share the settlement jobs' URL space and shape (``kind: export``). A job whose
worker died is taken up again when someone looks at it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from doudi_common.errors import DoudiError
from doudi_common.logs import get_logger
from flask import Flask, current_app, g

from doudi_gateway import export_store, exports, reports
from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.resources.base import NOTHING, scoped_division
from doudi_gateway.resources.divisions import scope_label
from doudi_gateway.schemas.fields import IDEMPOTENCY_DOC
from doudi_gateway.schemas.jobs import ExportRequestSchema, JobSchema
from doudi_gateway.web import idempotent, mask, rpc

log = get_logger(__name__)
blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                description="大报表的后台导出 (exports)")

PAGE = 500
#: a running export whose worker has not written for this long is taken up again
STALE = timedelta(seconds=60)
_RUNNERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="export")


def _now() -> datetime:
    return datetime.now(UTC)


def _settlement_lines(params: dict) -> tuple[Callable[[int, int], dict], Callable]:
    def fetch(page: int, per_page: int) -> dict:
        return rpc("funding", "list_settlements", params["month"],
                   division_code=params["division_code"] or None,
                   institution_uscc=params.get("institution_uscc"), page=page,
                   per_page=per_page)

    def table(rows: list, by: str):
        scope = params.get("institution_uscc") or scope_label(params["division_code"])
        return reports.lines_table(rows, scope, params["month"], by)

    return fetch, table


def _payouts(params: dict) -> tuple[Callable[[int, int], dict], Callable]:
    def fetch(page: int, per_page: int) -> dict:
        reply = rpc("funding", "list_payouts", params["month"],
                    division_code=params["division_code"] or None)
        items = sorted(reply.get("items", []), key=lambda p: str(p.get("payout_id")))
        return {"items": items, "total": len(items)}  # one reply: the service does not page

    def table(rows: list, by: str):
        return reports.payouts_table(rows, scope_label(params["division_code"]),
                                     params["month"], by)

    return fetch, table


REPORTS = {"settlement_lines": _settlement_lines, "payouts": _payouts}


def run(app: Flask, job_id: str) -> None:
    """Render one export (in a worker thread)."""
    with app.app_context():
        engine = app.extensions["doudi_store"].engine
        job = export_store.claim(engine, job_id, _now(), _now() - STALE)
        if job is None:
            return  # another worker has it, or it is done
        try:
            fetch, table = REPORTS[job["report"]](job["params"])
            rows: list[dict[str, Any]] = []
            page = 1
            while True:
                reply = fetch(page, PAGE)
                rows += reply["items"]
                export_store.progress(engine, job_id, "loading", len(rows), reply["total"],
                                      _now())
                if len(rows) >= reply["total"] or not reply["items"]:
                    break
                page += 1
            export_store.progress(engine, job_id, "rendering", len(rows), len(rows), _now())
            rendered = table(mask(rows), job["requested_by"])
            body = exports.to_xlsx(rendered) if job["format"] == "xlsx" else \
                exports.to_csv(rendered)
            kind = exports.XLSX_TYPE if job["format"] == "xlsx" else exports.CSV_TYPE
            export_store.succeed(engine, job_id, body, kind,
                                 f"{exports.file_stem(rendered)}.{job['format']}", len(rows),
                                 _now())
        except DoudiError as exc:
            export_store.fail(engine, job_id, {"status": exc.status, "code": exc.code,
                                               "detail": exc.detail,
                                               "fields": {k: str(v) for k, v in
                                                          exc.fields.items()}}, _now())
        except Exception as exc:
            log.exception("export failed", job_id=job_id)
            export_store.fail(engine, job_id, {"status": 500, "code": "bug",
                                               "detail": f"导出失败：{type(exc).__name__}"},
                              _now())


def start(job_id: str) -> None:
    _RUNNERS.submit(run, current_app._get_current_object(), job_id)  # type: ignore[attr-defined]


def reply(job: dict) -> dict:
    """An export job in the shape of every job (``JobSchema``)."""
    from doudi_common.serialize import to_jsonable

    done = job["state"] == "succeeded"
    return to_jsonable({
        "job_id": job["job_id"], "kind": "export", "state": job["state"], "phase": job["phase"],
        "done": job["done"], "total": job["total"], "attempts": job["attempts"],
        "division_code": job["division_code"],
        "params": {**job["params"], "report": job["report"], "format": job["format"]},
        "result": None, "error": job["error"], "requested_by": job["requested_by"],
        "file": {"url": f"/api/v1/jobs/{job['job_id']}/file", "filename": job["filename"],
                 "content_type": job["content_type"], "rows": job["total"]} if done else None,
        "created_at": job["created_at"], "started_at": job["started_at"],
        "finished_at": job["finished_at"]})


def resume_if_stale(job: dict) -> None:
    """Somebody looks at a job nobody is working on (its worker died): take it up."""
    quiet = job["heartbeat_at"] or job["created_at"]
    if (job["state"] == "running" and quiet < _now() - STALE) or \
            (job["state"] == "queued" and quiet < _now() - timedelta(seconds=5)):
        start(job["job_id"])


@blp.route("", methods=["POST"])
@idempotent
@blp.doc(**IDEMPOTENCY_DOC)
@blp.arguments(ExportRequestSchema)
@blp.response(202, JobSchema, description="导出已排队：Location 指向任务，完成后任务带下载地址",
              headers={"Location": {"description": "任务地址 /api/v1/jobs/{job_id}",
                                    "schema": {"type": "string"}}})
@requires("funding:read")
def create_export(body):
    """Export a report too large for one request (every settlement line of a
    county's month, its payouts) in the background: 202 with the job at once;
    follow ``Location`` until ``succeeded``, then download ``file.url``."""
    from doudi_common.errors import NotFound

    division = scoped_division(body.get("division_code"))
    if division is NOTHING:
        raise NotFound("未找到该区划", resource="division")
    params = {"month": body["month"], "division_code": division or "",
              "institution_uscc": body.get("institution_uscc")}
    job = export_store.create(current_app.extensions["doudi_store"].engine,
                              report=body["report"], fmt=body["format"], params=params,
                              division_code=division or "", by=g.principal.username,
                              now=_now())
    start(job["job_id"])
    return reply(job), 202, {"Location": f"/api/v1/jobs/{job['job_id']}"}
