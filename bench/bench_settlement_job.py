"""A county's month settled through the job API (issue 15): 100,000 placements,
``POST /api/v1/funding/settlements`` on the gateway, the real funding service
(a separate process, its timer running the job) on PostgreSQL — against the
same settlement run synchronously (``settle_county_month`` in this process) on
an identically seeded database in the same run.

Prints how long the POST took and what the job said when it answered (queued,
nothing settled yet), the progress the job reported while it ran, the whole
job from POST to ``succeeded`` (as a client polling the job sees it) and its
ratio to the synchronous settlement. Target: ≤ 1.2×.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from bench.bench_funding import COUNTY, MONTH, N, seed
from bench.bench_gateway import MGMT, _vhost
from bench.common import Stopwatch, scratch_database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOW = "2026-04-03T09:00:00+08:00"


def synchronous(url: str) -> float:
    from doudi_common.db import DatabaseCore
    from doudi_funding.models import metadata
    from doudi_funding.store.settlement import settle_county_month

    core = DatabaseCore(url, "doudi_funding", "funding", metadata)
    try:
        seed(core.engine, N)
        with Stopwatch() as watch, core.unit_of_work() as uow:
            run, _ = settle_county_month(uow, COUNTY, MONTH, datetime.fromisoformat(NOW))
        assert run["cases"] == N, run
        return watch.seconds
    finally:
        core.dispose()


def funding_process(url: str, amqp: str, tmp: Path, log) -> subprocess.Popen:
    config = tmp / "funding.yaml"
    config.write_text((ROOT / "services" / "funding" / "config.yaml").read_text(encoding="utf-8")
                      + f'\nCLOCK_FIXED: "{NOW}"\n', encoding="utf-8")
    env = {**os.environ, "DOUDI_AMQP_URI": amqp, "DOUDI_DB_URL": url,
           "DOUDI_LOG_FORMAT": "json", "DOUDI_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([str(BIN / "doudi-service"), "run", "funding", "--config",
                             str(config)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def through_the_api(url: str, amqp: str, tmp: Path) -> dict:
    from doudi_common.db import DatabaseCore
    from doudi_common.testing.fixtures import stop_process
    from doudi_funding.models import metadata
    from doudi_gateway.app import create_app

    core = DatabaseCore(url, "doudi_funding", "funding", metadata)
    seed(core.engine, N)
    log = open(tmp / "funding.log", "wb")  # noqa: SIM115 - closed in finally
    proc = funding_process(url, amqp, tmp, log)
    try:
        app = create_app({"AMQP_URI": amqp, "GATEWAY_DB_URL": f"sqlite:///{tmp}/gateway.db",
                          "JWT_SECRET": uuid.uuid4().hex * 2, "LOG_FORMAT": "json",
                          "LOG_LEVEL": "WARNING", "RPC_TIMEOUT": 10,
                          "SERVICES": ["funding"]})
        client = app.test_client()
        store = app.extensions["doudi_store"]
        store.add_user("county", "bench-password-1", "county_officer", COUNTY)
        token = client.post("/api/v1/auth/token", json={
            "username": "county", "password": "bench-password-1"}).get_json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:  # the service is starting
            if time.monotonic() > deadline:
                raise RuntimeError("funding did not come up")
            time.sleep(0.2)
        t0 = time.perf_counter()
        started = client.post("/api/v1/funding/settlements", headers=auth,
                              json={"division_code": COUNTY, "month": MONTH})
        post_seconds = time.perf_counter() - t0
        assert started.status_code == 202, started.get_json()
        first = started.get_json()
        with core.engine.connect() as conn:  # nothing settled when the POST answered
            settled_at_answer = conn.execute(sa.text(
                "SELECT count(*) FROM case_settlements")).scalar_one()
        location = started.headers["Location"]
        seen: list[tuple[str, int, int | None]] = []
        while True:
            job = client.get(location, headers=auth).get_json()
            point = (job["phase"], job["done"], job["total"])
            if not seen or seen[-1] != point:
                seen.append(point)
            if job["state"] in ("succeeded", "failed"):
                break
            if time.perf_counter() - t0 > 600:
                raise RuntimeError(f"the job did not finish: {job}")
            time.sleep(0.5)  # as the portal's progress bar polls
        whole = time.perf_counter() - t0
        assert job["state"] == "succeeded" and job["result"]["cases"] == N, job
        return {"post_seconds": round(post_seconds, 3), "answered_state": first["state"],
                "answered_done": first["done"], "settled_when_answered": settled_at_answer,
                "progress_seen": seen, "job_seconds": round(whole, 3)}
    finally:
        stop_process(proc)
        log.close()
        core.dispose()


def main() -> dict:
    import requests

    tmp = Path(tempfile.mkdtemp(prefix="bench-job-"))
    vhost, amqp = _vhost()
    try:
        with scratch_database("doudi_funding") as sync_url:
            sync_seconds = synchronous(sync_url)
        with scratch_database("doudi_funding") as job_url:
            job = through_the_api(job_url, amqp, tmp)
    finally:
        requests.delete(f"{MGMT}/api/vhosts/{vhost}", timeout=10)
    ratio = job["job_seconds"] / sync_seconds
    print(f"settlement job: {N} placements; POST answered in {job['post_seconds']:.3f}s "
          f"({job['answered_state']}, {job['settled_when_answered']} settled); whole job "
          f"{job['job_seconds']:.2f}s; "
          f"synchronous {sync_seconds:.2f}s; ratio {ratio:.2f}x (target ≤ 1.2x)", flush=True)
    print(f"  progress seen: {job['progress_seen']}", flush=True)
    return {**job, "count": N, "sync_seconds": round(sync_seconds, 3),
            "ratio": round(ratio, 3), "target_ratio": 1.2}


if __name__ == "__main__":
    main()
