"""Enrolment decisions over the real eligibility service: annual review, care-mode
change, end; bad input (422 naming the field), If-Match (412), conflicts (409)
and jurisdiction (404 on reads, 403 on actions)."""

from __future__ import annotations

import pytest
from doudi_common.clock import clock_of, to_shanghai
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import (
    assess_full_incapacity,
    field_names,
    gateway_test_config,
    ok,
    role_headers,
)

VILLAGE = "341502001201"
INST = "12341500MB1234567G"


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    eligibility = start_service("eligibility")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    h = role_headers(app, {"clerk": ("village_clerk", VILLAGE),
                           "township": ("township_officer", VILLAGE[:9]),
                           "county": ("county_officer", "341502"),
                           "other": ("county_officer", "341503")})
    today = to_shanghai(clock_of(eligibility).current()).date()
    return app.test_client(), h, today


def enrol(client, h, today, publish_as) -> str:

    pid = make_id_number(region="341502", seq=81)
    ok(client.post("/api/v1/persons", headers=h["clerk"], json={
        "id_number": pid, "name": "张桂兰", "division_code": VILLAGE, "registration": "rural",
        "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}]}))
    assess_full_incapacity(client, h["clerk"], publish_as, pid, today, "PG-81")
    app_id = ok(client.post("/api/v1/applications", headers=h["clerk"], json={
        "id_number": pid, "care_mode": "centralized", "institution_uscc": INST,
        "consent": {"given": True, "by": "本人", "on": today.isoformat()}}), 201)["application_id"]
    ok(client.post(f"/api/v1/applications/{app_id}/reviews", headers=h["township"], json={
        "action": "township_check", "data": {
            "home_visit": {"on": today.isoformat(), "by": "乡镇干部", "findings": "独居，卧床"},
            "needs_assessment": {"incapacity_level": "full", "needs": ["meals"]}}}))
    ok(client.post(f"/api/v1/applications/{app_id}/reviews", headers=h["county"],
                   json={"action": "approve", "comment": "同意"}))
    enrolled = ok(client.post(f"/api/v1/applications/{app_id}/reviews", headers=h["county"],
                              json={"action": "sign_agreement",
                                    "data": {"signed_on": today.isoformat(),
                                             "institution_uscc": INST}}))
    assert enrolled["enrolment_id"], enrolled
    return enrolled["enrolment_id"]


def test_enrolment_review_care_mode_and_end(gw, publish_as):
    client, h, today = gw
    eid = enrol(client, h, today, publish_as)
    url = f"/api/v1/enrolments/{eid}"
    on = today.isoformat()

    assert client.get(url, headers=h["other"]).status_code == 404
    etag = client.get(url, headers=h["county"]).headers["ETag"]

    # annual review
    bad = client.post(f"{url}/reviews", headers=h["county"],
                      json={"completed_on": on, "income_per_head": "八百"})
    assert bad.status_code == 422 and field_names(bad) == {"income_per_head"}
    body = {"completed_on": on, "income_per_head": "800.00", "note": "年度复核"}
    assert client.post(f"{url}/reviews", headers=h["other"], json=body).status_code == 403
    assert client.post(f"{url}/reviews", headers=h["township"], json=body).status_code == 403
    reviewed = ok(client.post(f"{url}/reviews", headers={**h["county"], "If-Match": etag},
                              json=body))
    assert "review_completed" in [e["kind"] for e in reviewed["history"]]

    # care mode: a stale If-Match is refused; the same mode is a conflict
    change = {"care_mode": "centralized", "on": on, "reason": "复核后维持"}
    assert client.post(f"{url}/care-mode", headers={**h["county"], "If-Match": etag},
                       json=change).status_code == 412
    assert client.post(f"{url}/care-mode", headers=h["county"], json=change).status_code == 409
    bad = client.post(f"{url}/care-mode", headers=h["county"],
                      json={"care_mode": "hotel", "on": on})
    assert bad.status_code == 422 and field_names(bad) == {"care_mode", "reason"}
    assert client.post(f"{url}/care-mode", headers=h["other"], json={
        **change, "care_mode": "dispersed"}).status_code == 403

    # end
    bad = client.post(f"{url}/end", headers=h["county"], json={"reason": "bored", "on": on})
    assert bad.status_code == 422 and field_names(bad) == {"reason"}
    assert client.post(f"{url}/end", headers=h["other"],
                       json={"reason": "moved_away", "on": on}).status_code == 403
    ended = ok(client.post(f"{url}/end", headers=h["county"],
                           json={"reason": "moved_away", "on": on, "note": "迁往外地"}))
    assert ended["status"] == "ended"
    assert client.post(f"{url}/end", headers=h["county"],
                       json={"reason": "moved_away", "on": on}).status_code == 409
