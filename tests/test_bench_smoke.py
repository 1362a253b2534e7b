"""The benches run (at a tiny size) — so a refactoring that breaks one is
caught by `make test`, not months later by `make bench`. No timing is
asserted: speed is measured by `make bench` as ratios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = {"BENCH_ELIGIBILITY_PERSONS": "100", "BENCH_SERVICES_LOG_RECORDS": "200",
        "BENCH_FUNDING_PLACEMENTS": "40", "BENCH_INSTITUTIONS_N": "20"}


def test_the_database_benches_run_and_report_ratios():
    names = ["eligibility", "services_log", "funding", "institutions", "settlement_job"]
    done = subprocess.run([sys.executable, "-m", "bench", *names], cwd=ROOT, timeout=300,
                          env={**os.environ, **TINY}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert set(report) == set(names)
    for name in names:
        assert report[name]["ratio"] > 0, name
    job = report["settlement_job"]  # the POST answered before anything was settled
    assert job["answered_state"] == "queued" and job["settled_when_answered"] == 0, job


def test_the_reports_bench_runs_and_reports_its_ratios():
    """Issue 18's bench at a tiny size: the overview against a person read, and
    ingest with and without the figures' upkeep (each reported with its target)."""
    tiny = {"BENCH_REPORTS_PERSONS": "300", "BENCH_REPORTS_INGEST": "100",
            "BENCH_REPORTS_READERS": "0", "BENCH_REPORTS_ROUNDS": "1"}
    done = subprocess.run([sys.executable, "-m", "bench", "reports"], cwd=ROOT, timeout=300,
                          env={**os.environ, **tiny}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout[done.stdout.index("{"):])["reports"]
    assert report["persons"] == 300 and report["ratio"] > 0 and report["target_ratio"] == 3
    assert report["ingest"]["ratio"] > 0 and report["ingest"]["target_ratio"] == 0.9
    assert report["ingest"]["events"] == 100
