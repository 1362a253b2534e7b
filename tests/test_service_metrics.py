"""A service process serves Prometheus metrics (issue 19), and each family
changes when its event happens: an RPC call (by outcome), a department event
applied, a duplicate suppressed by the inbox, a bad event dead-lettered (by
reason), the outbox published and drained, a timer run. eligibility runs as
a real ``doudi-service run`` process behind the gateway (gunicorn)."""

from __future__ import annotations

import pytest
import requests
from doudi_common.testing.fixtures import amqp_uri_for, free_port, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_departments.client import DepartmentClient
from doudi_departments.simulate import Simulator

from bench.processes import SuiteProcesses, metric_value, scrape

pytestmark = pytest.mark.slow


@pytest.fixture
def suite(rabbit, tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_CALENDAR_INTERVAL", "1")  # the calendar timer runs every second
    port = free_port()
    running = SuiteProcesses(rabbit, tmp_path, ["eligibility"],
                             metrics_ports={"eligibility": port})
    try:
        running.start().wait_ready(timeout=60)
        yield running, running.login(), port
    finally:
        running.stop()


def test_each_metric_family_moves_with_its_event(suite, rabbit, tmp_path):
    running, headers, port = suite
    log = (tmp_path / "eligibility.log").read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{port}/metrics" in log  # where the metrics are, in the log
    before = scrape(port)
    assert before[("doudi_outbox_pending", ("service", "eligibility"))] == 0

    pid = make_id_number(region="341502", seq=401)
    base = running.base
    assert requests.get(f"{base}/api/v1/persons/{pid}", headers=headers,
                        timeout=30).status_code == 404
    assert requests.post(f"{base}/api/v1/persons", headers=headers, timeout=30, json={
        "id_number": pid, "name": "王五", "division_code": "341502001001",
        "registration": "rural"}).status_code == 200

    sim = Simulator("cdpf", seed=19, jurisdictions=["341502"])
    good, bad = sim.new_certificate(), sim.bad_message("bad_checksum")
    with DepartmentClient("cdpf", amqp_uri_for(rabbit, "cdpf")) as cdpf:
        for message in (good, good, bad):  # the good one twice: a duplicate
            cdpf.publish_raw(message.body, routing_key=message.routing_key,
                             message_id=message.message_id, type=message.event_type)

    def moved():
        now = scrape(port)
        return now if metric_value(now, "doudi_dead_letters_total", reason="bad_data") >= 1 and \
            metric_value(now, "doudi_inbox_duplicates_total") >= 1 and \
            metric_value(now, "doudi_timer_runs_total", timer="calendar", outcome="ok") > \
            metric_value(before, "doudi_timer_runs_total", timer="calendar", outcome="ok") else None
    after = wait_for(moved, timeout=30, interval=0.5, message="the metrics to move")

    def delta(name, **labels):
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)
    assert delta("doudi_rpc_calls_total", method="get_person", outcome="refused") >= 1
    assert delta("doudi_rpc_calls_total", method="register_person", outcome="ok") == 1
    assert delta("doudi_rpc_duration_seconds_count", method="register_person") == 1
    assert delta("doudi_events_consumed_total", source="cdpf", type="certificate.issued",
                 outcome="applied") == 2  # the duplicate is applied as a no-op
    assert delta("doudi_inbox_duplicates_total", handler="on_cdpf") == 1
    assert delta("doudi_dead_letters_total", reason="bad_data") == 1
    assert delta("doudi_handler_duration_seconds_count", service="eligibility") >= 1
    assert delta("doudi_timer_runs_total", timer="calendar", outcome="ok") >= 1
    # person.registered twice (the clerk's and CDPF's person), published and confirmed
    wait_for(lambda: metric_value(scrape(port), "doudi_outbox_published_total") >=
             metric_value(before, "doudi_outbox_published_total") + 2, timeout=15,
             message="the outbox published")
    drained = scrape(port)
    assert drained[("doudi_outbox_pending", ("service", "eligibility"))] == 0
    assert drained[("doudi_outbox_oldest_age_seconds", ("service", "eligibility"))] == 0
    assert metric_value(drained, "doudi_outbox_confirm_duration_seconds_count") >= 1
    # bounded labels: no ID number in any sample
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert pid not in text and good.envelope["data"]["id_number"] not in text
