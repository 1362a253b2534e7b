"""Background jobs (a county's settlement): their state, phase and progress,
the result or the problem — for the person who started one and anyone who may
read the county's money."""

from __future__ import annotations

from flask import g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import requires
from doudi_gateway.schemas.jobs import JobListSchema, JobSchema
from doudi_gateway.web import rpc, scope_read

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs",
                description="后台任务（月度结算）(jobs)")


def job_url(job_id: str) -> str:
    return f"/api/v1/jobs/{job_id}"


@blp.route("/<job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@requires("funding:read")
def get_job(job_id):
    """One job: state, phase, progress; the result when it succeeded."""
    return scope_read(rpc("funding", "get_job", job_id), "任务")


@blp.route("", methods=["GET"])
@blp.response(200, JobListSchema)
@requires("funding:read")
def list_jobs():
    """The jobs the caller started, newest first."""
    return rpc("funding", "list_jobs", g.principal.username)
