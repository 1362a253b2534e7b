"""Institutions endpoints over the real eligibility and institutions services:
placement records and care level, price segments, monthly price, inspection
details; bad input (422 naming the field), If-Match (412) and jurisdiction /
own-institution scope (404 on reads, 403 on actions)."""

from __future__ import annotations

import pytest
from doudi_common.clock import clock_of, to_shanghai
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import gateway_test_config, ok, param_names, role_headers

VILLAGE = "341502001201"
INST = "12341500MB1234567G"
OTHER_INST = "12341500485912345J"


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    start_service("eligibility")
    institutions = start_service("institutions")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    h = role_headers(app, {"county": ("county_officer", "341502"),
                           "other": ("county_officer", "341503"),
                           "staff": ("institution_staff", "341502", INST),
                           "stranger": ("institution_staff", "341502", OTHER_INST)})
    today = to_shanghai(clock_of(institutions).current()).date()
    return app.test_client(), h, today


def test_placement_care_level_prices_and_inspection(gw):
    client, h, today = gw
    ok(client.post("/api/v1/institutions", headers=h["county"], json={
        "uscc": INST, "name": "金安区中心敬老院", "legal_form": "public_institution",
        "kind": "tekun_home", "operating_model": "public", "division_code": "341502",
        "opened_on": "2020-01-01", "status": "open"}))
    ok(client.post(f"/api/v1/institutions/{INST}/rooms", headers=h["county"],
                   json={"room_no": "101", "room_type": "double", "beds": ["101-1", "101-2"]}))
    for code, category, price, extra in (
            ("BED-D", "bed", "900.00", {"room_type": "double"}),
            ("NUR-F", "nursing", "1200.00", {"care_level": "full"}),
            ("NUR-P", "nursing", "700.00", {"care_level": "partial"})):
        ok(client.post(f"/api/v1/institutions/{INST}/catalog", headers=h["county"], json={
            "code": code, "category": category, "name": code, "unit": "month", "price": price,
            "effective_from": today.isoformat(), **extra}))

    # monthly price: read-scoped by jurisdiction
    price = ok(client.get(f"/api/v1/institutions/{INST}/monthly-price"
                          "?room_type=double&care_level=full", headers=h["county"]))
    assert price["monthly_price"] == "2100.00", price
    bad = client.get(f"/api/v1/institutions/{INST}/monthly-price?care_level=high",
                     headers=h["county"])
    assert bad.status_code == 422 and param_names(bad) == {"care_level"}
    assert client.get(f"/api/v1/institutions/{INST}/monthly-price",
                      headers=h["other"]).status_code == 404

    pid = make_id_number(region="341502", seq=71)
    ok(client.post("/api/v1/persons", headers=h["county"], json={
        "id_number": pid, "name": "张桂兰", "division_code": VILLAGE, "registration": "rural",
        "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}]}))
    placement = ok(client.post(f"/api/v1/institutions/{INST}/placements", headers=h["staff"],
                               json={"id_number": pid, "admitted_on": today.isoformat(),
                                     "care_level": "full"}), 201)
    pl = placement["placement_id"]

    # the health record and rehab plan references, with If-Match
    read = client.get(f"/api/v1/placements/{pl}", headers=h["staff"])
    etag = read.headers["ETag"]
    assert "health_record_ref" in param_names(client.patch(
        f"/api/v1/placements/{pl}", headers=h["staff"], json={"health_record_ref": ""}))
    assert client.patch(f"/api/v1/placements/{pl}", headers=h["other"],
                        json={"health_record_ref": "HR-1"}).status_code == 403
    assert client.patch(f"/api/v1/placements/{pl}", headers=h["stranger"],
                        json={"health_record_ref": "HR-1"}).status_code == 403
    updated = ok(client.patch(f"/api/v1/placements/{pl}", headers={**h["staff"], "If-Match": etag},
                              json={"health_record_ref": "HR-1", "rehab_plan_ref": "RP-1"}))
    assert updated["health_record_ref"] == "HR-1" and updated["rehab_plan_ref"] == "RP-1"
    assert pid not in str(updated)
    stale = client.patch(f"/api/v1/placements/{pl}", headers={**h["staff"], "If-Match": etag},
                         json={"rehab_plan_ref": "RP-2"})
    assert stale.status_code == 412

    # the care level, from a day
    bad = client.post(f"/api/v1/placements/{pl}/care-level", headers=h["staff"],
                      json={"care_level": "total"})
    assert bad.status_code == 422 and param_names(bad) == {"care_level", "on"}
    assert client.post(f"/api/v1/placements/{pl}/care-level", headers=h["other"], json={
        "care_level": "partial", "on": today.isoformat()}).status_code == 403
    changed = ok(client.post(f"/api/v1/placements/{pl}/care-level", headers=h["staff"], json={
        "care_level": "partial", "on": today.isoformat()}))
    assert changed["care_level"] == "partial"

    month = today.strftime("%Y-%m")
    segments = ok(client.get(f"/api/v1/placements/{pl}/price-segments?month={month}",
                             headers=h["county"]))
    assert segments["segments"][-1]["monthly_price"] == "1600.00", segments
    assert "month" in param_names(client.get(f"/api/v1/placements/{pl}/price-segments?month=2026-3",
                                       headers=h["county"]))
    assert client.get(f"/api/v1/placements/{pl}/price-segments?month={month}",
                      headers=h["other"]).status_code == 404
    assert client.get(f"/api/v1/placements/{pl}/price-segments?month={month}",
                      headers=h["stranger"]).status_code == 404

    # an inspection's inspector and notes
    inspection = ok(client.post(f"/api/v1/institutions/{INST}/inspections", headers=h["county"],
                                json={"kind": "fire_safety", "inspected_on": today.isoformat(),
                                      "result": "passed"}), 201)
    ins = inspection["inspection_id"]
    etag = client.get(f"/api/v1/inspections/{ins}", headers=h["county"]).headers["ETag"]
    bad = client.patch(f"/api/v1/inspections/{ins}", headers=h["county"], json={"notes": ""})
    assert bad.status_code == 422 and param_names(bad) == {"notes"}
    assert client.patch(f"/api/v1/inspections/{ins}", headers=h["other"],
                        json={"notes": "复查"}).status_code == 403
    fixed = ok(client.patch(f"/api/v1/inspections/{ins}", headers={**h["county"], "If-Match": etag},
                            json={"inspector": "王检查", "notes": "消防通道畅通"}))
    assert fixed["inspector"] == "王检查" and fixed["notes"] == "消防通道畅通"
    assert client.patch(f"/api/v1/inspections/{ins}", headers={**h["county"], "If-Match": etag},
                        json={"notes": "再改"}).status_code == 412
