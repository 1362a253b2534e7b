"""The department SDK over the real broker: what ``publish`` puts on the wire,
``subscribe`` with manual acks and redelivery, the departments' own
subscriptions (shown by simulator consumers), and every outgoing type reaching
a department bound with a wildcard."""

from __future__ import annotations

import json

import pytest
from amqp.exceptions import AccessRefused
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, publish_raw, wait_for
from doudi_contracts.registry import SERVICES, event_types, example_envelope
from doudi_departments.client import SUBSCRIPTIONS, DepartmentClient
from doudi_departments.simulate import Simulator


def publish_as_service(rabbit, source: str, event_type: str) -> dict:
    envelope = example_envelope(source, event_type)
    envelope["id"] = __import__("uuid").uuid4().hex[:8] + envelope["id"][8:]
    publish_raw(amqp_uri_for(rabbit, source), f"{source}.events", event_type,
                json.dumps(envelope, ensure_ascii=False), message_id=envelope["id"],
                type=event_type, user_id=source)
    return envelope


def test_publish_puts_the_contract_on_the_wire(client, event_tap, start_service):
    eligibility = start_service("eligibility")
    tap = event_tap("cdpf", "certificate.*")
    sim = Simulator("cdpf", seed=3, jurisdictions=["341522"])
    event_type, data, division = sim.next_event()
    sent = client("cdpf").publish(event_type, data, division_code=division)
    got = tap.wait_for(lambda e: e["id"] == sent["id"])
    message = tap.messages[-1]
    props = message.properties
    assert got == sent
    assert props["message_id"] == sent["id"] and props["user_id"] == "cdpf"
    assert props["type"] == event_type and props["delivery_mode"] == 2
    assert props["content_type"] == "application/json"
    assert message.delivery_info["routing_key"] == event_type
    assert sent["source"] == f"cdpf/{division}" and sent["specversion"] == "1.0"
    wait_for(lambda: count_rows(eligibility, "persons", id_number=data["id_number"]) == 1,
             timeout=15)


def test_subscribe_acks_and_redelivers_on_failure(client, rabbit):
    cdpf = client("cdpf")
    cdpf.subscribe("eligibility", "person.*", lambda e, m: None, queue_name="redeliver",
                   limit=0)   # declares the durable queue
    sent = publish_as_service(rabbit, "eligibility", "person.registered")
    calls = []

    def flaky(event, message):
        calls.append((event["id"], message.delivery_info.get("redelivered")))
        if len(calls) == 1:
            raise RuntimeError("department database down")

    handled = cdpf.subscribe("eligibility", "person.*", flaky, queue_name="redeliver",
                             limit=1, timeout=15, redeliver_delay=0.1)
    assert handled == 1
    assert calls == [(sent["id"], False), (sent["id"], True)]
    # acked: nothing comes again
    assert cdpf.subscribe("eligibility", "person.*", flaky, queue_name="redeliver",
                          idle_timeout=0.5) == 0


@pytest.mark.parametrize("department", sorted(SUBSCRIPTIONS))
def test_department_subscriptions(department, client, rabbit):
    """What DESIGN says each department follows reaches its simulator consumer
    (``doudi_departments.simulate.listen``) — and nothing else."""
    import fnmatch

    from doudi_departments.simulate import listen

    dept = client(department)
    wanted = SUBSCRIPTIONS[department]
    listen(dept, lambda source, event: None, limit=0)   # declares the durable queues

    def matches(source, event_type):
        return any(fnmatch.fnmatchcase(event_type, p.replace("#", "*"))
                   for p in wanted.get(source, []))

    expected = {}
    for source in ("eligibility", "institutions"):
        for event_type in event_types(source):
            if event_type.split(".")[0] in {"enrolment", "placement", "person"}:
                envelope = publish_as_service(rabbit, source, event_type)
                if matches(source, event_type):
                    expected[envelope["id"]] = (source, event_type)
    assert expected
    got = {}

    def record(source, event):
        got[event["id"]] = (source, event["type"])
    listen(dept, record, idle_timeout=1.0, timeout=10)
    assert got == expected
    types = {t for _s, t in got.values()}
    if department == "health":
        assert types == {"placement.admitted", "placement.discharged"}
    if department == "medical_insurance":
        assert {"enrolment.started", "enrolment.ended"} <= types
        assert "enrolment.changed" not in types
    if department == "cdpf":
        assert "person.handed_over" in types and "placement.admitted" not in types


def test_every_outgoing_type_reaches_a_wildcard_consumer(client, rabbit):
    cdpf = client("cdpf")
    sources = sorted(SERVICES)
    for source in sources:
        cdpf.subscribe(source, "#", lambda e, m: None, queue_name="all", limit=0)
    sent = {}
    for source in sources:
        for event_type in event_types(source):
            sent[publish_as_service(rabbit, source, event_type)["id"]] = event_type
    got = {}
    for source in sources:
        cdpf.subscribe(source, "#", lambda e, m: got.__setitem__(e["id"], e["type"]),
                       queue_name="all", idle_timeout=1.0, timeout=15)
    assert got == sent


def test_a_department_cannot_read_another_departments_exchange(client):
    health = client("health")
    with pytest.raises(AccessRefused):
        health.subscribe("cdpf", "#", lambda e, m: None, limit=0)


def test_simulate_command_publishes_as_each_department(rabbit, event_tap):
    """``doudi-dept simulate`` (what ``make run SIMULATE=1`` starts) sends
    contract-true streams as each department's own user."""
    from urllib.parse import urlsplit

    from click.testing import CliRunner
    from doudi_contracts.registry import validate_event
    from doudi_departments.cli import main

    taps = {d: event_tap(d, "#") for d in ("cdpf", "health", "medical_insurance")}
    parts = urlsplit(rabbit["AMQP_URI"])
    host = f"{parts.hostname}:{parts.port or 5672}"
    template = f"amqp://{{user}}:{{password}}@{host}/{rabbit['vhost']}"
    out = CliRunner().invoke(main, ["simulate", "all", "--count", "60", "--rate", "0",
                                    "--seed", "12", "--jurisdiction", "341502",
                                    "--uri", template])
    assert out.exit_code == 0, out.output
    seen = 0
    for dept, tap in taps.items():
        received = wait_for(lambda t=tap: t.poll(), message=f"{dept} events")
        for envelope, message in zip(received, tap.messages, strict=False):
            assert message.properties["user_id"] == dept
            validate_event(dept, envelope)
        seen += len(received)
    wait_for(lambda: sum(len(t.poll()) for t in taps.values()) == 60)
    assert seen <= 60


def test_cli_publish_and_tail(rabbit, start_service, tmp_path):
    """``doudi-dept publish`` as CDPF reaches eligibility; ``doudi-dept tail``
    shows what eligibility then publishes, as a department sees it."""
    from click.testing import CliRunner
    from doudi_departments.cli import main

    eligibility = start_service("eligibility")
    runner = CliRunner()
    cdpf_uri = amqp_uri_for(rabbit, "cdpf")
    tail = ["tail", "eligibility.events", "person.*", "--as", "cdpf", "--uri", cdpf_uri,
            "--queue", "cli-tail"]
    assert runner.invoke(main, [*tail, "--count", "0"]).exit_code == 0   # declare the queue

    message = Simulator("cdpf", seed=4, jurisdictions=["341502"]).new_certificate()
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(message.envelope["data"], ensure_ascii=False))
    out = runner.invoke(main, ["publish", "cdpf", "certificate.issued", "--data",
                               str(data_file), "--uri", cdpf_uri])
    assert out.exit_code == 0, out.output
    sent = json.loads([line for line in out.output.splitlines() if line.startswith("{")][-1])
    assert sent["type"] == "certificate.issued" and sent["source"].startswith("cdpf/341502")
    id_number = message.envelope["data"]["id_number"]
    wait_for(lambda: count_rows(eligibility, "persons", id_number=id_number) == 1, timeout=15)

    out = runner.invoke(main, [*tail, "--count", "1", "--timeout", "15"])
    assert out.exit_code == 0, out.output
    shown = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    assert [e["type"] for e in shown] == ["person.registered"]
    assert shown[0]["data"]["id_number"] == id_number


def test_declared_queues_keep_events_published_before_the_consumer_runs(rabbit):
    from click.testing import CliRunner
    from doudi_departments.cli import main
    from doudi_departments.simulate import listen

    uri = amqp_uri_for(rabbit, "health")
    out = CliRunner().invoke(main, ["declare", "health", "--uri", uri])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    assert rows == [{"queue": "health.institutions.main", "exchange": "institutions.events",
                     "bindings": ["placement.admitted", "placement.discharged"]}]
    sent = publish_as_service(rabbit, "institutions", "placement.admitted")
    got = []
    with DepartmentClient("health", uri) as health:
        listen(health, lambda source, event: got.append(event["id"]), queue_name="main",
               idle_timeout=1.0, timeout=10)
    assert got == [sent["id"]]


def test_publish_waits_out_an_unreachable_broker_then_gives_up_in_time():
    """No broker listening: ``publish`` tries again (it would succeed as soon as
    the broker is back; tests/test_fault_broker_restart.py stops the real one)
    and gives up with the connection error after ``outage_timeout``."""
    import time

    from doudi_common.testing.fixtures import free_port
    from kombu.exceptions import OperationalError

    client = DepartmentClient("cdpf", f"amqp://cdpf:x@127.0.0.1:{free_port()}/",
                              outage_timeout=1.5, connect_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(OperationalError):
        client.publish_raw("{}", routing_key="certificate.issued")
    assert client.retries >= 2 and client.published == 0
    assert time.monotonic() - started < 1.5 + 1.5
    # a batch (publish_many) waits the same way
    client.retries, started = 0, time.monotonic()
    with pytest.raises(OperationalError):
        client.publish_many([Simulator("cdpf", seed=5).new_certificate()])
    assert client.retries >= 2 and client.published == 0
    assert time.monotonic() - started < 1.5 + 1.5


def test_a_refused_login_is_not_an_outage(rabbit):
    """A wrong password raises at once instead of being tried again."""
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(rabbit["AMQP_URI"])
    client = DepartmentClient("cdpf", f"amqp://cdpf:wrong@{parts.hostname}:{parts.port or 5672}/"
                                      f"{rabbit['vhost']}", outage_timeout=30)
    started = time.monotonic()
    with pytest.raises(AccessRefused):
        client.publish_raw("{}", routing_key="certificate.issued")
    assert client.retries == 0 and time.monotonic() - started < 5
