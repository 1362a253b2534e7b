"""The subscription entrypoint over a real broker: what gets in, what is
dead-lettered with which reason, and that duplicates have one effect.
Eligibility's CDPF subscription is the subject (its queue takes cdpf.events #)."""

from __future__ import annotations

import json

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from doudi_common.testing.fixtures import (
    count_rows,
    department_envelope,
    publish_raw,
    wait_for,
)
from doudi_common.testing.idnumbers import make_id_number
from doudi_common.testing.samples import certificate_issued


@pytest.fixture
def eligibility(start_service):
    return start_service("eligibility")


def dead_lettered(dead_letters, service="eligibility", n=1):
    found = []

    def enough():
        found.extend(dead_letters(service))
        return len(found) >= n
    wait_for(enough, message=f"{n} dead letter(s) for {service}")
    return found


def test_certificate_is_stored_as_a_fact(eligibility, publish_as):
    data = certificate_issued()
    publish_as("cdpf", "certificate.issued", data)
    wait_for(lambda: count_rows(eligibility, "person_facts", id_number=data["id_number"]) == 1)
    assert count_rows(eligibility, "persons", id_number=data["id_number"]) == 1


def test_duplicate_delivery_has_one_effect(eligibility, publish_as):
    data = certificate_issued()
    envelope = department_envelope("cdpf", "certificate.issued", data)
    for _ in range(3):
        publish_as("cdpf", "certificate.issued", envelope=envelope)
    later = certificate_issued(make_id_number(seq=7))
    publish_as("cdpf", "certificate.issued", later)  # processed after the duplicates
    wait_for(lambda: count_rows(eligibility, "person_facts", id_number=later["id_number"]) == 1)
    assert count_rows(eligibility, "person_facts", id_number=data["id_number"]) == 1
    assert count_rows(eligibility, "inbox", event_id=envelope["id"]) == 1
    assert count_rows(eligibility, "outbox", event_type="person.registered") == 2


@pytest.mark.parametrize("case, reason", [
    ("no_user_id", "forbidden_publisher"),
    ("invalid_json", "invalid_json"),
    ("unknown_type", "unknown_type"),
    ("bad_checksum", "bad_data"),
    ("missing_field", "bad_data"),
    ("not_an_envelope", "bad_envelope"),
])
def test_bad_messages_are_dead_lettered_with_reason(case, reason, eligibility, publish_as,
                                                     dead_letters, rabbit):
    data = certificate_issued()
    if case == "no_user_id":
        # the broker admin may write the exchange too: only user_id proves who sent it
        env = department_envelope("cdpf", "certificate.issued", data)
        publish_raw(rabbit["AMQP_URI"], "cdpf.events", "certificate.issued", json.dumps(env),
                    message_id=env["id"])
    elif case == "invalid_json":
        publish_as("cdpf", "certificate.issued", body=b'{"specversion": "1.0", "id": ')
    elif case == "unknown_type":
        publish_as("cdpf", "certificate.exploded", data)
    elif case == "bad_checksum":
        bad = dict(data, id_number=data["id_number"][:-1] + ("0" if data["id_number"][-1] != "0"
                                                             else "1"))
        publish_as("cdpf", "certificate.issued", bad)
    elif case == "missing_field":
        publish_as("cdpf", "certificate.issued", {k: v for k, v in data.items() if k != "grade"})
    elif case == "not_an_envelope":
        publish_as("cdpf", "certificate.issued", body=json.dumps(data))
    (got_reason, headers, body), = dead_lettered(dead_letters)
    assert got_reason == reason
    assert headers["x-doudi-queue"] == "eligibility.cdpf.on_cdpf"
    assert headers["x-doudi-routing-key"] in {"certificate.issued", "certificate.exploded"}
    assert headers["x-doudi-detail"]
    assert body, "the original body is kept for replay"
    assert count_rows(eligibility, "persons") == 0
    assert count_rows(eligibility, "outbox") == 0
    assert count_rows(eligibility, "inbox") == 0


def test_reason_detail_never_carries_a_full_id_number(eligibility, publish_as, dead_letters):
    data = certificate_issued()
    bad = dict(data, certificate_no=data["id_number"] + "99")
    publish_as("cdpf", "certificate.issued", bad)
    (_reason, headers, _body), = dead_lettered(dead_letters)
    assert data["id_number"] not in headers["x-doudi-detail"]


def test_broker_refuses_a_forged_user_id(rabbit, publish_as):
    data = certificate_issued()
    with pytest.raises(PreconditionFailed):
        # connected as health, claiming to be cdpf
        publish_as("health", "assessment.completed", data, user="health", user_id="cdpf",
                   exchange="health.events")


def test_broker_refuses_a_department_writing_another_exchange(rabbit, publish_as):
    data = certificate_issued()
    with pytest.raises(AccessRefused):
        publish_as("cdpf", "certificate.issued", data, user="health", user_id="health")


def test_good_message_after_bad_ones_still_processed(eligibility, publish_as, dead_letters):
    publish_as("cdpf", "certificate.issued", body=b"not json")
    data = certificate_issued()
    publish_as("cdpf", "certificate.issued", data)
    wait_for(lambda: count_rows(eligibility, "persons", id_number=data["id_number"]) == 1)
    assert [r for r, _h, _b in dead_lettered(dead_letters)] == ["invalid_json"]


def test_database_outage_is_retried_not_dead_lettered(start_service, make_db, publish_as,
                                                      dead_letters, pg_databases):
    """While the service's database refuses connections, the event is requeued
    with back-off; once it is back, the event is applied — and never parked."""
    url = make_db("doudi_eligibility")
    name = url.rsplit("/", 1)[1]
    eligibility = start_service("eligibility", db_url=url)

    def set_connections(allowed: bool):
        with pg_databases.admin.connect() as conn:
            flag = str(allowed).lower()
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {flag}')
            if not allowed:
                conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")

    set_connections(False)
    try:
        data = certificate_issued()
        publish_as("cdpf", "certificate.issued", data)
        import eventlet
        eventlet.sleep(2.0)  # several failed attempts happen meanwhile
        assert dead_letters("eligibility") == []
    finally:
        set_connections(True)
    wait_for(lambda: count_rows(eligibility, "persons", id_number=data["id_number"]) == 1,
             timeout=20, message="the event applied after the outage")
    assert dead_letters("eligibility") == []
