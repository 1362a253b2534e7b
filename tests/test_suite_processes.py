"""The suite as ``make run`` starts it — real processes: four ``doudi-service run``
on their default SQLite databases and the gateway under gunicorn (gthread) —
answers /readyz with 200, and names the service that stops answering."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from doudi_common.testing.fixtures import wait_for

from tests.portal.conftest import portal_dist

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SERVICES = ("eligibility", "institutions", "funding", "services-log")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def suite(rabbit, tmp_path):
    port = free_port()
    env = {**os.environ, "DOUDI_AMQP_URI": rabbit["AMQP_URI"], "DOUDI_LOG_FORMAT": "json",
           "DOUDI_GATEWAY_PORT": str(port), "DOUDI_HOME": str(tmp_path)}
    (tmp_path / "var").mkdir()
    procs: dict[str, subprocess.Popen] = {}
    logs = {}
    for svc in SERVICES:
        logs[svc] = open(tmp_path / f"{svc}.log", "wb")  # noqa: SIM115 - closed at teardown
        procs[svc] = subprocess.Popen(
            [str(BIN / "doudi-service"), "run", svc, "--config",
             str(ROOT / "services" / svc / "config.yaml")],
            cwd=ROOT, env=env, stdout=logs[svc], stderr=subprocess.STDOUT)
    logs["gateway"] = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115 - closed at teardown
    procs["gateway"] = subprocess.Popen(
        [str(BIN / "doudi-gateway"), "--workers", "1"], cwd=ROOT,
        env={**env, "DOUDI_GATEWAY_CONFIG": str(ROOT / "gateway" / "config.yaml"),
             "DOUDI_PORTAL_DIR": str(portal_dist())},
        stdout=logs["gateway"], stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        yield {"base": base, "procs": procs, "tmp": tmp_path}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for fh in logs.values():
            fh.close()


def get(url: str, timeout: float = 5.0):
    try:
        return requests.get(url, timeout=timeout)
    except requests.RequestException:
        return None


def test_suite_becomes_ready_and_reports_a_missing_service(suite):
    base = suite["base"]

    def ready():
        resp = get(base + "/readyz", timeout=10)
        return resp is not None and resp.status_code == 200 and resp
    started = time.monotonic()
    resp = wait_for(ready, timeout=90, interval=0.5, message="/readyz 200")
    checks = resp.json()["checks"]
    assert {s.replace("-", "_"): "ok" for s in SERVICES}.items() <= checks.items()
    assert time.monotonic() - started < 90
    # the embedded default database: one SQLite file per service under var/
    for svc in SERVICES:
        assert (suite["tmp"] / "var" / f"{svc.replace('-', '_')}.db").exists()
        # once up, each service froze what it built at start-up (doudi_common.gcfreeze)
        started_line = [line for line in (suite["tmp"] / f"{svc}.log").read_text(
            encoding="utf-8", errors="replace").splitlines() if '"gc_frozen_objects"' in line]
        assert started_line and json.loads(started_line[0])["gc_frozen_objects"] > 10000, svc

    assert get(base + "/healthz").json() == {"status": "ok"}
    spec = get(base + "/api/v1/openapi.json").json()
    assert "/readyz" in spec["paths"]
    # the staff portal at / (as after `make run`): its page, a history-mode route, an asset
    for path in ("/", "/persons/abc"):
        page = get(base + path)
        assert page.status_code == 200 and '<div id="app">' in page.text, path
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
    asset = re.search(r'src="(/assets/[^"]+\.js)"', page.text)[1]
    assert "immutable" in get(base + asset).headers["Cache-Control"]

    funding = suite["procs"]["funding"]
    funding.send_signal(signal.SIGTERM)
    funding.wait(timeout=20)
    seen = []

    def not_ready():
        r = get(base + "/readyz", timeout=10)
        seen.append(None if r is None else (r.status_code, r.text[:300]))
        # a requests.Response is falsy for 4xx/5xx: hand back a tuple
        return (r,) if r is not None and r.status_code == 503 else None
    (resp,) = wait_for(not_ready, timeout=30, interval=0.5, message="/readyz 503")
    body = resp.json()
    assert body["failed"] == ["funding"], body
    assert resp.headers["Retry-After"]
    assert resp.headers["content-type"].startswith("application/problem+json")
