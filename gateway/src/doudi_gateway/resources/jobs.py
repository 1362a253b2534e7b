"""Background jobs — a county's settlement (kept by funding) and exports of
large reports (kept by the gateway): state, phase, progress, the result, the
file or the problem — for the person who started one and anyone who may read
the division's money."""

from __future__ import annotations

from doudi_common.errors import NotFound
from flask import Response, current_app, g

from doudi_gateway import export_store
from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.schemas.jobs import JobListSchema, JobSchema
from doudi_gateway.web import rpc, scope_read

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs",
                description="后台任务（月度结算、报表导出）(jobs)")


def job_url(job_id: str) -> str:
    return f"/api/v1/jobs/{job_id}"


def _engine():
    return current_app.extensions["doudi_store"].engine


def _export(job_id: str) -> dict:
    job = export_store.get(_engine(), job_id)
    if job is None:
        raise NotFound("未找到该任务", resource="任务")
    return scope_read(job, "任务")


@blp.route("/<job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@requires("funding:read")
def get_job(job_id):
    """One job: state, phase, progress; the result (settlement) or the file
    (export) when it succeeded."""
    if job_id.startswith("EXP-"):
        from doudi_gateway.resources.exports import reply, resume_if_stale

        job = _export(job_id)
        resume_if_stale(job)
        return reply(job)
    return scope_read(rpc("funding", "get_job", job_id), "任务")


@blp.route("/<job_id>/file", methods=["GET"])
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml"
                                 ".sheet", description="导出的文件（CSV 或 XLSX）")
@requires("funding:read")
def job_file(job_id):
    """The file an export job made (404 until it has succeeded)."""
    if not job_id.startswith("EXP-"):
        raise NotFound("该任务没有文件", resource="任务")
    _export(job_id)
    found = export_store.file_of(_engine(), job_id)
    if found is None:
        raise NotFound("文件尚未生成", resource="文件")
    content, content_type, filename = found
    return Response(content, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("", methods=["GET"])
@blp.response(200, JobListSchema)
@requires("funding:read")
def list_jobs():
    """The jobs the caller started (settlements and exports), newest first."""
    from doudi_gateway.resources.exports import reply

    settlements = rpc("funding", "list_jobs", g.principal.username)["items"]
    exported = [reply(j) for j in export_store.of_requester(_engine(), g.principal.username)]
    items = sorted(settlements + exported, key=lambda j: j["created_at"], reverse=True)
    return {"items": items, "total": len(items)}
