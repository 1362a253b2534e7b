"""The gateway over the real eligibility service (RabbitMQ + PostgreSQL), through
the Flask test client: jurisdiction scoping, masking, full-read audit, error
mapping, Idempotency-Key, ETag/If-Match, audit queries, metrics, request ids."""

from __future__ import annotations

import pytest
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import bearer, gateway_test_config, token_for

TOWNSHIP_A, TOWNSHIP_B = "341502001", "341502002"
CONSENT = {"given": True, "by": "本人", "on": "2026-03-03"}


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    start_service("eligibility")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10,
                                         CORS_ORIGINS="https://portal.example.org"))
    store = app.extensions["doudi_store"]
    users = {
        "county": store.add_user("county", "password-123", "county_officer", "341502"),
        "town_a": store.add_user("town_a", "password-123", "township_officer", TOWNSHIP_A),
        "town_b": store.add_user("town_b", "password-123", "township_officer", TOWNSHIP_B),
        "clerk_a": store.add_user("clerk_a", "password-123", "village_clerk",
                                  TOWNSHIP_A + "201"),
        "auditor": store.add_user("auditor", "password-123", "auditor", ""),
        "liaison": store.add_user("liaison", "password-123", "department_liaison", "341500"),
    }
    headers = {name: bearer(token_for(app, user)) for name, user in users.items()}
    return app, app.test_client(), headers


def register(client, headers, village: str, seq: int, name: str = "王秀英") -> str:
    id_number = make_id_number(region="341502", seq=seq)
    resp = client.post("/api/v1/persons", headers=headers, json={
        "id_number": id_number, "name": name, "division_code": village,
        "registration": "rural",
        "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}]})
    assert resp.status_code == 200, resp.get_json()
    return id_number


def test_township_officer_cannot_see_another_townships_persons(gw):
    _app, client, h = gw
    mine = register(client, h["county"], TOWNSHIP_A + "201", 11)
    theirs = register(client, h["county"], TOWNSHIP_B + "201", 12)

    own = client.get(f"/api/v1/persons/{mine}", headers=h["town_a"])
    assert own.status_code == 200 and own.get_json()["id_number"] == mine  # read_full
    other = client.get(f"/api/v1/persons/{theirs}", headers=h["town_a"])
    assert other.status_code == 404
    # the same answer as a person who does not exist at all: no existence leak
    nobody = client.get(f"/api/v1/persons/{make_id_number(region='341502', seq=99)}",
                        headers=h["town_a"])
    assert nobody.status_code == 404
    assert other.get_json()["title"] == nobody.get_json()["title"]
    assert client.get(f"/api/v1/persons/{theirs}/eligibility",
                      headers=h["town_a"]).status_code == 404
    assert client.get(f"/api/v1/persons/{theirs}", headers=h["town_b"]).status_code == 200
    # lists: only the caller's township, masked, whatever filter is asked for
    listed = client.get("/api/v1/persons", headers=h["town_a"]).get_json()
    assert [p["division_code"][:9] for p in listed["items"]] == [TOWNSHIP_A]
    assert mine not in str(listed) and listed["total"] == 1
    asked = client.get(f"/api/v1/persons?division_code={TOWNSHIP_B}",
                       headers=h["town_a"]).get_json()
    assert asked["items"] == [] and asked["total"] == 0
    assert client.get("/api/v1/persons", headers=h["county"]).get_json()["total"] == 2
    # acting on a person elsewhere is forbidden, not hidden
    resp = client.post("/api/v1/persons", headers=h["town_a"], json={
        "id_number": theirs, "name": "王秀英", "division_code": TOWNSHIP_B + "201",
        "registration": "rural"})
    assert resp.status_code == 403
    # a village clerk sees the record masked; a liaison too
    masked = client.get(f"/api/v1/persons/{mine}", headers=h["clerk_a"]).get_json()
    assert masked["id_number"] != mine and "*" in masked["id_number"]
    assert mine not in client.get(f"/api/v1/persons/{mine}",
                                  headers=h["liaison"]).get_data(as_text=True)

    audit = client.get("/api/v1/audit?action=person.read_full",
                       headers=h["auditor"]).get_json()
    who = {(e["username"], e["status"]) for e in audit["items"]}
    assert ("town_a", 200) in who and ("town_b", 200) in who
    assert all(mine not in str(e) and theirs not in str(e) for e in audit["items"])
    # "who looked at this person?" — by ID number, matched on a keyed hash
    about_mine = client.get(f"/api/v1/audit?id_number={mine}", headers=h["auditor"]).get_json()
    assert {e["username"] for e in about_mine["items"]} >= {"county", "town_a"}
    assert "town_b" not in {e["username"] for e in about_mine["items"]
                            if e["action"] == "person.read_full"}
    assert mine not in str(about_mine)
    # nobody may read the trail without the permission, and nobody can edit it
    assert client.get("/api/v1/audit", headers=h["county"]).status_code == 403
    assert client.delete("/api/v1/audit", headers=h["auditor"]).status_code == 405
    assert client.put("/api/v1/audit", headers=h["auditor"], json={}).status_code == 405


def test_errors_map_to_problem_json(gw):
    _app, client, h = gw
    bad = client.get("/api/v1/persons/341502195203140000", headers=h["county"])
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
    resp = client.post("/api/v1/persons", headers=h["county"], json={
        "id_number": "123", "name": "", "division_code": "3415", "registration": "moon"})
    assert resp.status_code == 422
    names = {p["name"] for p in resp.get_json()["invalid_params"]}
    assert {"id_number", "name", "division_code", "registration"} <= names
    assert client.post("/api/v1/persons", headers=h["county"], data="{not json",
                       content_type="application/json").status_code in (400, 422)
    pid = register(client, h["county"], TOWNSHIP_A + "201", 21)
    # not eligible for the mode (no incapacity assessment): the service's Invalid → 422
    resp = client.post("/api/v1/applications", headers=h["county"], json={
        "id_number": pid, "care_mode": "centralized", "consent": CONSENT})
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["code"] == "invalid"


def test_idempotency_key_etag_and_request_ids(gw, publish_as):
    _app, client, h = gw
    from doudi_common.testing.fixtures import wait_for

    pid = register(client, h["county"], TOWNSHIP_A + "201", 31)
    publish_as("health", "assessment.completed", {
        "id_number": pid, "assessment_id": "PG-31", "standard": "GB/T 42195-2022",
        "level": 3, "incapacity_level": "full", "assessed_on": "2026-03-02",
        "valid_until": "2027-03-01", "assessor_uscc": "12341500485912345J"})
    wait_for(lambda: client.get(f"/api/v1/persons/{pid}/eligibility", headers=h["county"])
             .get_json().get("eligible"), timeout=20, message="the assessment")

    body = {"id_number": pid, "care_mode": "centralized", "consent": CONSENT}
    key = {"Idempotency-Key": "file-31"}
    first = client.post("/api/v1/applications", headers={**h["clerk_a"], **key}, json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/applications", headers={**h["clerk_a"], **key}, json=body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["application_id"] == first.get_json()["application_id"]
    other = client.post("/api/v1/applications", headers={**h["clerk_a"], **key},
                        json={**body, "care_mode": "dispersed"})
    assert other.status_code == 422
    # without the key the service's own rule applies: one open application per mode
    assert client.post("/api/v1/applications", headers=h["clerk_a"],
                       json=body).status_code == 409

    app_id = first.get_json()["application_id"]
    read = client.get(f"/api/v1/applications/{app_id}", headers=h["town_a"])
    etag = read.headers["ETag"]
    # the other township cannot see it (404) nor act on it (403)
    assert client.get(f"/api/v1/applications/{app_id}", headers=h["town_b"]).status_code == 404
    assert client.post(f"/api/v1/applications/{app_id}/reviews", headers=h["town_b"],
                       json={"action": "withdraw"}).status_code == 403
    # illegal transition from the service → 409
    resp = client.post(f"/api/v1/applications/{app_id}/reviews", headers=h["county"],
                       json={"action": "sign_agreement"})
    assert resp.status_code == 409 and resp.get_json()["code"] == "conflict"
    check = {"action": "township_check", "data": {
        "home_visit": {"on": "2026-03-04", "by": "town_a", "findings": "独居"},
        "needs_assessment": {"incapacity_level": "full", "needs": ["meals"]}}}
    ok = client.post(f"/api/v1/applications/{app_id}/reviews",
                     headers={**h["town_a"], "If-Match": etag}, json=check)
    assert ok.status_code == 200, ok.get_json()
    stale = client.post(f"/api/v1/applications/{app_id}/reviews",
                        headers={**h["county"], "If-Match": etag},
                        json={"action": "approve"})
    assert stale.status_code == 412

    listed = client.get("/api/v1/applications", headers=h["town_a"]).get_json()
    assert [a["application_id"] for a in listed["items"]] == [app_id]
    assert pid not in str(listed)  # masked in lists
    assert client.get("/api/v1/applications", headers=h["town_b"]).get_json()["total"] == 0

    resp = client.get(f"/api/v1/persons/{pid}/eligibility",
                      headers={**h["county"], "X-Request-Id": "req-abc-123",
                               "Origin": "https://portal.example.org"})
    assert resp.headers["X-Request-Id"] == "req-abc-123"
    assert resp.headers["Access-Control-Allow-Origin"] == "https://portal.example.org"
    assert "Access-Control-Allow-Origin" not in client.get(
        "/healthz", headers={"Origin": "https://evil.example"}).headers

    writes = client.get("/api/v1/audit?username=clerk_a", headers=h["auditor"]).get_json()
    assert {e["status"] for e in writes["items"]} >= {201, 409, 422}
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'doudi_gateway_requests_total{method="POST",route="/api/v1/applications",status="201"}' \
        in metrics
    assert 'doudi_gateway_rpc_duration_seconds_count{method="get_person",outcome="ok",' \
           'service="eligibility"}' in metrics
    assert "doudi_gateway_request_duration_seconds_bucket" in metrics


def test_request_id_reaches_the_services_logs(gw):
    import logging

    _app, client, h = gw
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep(logging.INFO)
    logging.getLogger().addHandler(keep)  # after create_app configured logging
    try:
        pid = make_id_number(region="341502", seq=41)
        resp = client.post("/api/v1/persons",
                           headers={**h["county"], "X-Request-Id": "rid-041"},
                           json={"id_number": pid, "name": "李四",
                                 "division_code": TOWNSHIP_A + "201", "registration": "rural"})
        assert resp.status_code == 200 and resp.headers["X-Request-Id"] == "rid-041"
    finally:
        logging.getLogger().removeHandler(keep)
    service_lines = [r.msg for r in records
                     if isinstance(r.msg, dict) and r.name.startswith("doudi_eligibility")]
    assert service_lines and all(m.get("request_id") == "rid-041" for m in service_lines), \
        [(r.name, r.levelname, str(r.msg)[:200]) for r in records][-15:]


def test_a_service_that_does_not_answer_is_504_with_retry_after(rabbit, start_service, tmp_path):
    import time

    container = start_service("eligibility")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=1))
    user = app.extensions["doudi_store"].add_user("c", "password-123", "county_officer", "341502")
    client = app.test_client()
    pid = make_id_number(region="341502", seq=51)
    assert client.get(f"/api/v1/persons/{pid}",
                      headers=bearer(token_for(app, user))).status_code == 404
    container.stop()  # its queue stays: calls wait for an answer that never comes
    started = time.monotonic()
    resp = client.get(f"/api/v1/persons/{pid}", headers=bearer(token_for(app, user)))
    assert resp.status_code == 504 and resp.headers["Retry-After"]
    assert resp.content_type.startswith("application/problem+json")
    assert time.monotonic() - started < 5
