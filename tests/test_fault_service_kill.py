"""A service killed with SIGKILL and restarted (issue 22): calls to it answer
503/504 problem+json within the RPC timeout while it is gone (nothing hangs),
and after the restart it serves again with no duplicate effect of a write
repeated across the outage. eligibility runs as a real process on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from doudi_common.testing.fixtures import stop_process, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import gateway_test_config, role_headers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RPC_TIMEOUT = 2

pytestmark = pytest.mark.slow


def start(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "doudi-service"), "run", "eligibility", "--config",
         str(ROOT / "services" / "eligibility" / "config.yaml")], cwd=ROOT, env=env,
        stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def test_a_killed_service_answers_in_time_and_repeats_nothing(rabbit, tmp_path):
    (tmp_path / "var").mkdir()
    env = {**os.environ, "DOUDI_AMQP_URI": rabbit["AMQP_URI"], "DOUDI_HOME": str(tmp_path),
           "DOUDI_LOG_LEVEL": "WARNING", "DOUDI_LOG_FORMAT": "json"}
    log = tmp_path / "eligibility.log"
    proc = start(env, log)
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=RPC_TIMEOUT,
                                         SERVICES=["eligibility"]))
    client = app.test_client()
    h = role_headers(app, {"clerk": ("village_clerk", "341502001")})["clerk"]
    pid = make_id_number(region="341502", seq=33)
    body = {"id_number": pid, "name": "李四", "division_code": "341502001001",
            "registration": "rural"}
    try:
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=60, interval=0.3,
                 message=f"eligibility to answer (log: {log})")
        assert client.post("/api/v1/persons", headers=h, json=body).status_code == 200
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for call in (lambda: client.get(f"/api/v1/persons/{pid}", headers=h),
                     lambda: client.post("/api/v1/persons", json=body,
                                         headers={**h, "Idempotency-Key": "again-1"})):
            started = time.monotonic()
            resp = call()
            assert resp.status_code in (503, 504), resp.get_json()
            assert resp.content_type.startswith("application/problem+json")
            assert resp.headers["Retry-After"]
            assert time.monotonic() - started < 2 * RPC_TIMEOUT + 1
        proc = start(env, log)
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=60, interval=0.3,
                 message="eligibility back")
        again = client.post("/api/v1/persons", json=body,
                            headers={**h, "Idempotency-Key": "again-2"})
        assert again.status_code == 200, again.get_json()
        assert client.get(f"/api/v1/persons/{pid}", headers=h).status_code == 200
    finally:
        stop_process(proc)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'eligibility.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM persons WHERE id_number = :p"),
                            {"p": pid}).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM outbox WHERE event_type = "
                                    "'person.registered'")).scalar_one() == 1
    engine.dispose()
