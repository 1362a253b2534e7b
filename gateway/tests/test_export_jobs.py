"""Exports as background jobs (issue 15), over the real funding service: 202
with the job at once, the file when it succeeded, the caller's jurisdiction on
the job and its file, bad requests refused, and a job whose worker died taken
up again when somebody looks at it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from doudi_common.testing.fixtures import wait_for
from doudi_gateway import export_store
from doudi_gateway.app import create_app

from gateway.tests.conftest import gateway_test_config, ok, param_names, role_headers


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    start_service("funding")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    headers = role_headers(app, {"county": ("county_officer", "341502"),
                                 "other": ("county_officer", "341503")})
    return app, app.test_client(), headers


def finished(client, headers, location):
    return wait_for(lambda: (j := ok(client.get(location, headers=headers)))["state"]
                    in ("succeeded", "failed") and j, timeout=20, message="export job")


def test_an_export_job_makes_its_file_inside_the_jurisdiction(gw):
    from openpyxl import load_workbook

    _app, client, h = gw
    started = client.post("/api/v1/exports", headers=h["county"], json={
        "report": "settlement_lines", "format": "xlsx", "month": "2026-03"})
    assert started.status_code == 202, started.get_json()
    first = started.get_json()
    assert first["kind"] == "export" and first["state"] in ("queued", "running")
    assert first["params"]["division_code"] == "341502"  # the caller's jurisdiction
    job = finished(client, h["county"], started.headers["Location"])
    assert job["state"] == "succeeded" and job["file"]["rows"] == 0, job
    got = client.get(job["file"]["url"], headers=h["county"])
    assert got.status_code == 200 and got.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(got.data)).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("逐人结算明细（安徽省六安市金安区（341502）")
    assert rows[2][0] == "个案编号" and len(rows) == 3  # title, stamp, header: no lines
    # another county sees neither the job nor its file
    assert client.get(started.headers["Location"], headers=h["other"]).status_code == 404
    assert client.get(job["file"]["url"], headers=h["other"]).status_code == 404


def test_bad_export_requests_are_refused(gw):
    _app, client, h = gw
    bad = client.post("/api/v1/exports", headers=h["county"], json={
        "report": "everything", "format": "pdf", "month": "2026-13"})
    assert bad.status_code == 422
    assert param_names(bad) == {"report", "format", "month"}
    elsewhere = client.post("/api/v1/exports", headers=h["county"], json={
        "report": "payouts", "month": "2026-03", "division_code": "341503"})
    assert elsewhere.status_code == 404
    assert client.get("/api/v1/jobs/EXP-0000/file", headers=h["county"]).status_code == 404


def test_a_job_whose_worker_died_is_taken_up_again(gw):
    app, client, h = gw
    engine = app.extensions["doudi_store"].engine
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    job = export_store.create(engine, report="payouts", fmt="csv",
                              params={"month": "2026-03", "division_code": "341502",
                                      "institution_uscc": None},
                              division_code="341502", by="u_county", now=long_ago)
    # a worker claimed it, then its process was killed: running, heartbeat stale
    assert export_store.claim(engine, job["job_id"], long_ago, long_ago) is not None
    done = finished(client, h["county"], f"/api/v1/jobs/{job['job_id']}")
    assert done["state"] == "succeeded" and done["attempts"] == 2, done
    got = client.get(done["file"]["url"], headers=h["county"])
    assert got.data.startswith(b"\xef\xbb\xbf")  # CSV with its BOM
