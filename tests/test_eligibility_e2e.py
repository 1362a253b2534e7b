"""End to end over the real broker: CDPF certificate + health assessment, both
published by plain kombu clients as the departments' own RabbitMQ users, make a
rural Lu'an person eligible; the application goes through luan-2021's chain
(§三(六)); a plain consumer bound to ``eligibility.events`` as user ``cdpf`` sees
``enrolment.started``; health's ``person.deceased`` ends the enrolment."""

from __future__ import annotations

from doudi_common.clock import clock_of
from doudi_common.testing.fixtures import wait_for
from doudi_common.testing.samples import certificate_issued
from doudi_eligibility.testing import CONSENT, DIVISIONS, HOME_VISIT, TODAY, assessment_data


def test_certificate_and_assessment_to_enrolment_and_death(start_service, publish_as,
                                                           event_tap):
    from doudi_common.outbox import amqp_user
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("eligibility")
    clock_of(container).set(TODAY)
    cdpf_view = event_tap("eligibility", ["enrolment.*", "eligibility.changed",
                                          "application.*"], user="cdpf")
    cert = certificate_issued(name="王秀英", category="physical", grade=1,
                              division_code=DIVISIONS["luan-2021"], issued_on="2026-03-01")
    pid = cert["id_number"]
    with ServiceRpcProxy("eligibility", container.config, timeout=20) as rpc:
        sent = publish_as("cdpf", "certificate.issued", cert)
        wait_for(lambda: _known(rpc, pid), timeout=15, message="the person to be registered")
        # the clerk records the rural household registration (户籍)
        rpc.register_person({"id_number": pid, "name": "王秀英",
                             "division_code": DIVISIONS["luan-2021"], "registration": "rural"})
        decision = rpc.evaluate(pid)
        assert decision["eligible"] is False  # no incapacity assessment yet (§三(一))
        publish_as("health", "assessment.completed", assessment_data(pid))
        changed = cdpf_view.wait_for(lambda e: e["type"] == "eligibility.changed"
                                     and e["data"]["eligible"], timeout=15)
        assert changed["data"]["care_modes"] == ["centralized"]
        assert changed["data"]["trigger"] == "assessment.completed"
        decision = rpc.evaluate(pid)
        assert decision["eligible"] and decision["policy_pack"] == "luan-2021"
        used = {f["kind"]: f for f in decision["explanation"]["facts"]}
        assert used["disability_certificate"]["source_event_id"] == sent["id"]
        assert used["incapacity_assessment"]["source"] == "health"

        app = rpc.file_application({"id_number": pid, "care_mode": "centralized",
                                    "submitted_by": "clerk01", "channel": "person",
                                    "submitted_role": "person", "consent": CONSENT,
                                    "documents": ["id_card", "disability_certificate"],
                                    "institution_uscc": "12341500MB1234567G"})
        app_id = app["application_id"]
        rpc.act_on_application(app_id, "township_check", "李四", "township_officer",
                               "入户核实", HOME_VISIT)
        rpc.act_on_application(app_id, "approve", "王五", "county_officer", "同意")
        app = rpc.act_on_application(app_id, "sign_agreement", "王五", "county_officer",
                                     None, {"agreement_no": "LA-2026-001"})
        started = cdpf_view.wait_for(lambda e: e["type"] == "enrolment.started", timeout=15)
        assert started["data"]["id_number"] == pid
        assert started["data"]["enrolment_id"] == app["enrolment_id"]
        assert started["data"]["care_mode"] == "centralized"
        assert started["data"]["institution_uscc"] == "12341500MB1234567G"
        assert started["data"]["policy_pack"] == "luan-2021"
        assert started["source"] == f"eligibility/{DIVISIONS['luan-2021']}"
        message = cdpf_view.messages[[e["id"] for e in cdpf_view.received].index(started["id"])]
        assert message.properties["user_id"] == amqp_user(container.config["AMQP_URI"])
        assert message.delivery_info["routing_key"] == "enrolment.started"

        publish_as("health", "person.deceased", {"id_number": pid,
                                                 "date_of_death": "2026-03-12"})
        ended = cdpf_view.wait_for(lambda e: e["type"] == "enrolment.ended", timeout=15)
        assert ended["data"]["reason"] == "deceased"
        assert ended["data"]["ended_on"] == "2026-03-12"
        assert ended["data"]["enrolment_id"] == app["enrolment_id"]
        (enrolment,) = rpc.person_enrolments(pid)
        assert enrolment["status"] == "ended" and enrolment["end_reason"] == "deceased"
        assert rpc.get_person(pid)["deceased_on"] == "2026-03-12"
        assert rpc.evaluate(pid, "2026-03-13")["eligible"] is False
        assert rpc.evaluate(pid, "2026-03-11")["eligible"] is True  # replay as of a date


def _known(rpc, pid):
    from doudi_common.errors import NotFound

    try:
        return rpc.get_person(pid)
    except NotFound:
        return None
