"""The suite as real processes, as ``make run`` starts it: ``doudi-service run``
per service (SQLite under ``<tmp>/var`` unless a database URL is given) and
the gateway under gunicorn (gthread). The fault tests (issue 22) kill,
restart and starve these processes, tests/test_suite_processes.py checks the
whole suite comes up, and the soak (bench/soak.py) watches them for minutes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from doudi_common.testing.fixtures import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SERVICES = ("eligibility", "institutions", "funding", "services-log")
ADMIN_PASSWORD = "process-test-password"


def status_of(url: str, headers: dict | None = None, timeout: float = 10.0) -> int | None:
    try:
        return requests.get(url, headers=headers, timeout=timeout).status_code
    except requests.RequestException:
        return None


class SuiteProcesses:
    """``services`` and the gateway (``threads`` request threads, one worker)
    as processes; ``db_urls`` puts a service on PostgreSQL. Logs are written to
    ``<tmp>/<name>.log``."""

    def __init__(self, rabbit: dict, tmp: Path, services=SERVICES, *,
                 db_urls: dict[str, str] | None = None, rpc_timeout: float | None = None,
                 threads: int = 8, portal_dir: Path | None = None,
                 metrics_ports: dict[str, int] | None = None):
        self.tmp, self.services, self.db_urls = tmp, tuple(services), db_urls or {}
        # no metrics server unless asked (processes of one service would share a port)
        self.metrics_ports = metrics_ports or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        (tmp / "var").mkdir(exist_ok=True)
        self.env = {**os.environ, "DOUDI_AMQP_URI": rabbit["AMQP_URI"],
                    "DOUDI_LOG_FORMAT": "json", "DOUDI_GATEWAY_PORT": str(self.port),
                    "DOUDI_HOME": str(tmp), "DOUDI_ADMIN_PASSWORD": ADMIN_PASSWORD}
        config = (ROOT / "gateway" / "config.yaml").read_text(encoding="utf-8")
        if rpc_timeout is not None:
            config += f"\nRPC_TIMEOUT: {rpc_timeout}\n"
        if set(self.services) != set(SERVICES):
            config += f"\nSERVICES: [{', '.join(s.replace('-', '_') for s in services)}]\n"
        (tmp / "gateway.yaml").write_text(config, encoding="utf-8")
        # eligibility's reads over HTTP, as `make run` has them
        self.http_port = free_port()
        self.gateway_env = {**self.env, "DOUDI_GATEWAY_CONFIG": str(tmp / "gateway.yaml"),
                            "DOUDI_ELIGIBILITY_HTTP": f"http://127.0.0.1:{self.http_port}"}
        if portal_dir is not None:
            self.gateway_env["DOUDI_PORTAL_DIR"] = str(portal_dir)
        self.threads = threads
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def start_service(self, name: str) -> subprocess.Popen:
        env = {**self.env, "DOUDI_METRICS_PORT": str(self.metrics_ports.get(name, 0))}
        if name == "eligibility":
            env["DOUDI_WEB_SERVER_ADDRESS"] = f"127.0.0.1:{self.http_port}"
        if name in self.db_urls:
            env["DOUDI_DB_URL"] = self.db_urls[name]
        return self._spawn(name, [str(BIN / "doudi-service"), "run", name, "--config",
                                  str(ROOT / "services" / name / "config.yaml")], env)

    def start(self) -> SuiteProcesses:
        for name in self.services:
            self.start_service(name)
        self._spawn("gateway", [str(BIN / "doudi-gateway"), "--workers", "1", "--threads",
                                str(self.threads)], self.gateway_env)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        wait_for(lambda: status_of(self.base + "/readyz") == 200, timeout=timeout,
                 interval=0.3, message=f"the suite to be ready (logs in {self.tmp})")

    def wait_recovered(self, timeout: float = 60) -> float:
        """After a fault: wait for /readyz 200, then two seconds (from then on
        no call may fail); returns the wall-clock time it answered 200."""
        wait_for(lambda: status_of(self.base + "/readyz") == 200, timeout=timeout,
                 interval=0.3, message=f"the suite to recover (logs in {self.tmp})")
        recovered = time.time()
        time.sleep(2)
        return recovered

    def login(self) -> dict:
        token = requests.post(self.base + "/api/v1/auth/token", json={
            "username": "admin", "password": ADMIN_PASSWORD}, timeout=10).json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_process(proc)
        for log in self._logs:
            log.close()


def check_load(records: list[dict], recovered_at: float, slowest: float) -> dict:
    """What a fault test asserts of the load process's calls (bench/load.py):
    every call had an answer — a success (a 404 is the service's answer for a
    person not registered yet) or a 503/504 problem+json, never a 500 —
    within ``slowest`` seconds; from 2 s after ``recovered_at`` (wall clock)
    none failed. Returns the count per status for the closing note."""
    by_status: dict = {}
    for r in records:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    assert records, "the load process made no calls"
    bad = [r for r in records if r["status"] not in (200, 404, 503, 504)
           or (r["status"] >= 500 and not r["problem"])]
    assert not bad, bad[:5]
    assert max(r["elapsed"] for r in records) < slowest, sorted(
        r["elapsed"] for r in records)[-5:]
    after = [r for r in records if r["t"] >= recovered_at + 2]
    assert after, "no calls after the recovery"
    assert [r for r in after if r["status"] not in (200, 404)] == [], [
        r for r in after if r["status"] not in (200, 404)][:5]
    return by_status


def scrape(port: int) -> dict[tuple, float]:
    """A process's Prometheus metrics on ``port``, every sample as
    ``{(name, (label, value), ...): value}``."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def metric_value(samples: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples (from ``scrape``) whose labels include ``labels``."""
    return sum(v for (n, *pairs), v in samples.items()
               if n == name and set(labels.items()) <= set(pairs))
