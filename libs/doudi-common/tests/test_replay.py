"""Replaying a dead letter: an operator puts the message straight back into its
subscription queue with the replay marker and the department's original user
in a header (RabbitMQ would refuse the department's user_id from the
operator's connection). The subscriber trusts the marker only from a replay
operator and then runs every check again with the original values."""

from __future__ import annotations

import json

import pytest
from doudi_common.entrypoints import (
    ORIGINAL_ROUTING_KEY_HEADER,
    ORIGINAL_USER_HEADER,
    REPLAY_HEADER,
)
from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_common.testing.samples import certificate_issued

QUEUE = "eligibility.cdpf.on_cdpf"


@pytest.fixture
def eligibility(start_service):
    return start_service("eligibility")


def replay_raw(uri: str, body: bytes | str, headers: dict, user_id: str, **props) -> None:
    """What ``doudi-dept dlq replay`` does: default exchange, routing key = queue."""
    from kombu import Connection, Exchange, Producer

    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            body, exchange=Exchange("", type="direct", no_declare=True), routing_key=QUEUE,
            headers=headers, user_id=user_id, content_type="application/json",
            content_encoding="utf-8", delivery_mode=2, declare=[], retry=False, **props)


def one_dead_letter(dead_letters):
    found = []

    def got():
        found.extend(dead_letters("eligibility"))
        return found
    wait_for(got, message="a dead letter")
    assert len(found) == 1
    return found[0]


def test_operator_replay_after_correction_is_applied(eligibility, publish_as, dead_letters,
                                                      rabbit):
    data = certificate_issued()
    sent = publish_as("cdpf", "certificate.issued", {k: v for k, v in data.items()
                                                      if k != "grade"})
    reason, headers, body = one_dead_letter(dead_letters)
    assert reason == "bad_data"
    assert headers[ORIGINAL_USER_HEADER] == "cdpf"

    fixed = dict(json.loads(body), data=data)
    replay_raw(amqp_uri_for(rabbit, "admin"), json.dumps(fixed, ensure_ascii=False),
               {**headers, REPLAY_HEADER: 1}, user_id="admin", message_id=sent["id"],
               type="certificate.issued")
    wait_for(lambda: count_rows(eligibility, "persons", id_number=data["id_number"]) == 1)
    assert count_rows(eligibility, "inbox", event_id=sent["id"]) == 1
    assert dead_letters("eligibility") == []


def test_replay_still_checks_the_original_publisher(eligibility, publish_raw_admin,
                                                    dead_letters, rabbit):
    """A message nobody vouched for (no user_id) stays refused after a replay,
    and its dead letter keeps the original headers, not the operator's."""
    data = certificate_issued()
    env = publish_raw_admin(data)
    reason, headers, body = one_dead_letter(dead_letters)
    assert reason == "forbidden_publisher"
    replay_raw(amqp_uri_for(rabbit, "admin"), body, {**headers, REPLAY_HEADER: 1},
               user_id="admin", message_id=env["id"], type="certificate.issued")
    reason, headers, _body = one_dead_letter(dead_letters)
    assert reason == "forbidden_publisher"
    assert headers[ORIGINAL_USER_HEADER] == ""
    assert headers[ORIGINAL_ROUTING_KEY_HEADER] == "certificate.issued"
    assert headers["x-doudi-exchange"] == "cdpf.events"
    assert headers["x-doudi-queue"] == QUEUE
    assert count_rows(eligibility, "persons") == 0


def test_replay_marker_from_a_non_operator_is_refused(eligibility, dead_letters, rabbit):
    """The suite's own user (or anyone not in REPLAY_OPERATORS) cannot launder a
    message by claiming it is a replay of cdpf's."""
    from doudi_common.testing.fixtures import department_envelope

    data = certificate_issued()
    env = department_envelope("cdpf", "certificate.issued", data)
    replay_raw(rabbit["AMQP_URI"], json.dumps(env), {
        REPLAY_HEADER: 1, ORIGINAL_USER_HEADER: "cdpf",
        ORIGINAL_ROUTING_KEY_HEADER: "certificate.issued"},
        user_id=rabbit["username"], message_id=env["id"], type="certificate.issued")
    reason, headers, _body = one_dead_letter(dead_letters)
    assert reason == "forbidden_replay"
    # the dead letter names who really sent it, not the claimed department
    assert headers[ORIGINAL_USER_HEADER] == rabbit["username"]
    assert count_rows(eligibility, "persons") == 0


def test_department_cannot_send_the_replay_marker(eligibility, publish_as, dead_letters):
    data = certificate_issued()
    publish_as("cdpf", "certificate.issued", data,
               headers={REPLAY_HEADER: 1, ORIGINAL_USER_HEADER: "cdpf"})
    reason, headers, _body = one_dead_letter(dead_letters)
    assert reason == "forbidden_replay"
    assert headers[ORIGINAL_USER_HEADER] == "cdpf"
    assert count_rows(eligibility, "persons") == 0


def test_replay_operators_come_from_config(start_service, publish_as, dead_letters, rabbit):
    eligibility = start_service("eligibility", REPLAY_OPERATORS=[rabbit["username"]])
    data = certificate_issued()
    sent = publish_as("cdpf", "certificate.issued", {k: v for k, v in data.items()
                                                      if k != "name"})
    _reason, headers, body = one_dead_letter(dead_letters)
    fixed = dict(json.loads(body), data=data)
    replay_raw(rabbit["AMQP_URI"], json.dumps(fixed), {**headers, REPLAY_HEADER: 1},
               user_id=rabbit["username"], message_id=sent["id"], type="certificate.issued")
    wait_for(lambda: count_rows(eligibility, "persons", id_number=data["id_number"]) == 1)


@pytest.fixture
def publish_raw_admin(rabbit):
    from doudi_common.testing.fixtures import department_envelope, publish_raw

    def publish(data):
        env = department_envelope("cdpf", "certificate.issued", data)
        publish_raw(rabbit["AMQP_URI"], "cdpf.events", "certificate.issued", json.dumps(env),
                    message_id=env["id"])
        return env
    return publish
