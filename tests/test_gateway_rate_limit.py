"""One login rate limit for the whole deployment (issue 20): two gateway
processes of two gunicorn workers each share their windows in Redis, so the
11th attempt in a minute from one address is 429 whichever process and worker
takes it; another address is not limited. (With its storage down: see
gateway/tests/test_auth.py.)"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from doudi_common.testing.fixtures import free_port, stop_process, wait_serving

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.slow


def _gateway(tmp_path: Path, name: str, storage: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DOUDI_LOG_FORMAT": "json", "DOUDI_GATEWAY_PORT": str(port),
           "DOUDI_HOME": str(tmp_path / name),
           "DOUDI_GATEWAY_CONFIG": str(ROOT / "gateway" / "config.yaml"),
           "DOUDI_GATEWAY_DB_URL": f"sqlite:///{tmp_path}/{name}.db",
           "DOUDI_JWT_SECRET": "rate-limit-test-signing-key-0123456789",
           "DOUDI_RATE_LIMIT_STORAGE": storage, "DOUDI_PROXY_HOPS": "1",
           "DOUDI_AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    (tmp_path / name).mkdir()
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([str(BIN / "doudi-gateway"), "--workers", "2"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _attempt(base: str, address: str) -> int:
    # a new connection each time, so that gunicorn hands attempts to either worker
    return requests.post(f"{base}/api/v1/auth/token", timeout=10,
                         headers={"X-Forwarded-For": address, "Connection": "close"},
                         json={"username": "nobody", "password": "wrong-password"}).status_code


@pytest.fixture
def two_gateways(tmp_path):
    procs = [_gateway(tmp_path, f"gw{i}", REDIS) for i in (1, 2)]
    try:
        for _, base in procs:
            wait_serving(base)
        yield [base for _, base in procs]
    finally:
        for proc, _ in procs:
            stop_process(proc)


def test_the_eleventh_attempt_in_a_minute_is_429_whichever_process_takes_it(two_gateways):
    first, second = two_gateways
    address = f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"  # per run
    statuses = [_attempt(first if i % 2 else second, address) for i in range(10)]
    assert statuses == [401] * 10  # wrong password, counted in one shared window
    assert _attempt(first, address) == 429
    assert _attempt(second, address) == 429
    # each process's own workers, not only the one that answered above
    assert {_attempt(base, address) for base in (first, second) for _ in range(4)} == {429}
    assert _attempt(second, f"203.0.113.{random.randrange(1, 255)}") == 401  # another address
