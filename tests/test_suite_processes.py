"""The suite as ``make run`` starts it — real processes: four ``doudi-service run``
on their default SQLite databases and the gateway under gunicorn (gthread) —
answers /readyz with 200, and names the service that stops answering."""

from __future__ import annotations

import json
import re
import signal
import time

import pytest
import requests
from doudi_common.testing.fixtures import wait_for

from bench.processes import SERVICES, SuiteProcesses
from tests.portal.conftest import portal_dist

pytestmark = pytest.mark.slow


@pytest.fixture
def suite(rabbit, tmp_path):
    running = SuiteProcesses(rabbit, tmp_path, portal_dir=portal_dist()).start()
    try:
        yield {"base": running.base, "procs": running.procs, "tmp": tmp_path}
    finally:
        running.stop()


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
