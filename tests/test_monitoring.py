"""The alert rules (deploy/k8s/components/monitoring) and the Grafana
dashboards (deploy/grafana) are sound (issue 19): every query parses as PromQL
(the promql-parser package, a port of Prometheus's own parser); every alert
has a Chinese summary and a runbook section that exists in deploy/README.md;
the dashboards are what scripts/grafana_dashboards.py writes; and every metric
a query uses is one the suite really exports — scraped from the four services
and the gateway running as processes, and from RabbitMQ's prometheus plugin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import promql_parser
import pytest
import requests
import yaml
from doudi_common.testing.fixtures import free_port
from prometheus_client.parser import text_string_to_metric_families

from bench.processes import SERVICES, SuiteProcesses

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
RABBITMQ_METRICS = "http://127.0.0.1:15692/metrics/per-object"
#: made by Prometheus itself for every target it scrapes
SYNTHETIC = {"up"}


def alert_rules() -> list[dict]:
    spec = yaml.safe_load(RULES.read_text(encoding="utf-8"))["spec"]
    return [rule for group in spec["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[tuple[str, str]]:
    return [(f"{path.name}: {panel['title']}", target["expr"])
            for path in DASHBOARDS
            for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
            for target in panel["targets"]]


def queries() -> list[tuple[str, str]]:
    return [(rule["alert"], rule["expr"]) for rule in alert_rules()] + dashboard_queries()


def metric_names(node) -> set[str]:
    """Every metric a parsed PromQL expression selects."""
    name = getattr(node, "name", None)
    found = {name} if isinstance(name, str) and type(node).__name__ == "VectorSelector" \
        else set()
    for attr in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, str | int | float):
            found |= metric_names(child)
    for arg in getattr(node, "args", None) or []:
        found |= metric_names(arg)
    return found


def family(sample_name: str) -> str:
    return re.sub(r"_(bucket|count|sum|created|total)$", "", sample_name)


def test_every_query_parses_and_every_alert_is_documented():
    assert len(alert_rules()) >= 7 and len(DASHBOARDS) == 4
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    for where, expr in queries():
        try:
            promql_parser.parse(expr.replace("$service", "x"))
        except Exception as exc:  # noqa: BLE001 - reported with the query
            pytest.fail(f"{where}: {expr!r} does not parse: {exc}")
    for rule in alert_rules():
        summary = rule["annotations"]["summary"]
        assert re.search(r"[\u4e00-\u9fff]", summary), rule["alert"]
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert f"### {rule['alert']}" in readme and anchor == rule["alert"].lower(), \
            f"{rule['alert']}: no runbook section in deploy/README.md"
        assert rule["labels"]["severity"] in ("warning", "critical")


def test_the_dashboards_are_what_the_script_writes():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "grafana_dashboards.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _families(url: str) -> set[str]:
    text = requests.get(url, timeout=15).text
    return {family(f.name) for f in text_string_to_metric_families(text)}


@pytest.mark.slow
def test_every_metric_used_is_exported(rabbit, tmp_path):
    ports = {name: free_port() for name in SERVICES}
    suite = SuiteProcesses(rabbit, tmp_path, metrics_ports=ports)
    try:
        suite.start().wait_ready()
        exported = set()
        for port in ports.values():
            exported |= _families(f"http://127.0.0.1:{port}/metrics")
        requests.get(suite.base + "/healthz", timeout=10)  # one request for the histograms
        exported |= _families(suite.base + "/metrics")
    finally:
        suite.stop()
    exported |= _families(RABBITMQ_METRICS)
    used = set()
    for where, expr in queries():
        for name in metric_names(promql_parser.parse(expr.replace("$service", "x"))):
            used.add(name)
            assert family(name) in exported or name in SYNTHETIC, \
                f"{where} uses {name}, which nothing exports"
    # the families the issue names are all in use somewhere
    for name in ("doudi_dead_letters_total", "doudi_outbox_oldest_age_seconds",
                 "doudi_settlement_jobs_total", "doudi_gateway_requests_total",
                 "rabbitmq_queue_messages_ready", "doudi_inbox_duplicates_total"):
        assert name in used, name
