"""``make test-fast`` (DOUDI_TEST_FAST=1) leaves out the tests that ask for a
broker or database fixture, and fails a test that reaches one another way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = '''
import socket

def test_reaches_postgresql_behind_the_fixtures_back():
    s = socket.socket()
    s.connect(("127.0.0.1", 5432))

def test_asks_for_a_database(make_db):
    raise AssertionError("never runs in a fast run")

def test_pure():
    assert 1 + 1 == 2
'''


def test_fast_runs_refuse_infrastructure(tmp_path):
    probe = ROOT / "libs" / "doudi-common" / "tests" / f"test_probe_{os.getpid()}.py"
    probe.write_text(PROBE, encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                               str(probe)], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "DOUDI_TEST_FAST": "1"}, timeout=120)
    finally:
        probe.unlink()
    out = done.stdout
    assert "1 failed, 1 passed, 1 deselected" in out, out[-2000:]
    assert "make test-fast: this test connects to ('127.0.0.1', 5432)" in out
