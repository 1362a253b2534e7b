"""deploy/rabbitmq/definitions.json is generated from the code and kept current."""

from __future__ import annotations

import json
from pathlib import Path

from doudi_common.rabbit import DEPARTMENTS, SERVICES, generate

ROOT = Path(__file__).resolve().parents[3]


def test_committed_definitions_are_up_to_date():
    committed = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    assert committed == generate(), (
        "regenerate: uv run doudi-rabbit generate > deploy/rabbitmq/definitions.json")


def test_every_subscription_queue_is_declared_with_dead_lettering():
    doc = generate()
    queues = {q["name"]: q for q in doc["queues"]}
    assert "eligibility.cdpf.on_cdpf" in queues
    for svc in SERVICES:
        assert f"doudi.dlq.{svc}" in queues
    for name, queue in queues.items():
        if name.split(".")[0] in SERVICES and not name.startswith("doudi.dlq."):
            assert queue["arguments"]["x-dead-letter-exchange"] == "doudi.dlx"


def test_departments_write_only_their_own_exchange():
    doc = generate()
    perms = {p["user"]: p for p in doc["permissions"]}
    import re
    for dept in DEPARTMENTS:
        write = re.compile(perms[dept]["write"])
        assert write.match(f"{dept}.events")
        for other in (*DEPARTMENTS, *SERVICES):
            if other != dept:
                assert not write.match(f"{other}.events")


def test_department_subscription_queues_are_declared_at_deploy_time():
    doc = generate()
    queues = {q["name"] for q in doc["queues"]}
    assert {"health.institutions.main", "medical_insurance.eligibility.main",
            "medical_insurance.institutions.main", "cdpf.eligibility.main"} <= queues
    keys = {(b["source"], b["destination"], b["routing_key"]) for b in doc["bindings"]}
    assert ("eligibility.events", "cdpf.eligibility.main", "person.handed_over") in keys
