"""Divisions with names (issue 15): GB/T 2260 names down to the county,
townships and villages as an administrator registers them (audited)."""

from __future__ import annotations

import pytest
from doudi_gateway.app import create_app

from gateway.tests.conftest import gateway_test_config, role_headers


@pytest.fixture
def gw(tmp_path):
    app = create_app(gateway_test_config(tmp_path, "memory://"))
    headers = role_headers(app, {"root": ("admin", ""), "clerk": ("village_clerk", "341502001")})
    return app.test_client(), headers


def test_official_names_down_to_the_county_need_no_token(gw):
    client, _ = gw
    county = client.get("/api/v1/divisions/341502")
    assert county.status_code == 200
    body = county.get_json()
    assert body["name"] == "金安区" and body["level"] == "county"
    assert body["full_name"] == "安徽省六安市金安区"
    assert [p["code"] for p in body["path"]] == ["340000", "341500", "341502"]
    cities = client.get("/api/v1/divisions/341500/children").get_json()["items"]
    assert {"code": "341502", "name": "金安区"} in cities
    assert client.get("/api/v1/divisions/999999").status_code in (404, 422)
    assert client.get("/api/v1/divisions/34x").status_code in (404, 422)


def test_townships_and_villages_are_registered_by_an_admin_and_audited(gw):
    client, h = gw
    town = {"code": "341502001", "name": "城北乡"}
    assert client.post("/api/v1/divisions", json=town).status_code == 401
    assert client.post("/api/v1/divisions", json=town, headers=h["clerk"]).status_code == 403
    village = {"code": "341502001001", "name": "新华村"}
    early = client.post("/api/v1/divisions", json=village, headers=h["root"])
    assert early.status_code == 409 and early.get_json()["fields"]["reason"] == "parent_missing"
    made = client.post("/api/v1/divisions", json=town, headers=h["root"])
    assert made.status_code == 201 and made.get_json()["full_name"] == "安徽省六安市金安区城北乡"
    assert client.post("/api/v1/divisions", json=village, headers=h["root"]).status_code == 201
    got = client.get("/api/v1/divisions/341502001001").get_json()
    assert got["full_name"] == "安徽省六安市金安区城北乡新华村" and got["level"] == "village"
    assert client.get("/api/v1/divisions/341502/children").get_json()["items"] == [
        {"code": "341502001", "name": "城北乡"}]
    bad = client.post("/api/v1/divisions", json={"code": "3415", "name": ""}, headers=h["root"])
    assert bad.status_code == 422
    audit = client.get("/api/v1/audit", headers=h["root"])
    entries = audit.get_json()["items"]
    assert any(e["path"] == "/api/v1/divisions" and e["method"] == "POST" and e["status"] == 201
               for e in entries), entries[:3]


def test_the_demonstration_townships_and_villages_are_seeded_once(gw, monkeypatch, capsys):
    from doudi_gateway.cli import main

    client, _ = gw
    monkeypatch.setenv("DOUDI_GATEWAY_DB_URL", client.application.config["DOUDI"]["GATEWAY_DB_URL"])
    assert main(["seed-divisions"]) == 0
    assert main(["seed-divisions"]) == 0  # again: nothing new, nothing renamed
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 ")
    for code, full in (("341502001201", "安徽省六安市金安区城北乡城北村"),
                       ("620102001001", "甘肃省兰州市城关区东岗西路街道东岗社区"),
                       ("360104001", "江西省南昌市青云谱区洪都街道")):
        body = client.get(f"/api/v1/divisions/{code}").get_json()
        assert body["full_name"] == full, body
    towns = client.get("/api/v1/divisions/410928/children").get_json()["items"]
    assert {t["name"] for t in towns} >= {"城关镇", "柳屯镇"}
