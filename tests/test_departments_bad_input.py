"""Bad department input over the real broker, each case on its own: the broker
refuses what permissions forbid; the suite dead-letters what it cannot accept
(with the reason), the operator lists, replays after a correction, or discards
with a logged reason; a repeated event id has one effect."""

from __future__ import annotations

import json

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_departments.deadletters import DeadLetterQueue, matcher
from doudi_departments.simulate import BAD_KINDS, EXPECTED_REASON, Simulator


@pytest.fixture
def eligibility(start_service):
    return start_service("eligibility")


@pytest.fixture
def dlq(rabbit):
    return DeadLetterQueue("eligibility", amqp_uri_for(rabbit, "admin"))


def send(client, message):
    client.publish_raw(message.body, routing_key=message.routing_key,
                       message_id=message.message_id, type=message.event_type)


def wait_dead_letters(dlq, n, **filters):
    def enough():
        found = dlq.list(matcher(**filters))
        return found if len(found) >= n else None
    return wait_for(enough, timeout=15, message=f"{n} dead letter(s) {filters}")


def test_health_cannot_publish_to_cdpf_exchange(client):
    cdpf_as_health = client("cdpf", as_user="health")
    data = Simulator("cdpf", seed=1, jurisdictions=["341502"]).next_event()[1]
    with pytest.raises(AccessRefused):
        cdpf_as_health.publish("certificate.issued", data)


def test_forged_user_id_is_refused_by_the_broker(client):
    health = client("health")
    message = Simulator("health", seed=1, jurisdictions=["341502"]).good_message()
    with pytest.raises(PreconditionFailed):
        health.publish_raw(message.body, routing_key=message.routing_key,
                           message_id=message.message_id, type=message.event_type,
                           user_id="cdpf")


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_message_is_dead_lettered_and_replayed_after_correction(
        kind, eligibility, client, dlq):
    sim = Simulator("cdpf", seed=21, jurisdictions=["341502"])
    bad = sim.bad_message(kind)          # bent from a certificate.issued
    good = json.loads(bad.corrected)
    assert good["type"] == "certificate.issued"
    send(client("cdpf"), bad)

    (letter,) = wait_dead_letters(dlq, 1)
    assert letter.reason == EXPECTED_REASON[kind]
    assert letter.detail and letter.user_id == "cdpf"
    assert letter.queue == "eligibility.cdpf.on_cdpf"
    assert letter.routing_key == bad.routing_key and letter.message_id == bad.message_id
    id_number = good["data"]["id_number"]
    assert count_rows(eligibility, "persons") == 0

    # replayed as it is: the same checks refuse it again, with the same origin
    assert [r.message_id for r in dlq.replay(matcher(reason=letter.reason))] == [bad.message_id]
    (again,) = wait_dead_letters(dlq, 1, reason=letter.reason)
    assert again.replays == 1 and again.user_id == "cdpf"
    assert again.routing_key == bad.routing_key

    # after the department's correction the replay is applied, once
    dlq.replay(matcher(message_ids=[bad.message_id]), corrections={bad.message_id: bad.corrected})
    wait_for(lambda: count_rows(eligibility, "persons", id_number=id_number) == 1, timeout=15)
    assert count_rows(eligibility, "person_facts", id_number=id_number) == 1
    assert count_rows(eligibility, "inbox", event_id=good["id"]) == 1
    assert dlq.count() == 0


def test_replay_by_reason_and_type_discard_with_logged_reason(eligibility, client, dlq,
                                                               tmp_path):
    cdpf = client("cdpf")
    sim = Simulator("cdpf", seed=5, jurisdictions=["341502"])
    bad = {kind: sim.bad_message(kind) for kind in BAD_KINDS}
    for message in bad.values():
        send(cdpf, message)
    letters = wait_dead_letters(dlq, 4)
    assert sorted(letter.reason for letter in letters) == sorted(EXPECTED_REASON.values())
    assert dlq.count() == 4, "listing takes nothing away"

    # by reason: only the invalid JSON one leaves (corrected), the rest stays
    fixed = bad["invalid_json"]
    done = dlq.replay(matcher(reason="invalid_json"),
                      corrections={fixed.message_id: fixed.corrected})
    assert [d.message_id for d in done] == [fixed.message_id]
    wait_for(lambda: count_rows(eligibility, "inbox", event_id=fixed.message_id) == 1)
    assert dlq.count() == 3

    # by type: the misspelt type, corrected to the real one
    typo = bad["unknown_type"]
    done = dlq.replay(matcher(event_type=typo.event_type),
                      corrections={typo.message_id: typo.corrected})
    assert [d.message_id for d in done] == [typo.message_id]
    wait_for(lambda: count_rows(eligibility, "inbox", event_id=typo.message_id) == 1)

    # discarding needs a reason and leaves an audit record with the body
    audit = tmp_path / "discarded.jsonl"
    with pytest.raises(ValueError):
        dlq.discard(matcher(reason="bad_data"), "")
    gone = dlq.discard(matcher(reason="bad_data"), "superseded by corrected events", audit)
    assert len(gone) == 2 and dlq.count() == 0
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert {r["message_id"] for r in records} == {bad["bad_checksum"].message_id,
                                                  bad["missing_field"].message_id}
    assert all(r["why"] == "superseded by corrected events" and r["by"] == "admin"
               and r["body_b64"] for r in records)


def test_same_event_id_twice_has_one_effect(eligibility, client):
    cdpf = client("cdpf")
    sim = Simulator("cdpf", seed=8, jurisdictions=["341502"])
    event_type, data, division = sim.next_event()
    first = cdpf.publish(event_type, data, division_code=division)
    again = cdpf.publish(event_type, data, division_code=division, event_id=first["id"])
    assert again["id"] == first["id"]
    later_type, later, later_division = sim.next_event()
    while later_type != "certificate.issued":
        later_type, later, later_division = sim.next_event()
    cdpf.publish(later_type, later, division_code=later_division)
    wait_for(lambda: count_rows(eligibility, "persons", id_number=later["id_number"]) == 1,
             timeout=15)
    assert count_rows(eligibility, "inbox", event_id=first["id"]) == 1
    assert count_rows(eligibility, "person_facts", id_number=data["id_number"]) == 1
    assert count_rows(eligibility, "outbox", event_type="person.registered") == 2


def test_cli_dlq_list_and_replay(eligibility, client, rabbit, tmp_path):
    from click.testing import CliRunner
    from doudi_departments.cli import main

    bad = Simulator("cdpf", seed=2, jurisdictions=["341502"]).bad_message("missing_field")
    send(client("cdpf"), bad)
    uri = amqp_uri_for(rabbit, "admin")
    runner = CliRunner()

    def listed():
        out = runner.invoke(main, ["dlq", "list", "eligibility", "--uri", uri])
        # the in-process services log JSON lines to the same stdout (their
        # "message dead-lettered" line can land here): take the listed rows only
        rows = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
        return [r for r in rows if "reason" in r and "level" not in r]
    (row,) = wait_for(listed, timeout=15, message="a listed dead letter")
    assert row["reason"] == "bad_data" and row["message_id"] == bad.message_id
    good = json.loads(bad.corrected)
    assert good["data"]["id_number"] not in row["detail"], "ID numbers are masked"

    fix = tmp_path / "fixed.json"
    fix.write_bytes(bad.corrected)
    out = runner.invoke(main, ["dlq", "replay", "eligibility", "--uri", uri, "--reason",
                               "bad_data", "--fix", f"{bad.message_id}={fix}"])
    assert out.exit_code == 0, out.output
    wait_for(lambda: count_rows(eligibility, "persons",
                                id_number=good["data"]["id_number"]) == 1, timeout=15)
