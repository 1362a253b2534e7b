"""RabbitMQ stopped for a few seconds under load, then started again (issue
22): during the outage every answer is a 503 problem+json in time (no 500, no
hang past the RPC timeout); from 2 s after the broker is back, no failed
request — not even on request threads whose connections died while idle.
eligibility and the gateway (gunicorn, gthread) run as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from doudi_common.testing.fixtures import stop_process, wait_for
from doudi_common.testing.idnumbers import make_id_number

from tests.test_suite_processes import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RPC_TIMEOUT = 3

pytestmark = pytest.mark.slow


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def eligibility_and_gateway(rabbit, tmp_path, db_url: str | None = None):
    """eligibility (on ``db_url``, else SQLite under ``tmp_path``) and the
    gateway under gunicorn (8 threads) as real processes; yields the base URL
    and an admin's bearer header."""
    port = free_port()
    (tmp_path / "var").mkdir()
    env = {**os.environ, "DOUDI_AMQP_URI": rabbit["AMQP_URI"], "DOUDI_LOG_FORMAT": "json",
           "DOUDI_GATEWAY_PORT": str(port), "DOUDI_HOME": str(tmp_path),
           "DOUDI_ADMIN_PASSWORD": "fault-test-password", "DOUDI_LOG_LEVEL": "WARNING"}
    config = tmp_path / "gateway.yaml"
    config.write_text((ROOT / "gateway" / "config.yaml").read_text(encoding="utf-8")
                      + f"\nRPC_TIMEOUT: {RPC_TIMEOUT}\nSERVICES: [eligibility]\n",
                      encoding="utf-8")
    logs = {name: open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            for name in ("eligibility", "gateway")}
    service_env = {**env, "DOUDI_DB_URL": db_url} if db_url else env
    procs = [subprocess.Popen([str(BIN / "doudi-service"), "run", "eligibility", "--config",
                               str(ROOT / "services" / "eligibility" / "config.yaml")],
                              cwd=ROOT, env=service_env, stdout=logs["eligibility"],
                              stderr=subprocess.STDOUT),
             subprocess.Popen([str(BIN / "doudi-gateway"), "--workers", "1", "--threads", "8"],
                              cwd=ROOT, env={**env, "DOUDI_GATEWAY_CONFIG": str(config)},
                              stdout=logs["gateway"], stderr=subprocess.STDOUT)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _status(base + "/readyz") == 200, timeout=60, interval=0.3,
                 message=f"the suite to be ready (logs in {tmp_path})")
        token = requests.post(base + "/api/v1/auth/token", json={
            "username": "admin", "password": "fault-test-password"}, timeout=10).json()
        yield base, {"Authorization": f"Bearer {token['access_token']}"}
    finally:
        for proc in procs:
            stop_process(proc)
        for fh in logs.values():
            fh.close()


@pytest.fixture
def suite(rabbit, tmp_path):
    try:
        with eligibility_and_gateway(rabbit, tmp_path) as running:
            yield running
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=60)


def _status(url: str, headers: dict | None = None) -> int | None:
    try:
        return requests.get(url, headers=headers, timeout=RPC_TIMEOUT + 5).status_code
    except requests.RequestException:
        return None


def read(base: str, headers: dict) -> tuple[int, float, str]:
    pid = make_id_number(region="341502", seq=5)
    started = time.monotonic()
    resp = requests.get(f"{base}/api/v1/persons/{pid}", headers=headers, timeout=30)
    return resp.status_code, time.monotonic() - started, resp.headers.get("Content-Type", "")


def test_a_broker_restart_costs_no_request_after_it(suite):
    base, headers = suite
    with ThreadPoolExecutor(16) as pool:
        # every gateway thread has a live connection before the restart
        warm = list(pool.map(lambda _: read(base, headers), range(64)))
        assert {s for s, _, _ in warm} == {404}, warm  # the service's answer: no such person
        rabbitmqctl("stop_app")
        try:
            time.sleep(1)
            with ThreadPoolExecutor(8) as callers:  # one caller per gateway thread
                outage = list(callers.map(lambda _: read(base, headers), range(16)))
        finally:
            rabbitmqctl("start_app")
        assert {s for s, _, _ in outage} == {503}, outage
        assert all("problem+json" in c for _, _, c in outage), outage
        # each caller has a gateway thread to itself: none waits past the RPC timeout
        assert max(t for _, t, _ in outage) < RPC_TIMEOUT + 1, sorted(t for _, t, _ in outage)
        wait_for(lambda: _status(base + "/readyz") == 200, timeout=60, interval=0.3,
                 message="the suite to recover")
        time.sleep(2)
        after = list(pool.map(lambda _: read(base, headers), range(96)))
    assert [s for s, _, _ in after if s != 404] == [], after
