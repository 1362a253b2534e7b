"""``doudi-service health`` — the services' Kubernetes probes — says which
dependency failed (the broker, the service, its database) and exits 1; never
a traceback, never a hang past its timeout."""

from __future__ import annotations

import json
import time

from doudi_common.runner import cmd_health
from doudi_common.testing.fixtures import free_port


def _probe(capsys, config: dict) -> tuple[int, dict, float]:
    started = time.monotonic()
    code = cmd_health("eligibility", config, 2.0)
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1]), \
        time.monotonic() - started


def test_an_unreachable_broker_is_named(capsys):
    code, out, took = _probe(capsys, {"AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:{free_port()}/"})
    assert (code, out["ok"], out["failed"]) == (1, False, "broker"), out
    assert took < 30


def test_a_service_not_running_is_named(rabbit, capsys):
    code, out, took = _probe(capsys, {"AMQP_URI": rabbit["AMQP_URI"]})
    assert (code, out["failed"]) == (1, "service"), out
    assert took < 10


def test_a_running_service_is_healthy(start_service, capsys):
    container = start_service("eligibility")
    code, out, _ = _probe(capsys, dict(container.config))
    assert (code, out["ok"], out["database"]) == (0, True, "ok"), out
    assert "failed" not in out
