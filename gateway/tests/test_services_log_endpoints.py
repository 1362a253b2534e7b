"""services_log endpoints over the real eligibility and services_log services:
item prices, card documents, batch recording, one month close; bad input (422
naming the field) and jurisdiction (404 on reads, 403 on actions)."""

from __future__ import annotations

from datetime import datetime

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import field_names, gateway_test_config, param_names, role_headers

VILLAGE, TOWNSHIP = "620102001001", "620102001"
ORG = "12341500MB1234567G"


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    start_service("eligibility")
    services_log = start_service("services_log")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    headers = role_headers(app, {"county": ("county_officer", "620102"),
                                 "other": ("county_officer", "341502"),
                                 "admin": ("admin", "")})
    return app.test_client(), headers, clock_of(services_log)


def test_prices_documents_batch_and_month_close(gw):
    client, h, clock = gw
    clock.set(datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI))
    # prices: a pack's jurisdiction (Lanzhou: the city) — the district officer may not
    bad = client.put("/api/v1/service-items/620100/cleaning/price", headers=h["admin"],
                     json={"unit_price": "30.005"})
    assert bad.status_code == 422 and param_names(bad) == {"unit_price"}
    assert client.put("/api/v1/service-items/620100/cleaning/price", headers=h["county"],
                      json={"unit_price": "30.00"}).status_code == 403
    priced = client.put("/api/v1/service-items/620100/cleaning/price", headers=h["admin"],
                        json={"unit_price": "30.00"})
    assert priced.status_code == 200, priced.get_json()
    assert priced.get_json()["unit_price"] == "30.00"
    assert client.put("/api/v1/service-items/620100/no_such_item/price", headers=h["admin"],
                      json={"unit_price": "30.00"}).status_code in (404, 422)

    pid = make_id_number(region="620102", birth="19450301", seq=11)
    resp = client.post("/api/v1/persons", headers=h["county"], json={
        "id_number": pid, "name": "张大爷", "division_code": VILLAGE, "registration": "urban",
        "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}]})
    assert resp.status_code == 200, resp.get_json()
    card = client.post("/api/v1/service-cards", headers=h["county"], json={
        "id_number": pid, "assessed_on": "2026-10-01",
        "items": [{"code": "cleaning", "times_per_month": 8}],
        "providers": [{"kind": "organisation", "uscc": ORG, "name": "安心家政"}]})
    assert card.status_code == 201, card.get_json()

    doc = {"kind": "needs_form", "ref": "DOC-0001", "note": "需求评估表"}
    bad = client.post(f"/api/v1/service-cards/{pid}/documents", headers=h["county"],
                      json={**doc, "kind": "passport"})
    assert bad.status_code == 422 and param_names(bad) == {"kind"}
    assert client.post(f"/api/v1/service-cards/{pid}/documents", headers=h["other"],
                       json=doc).status_code == 403
    added = client.post(f"/api/v1/service-cards/{pid}/documents", headers=h["county"], json=doc)
    assert added.status_code == 201, added.get_json()
    assert [d["ref"] for d in added.get_json()["documents"]] == ["DOC-0001"]
    assert pid not in added.get_data(as_text=True)

    provider = {"kind": "organisation", "uscc": ORG, "name": "安心家政"}
    records = [{"id_number": pid, "service_item": "cleaning", "provider": provider,
                "started_at": f"2026-10-{day:02d}T09:00:00+08:00",
                "ended_at": f"2026-10-{day:02d}T10:00:00+08:00"} for day in (6, 13)]
    bad = client.post("/api/v1/services/batch", headers=h["county"], json={
        "records": [records[0], {**records[1], "started_at": "yesterday"}]})
    assert bad.status_code == 422 and param_names(bad) == {"records.1.started_at"}
    assert client.post("/api/v1/services/batch", headers=h["county"],
                       json={"records": []}).status_code == 422
    assert client.post("/api/v1/services/batch", headers=h["other"],
                       json={"records": records}).status_code == 403
    clock.set(datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI))
    # the service refuses the whole upload when one record is wrong, naming it
    refused = client.post("/api/v1/services/batch", headers=h["county"], json={
        "records": [records[0], {**records[1], "service_item": "bathing"}]})
    assert refused.status_code in (409, 422), refused.get_json()
    assert str(refused.get_json()["fields"]["index"]) == "1", refused.get_json()
    done = client.post("/api/v1/services/batch", headers=h["county"], json={"records": records})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["recorded"] == 2
    listed = client.get(f"/api/v1/services?id_number={pid}", headers=h["county"]).get_json()
    assert listed["total"] == 2

    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
    url = f"/api/v1/month-closes/2026-10?division_code={TOWNSHIP}"
    assert client.get(url, headers=h["county"]).status_code == 404  # not closed yet
    closed = client.post("/api/v1/month-closes", headers=h["county"], json={
        "month": "2026-10", "division_code": TOWNSHIP})
    assert closed.status_code == 201, closed.get_json()
    got = client.get(url, headers=h["county"])
    assert got.status_code == 200 and got.get_json()["month"] == "2026-10"
    assert pid not in got.get_data(as_text=True)
    assert client.get(url, headers=h["other"]).status_code == 404
    both = client.get(f"{url}&institution_uscc={ORG}", headers=h["county"])
    assert both.status_code == 422 and "division_code" in field_names(both)
    assert client.get(f"/api/v1/month-closes/2026-13?division_code={TOWNSHIP}",
                      headers=h["county"]).status_code == 422
