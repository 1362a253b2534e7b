"""The gateway as deployed: ``doudi-gateway`` (gunicorn gthread, 2 workers) in
its own process, with the eligibility service over RabbitMQ. First-start admin
from DOUDI_ADMIN_PASSWORD, login over HTTP, 401 without a token, request ids,
no full ID number in the gateway's log, /metrics summed over workers, the
start-up objects frozen in each worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from doudi_common.testing.fixtures import free_port, stop_process, wait_serving
from doudi_common.testing.idnumbers import make_id_number

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway(rabbit, start_service, tmp_path):
    start_service("eligibility")
    port = free_port()
    env = {**os.environ, "DOUDI_AMQP_URI": rabbit["AMQP_URI"], "DOUDI_LOG_FORMAT": "json",
           "DOUDI_GATEWAY_PORT": str(port), "DOUDI_HOME": str(tmp_path),
           "DOUDI_GATEWAY_CONFIG": str(ROOT / "gateway" / "config.yaml"),
           "DOUDI_GATEWAY_DB_URL": f"sqlite:///{tmp_path}/gateway.db",
           "DOUDI_ADMIN_PASSWORD": "first-start-admin"}
    env.pop("DOUDI_JWT_SECRET", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([str(BIN / "doudi-gateway"), "--workers", "2"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_serving(base, timeout=30)
    try:
        yield base, tmp_path / "gateway.log"
    finally:
        stop_process(proc)
        log.close()


def test_gateway_under_gunicorn(gateway):
    base, log_path = gateway
    pid = make_id_number(region="341502", seq=7)
    assert requests.get(f"{base}/api/v1/persons/{pid}", timeout=5).status_code == 401
    resp = requests.post(f"{base}/api/v1/auth/token",
                         json={"username": "admin", "password": "first-start-admin"}, timeout=5)
    assert resp.status_code == 200, resp.text
    auth = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    # the token works on every worker (one key for the whole run)
    for i in range(6):
        r = requests.get(f"{base}/api/v1/persons/{pid}", timeout=10,
                         headers={**auth, "X-Request-Id": f"gunicorn-{i}"})
        assert r.status_code == 404, r.text
        assert r.headers["X-Request-Id"] == f"gunicorn-{i}"
    metrics = requests.get(f"{base}/metrics", timeout=5).text
    line = [m for m in metrics.splitlines() if m.startswith(
        'doudi_gateway_requests_total{method="GET",route="/api/v1/persons/<id_number>",'
        'status="404"}')]
    assert line and float(line[0].split()[-1]) == 6.0, line
    # the second worker may still be starting on a loaded machine: give its log time
    deadline = time.monotonic() + 20
    while True:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if text.count("start-up objects frozen") >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "gunicorn-3" in text  # the access log carries request ids
    assert pid not in text       # and never a full ID number
    # each worker froze what it built at start-up (doudi_common.gcfreeze)
    assert text.count("start-up objects frozen") == 2, text[-2000:]
