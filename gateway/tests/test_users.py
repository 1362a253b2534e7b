"""Accounts over REST: who is signed in, and an administrator managing users —
bad input named on its field, nothing saved; other roles refused; every write
in the audit trail; no reply carries a password."""

from __future__ import annotations

import pytest
from doudi_gateway.app import create_app

from gateway.tests.conftest import field_names, gateway_test_config, ok, role_headers


@pytest.fixture
def gw(tmp_path):
    app = create_app(gateway_test_config(tmp_path, "memory://"))
    h = role_headers(app, {"root": ("admin", ""), "clerk": ("village_clerk", "341502001201"),
                           "county": ("county_officer", "341502")})
    return app.test_client(), h


def test_me_says_who_and_where_with_names(gw):
    client, h = gw
    me = ok(client.get("/api/v1/me", headers=h["county"]))
    assert me["role"] == "county_officer" and me["role_label"] == "县(区)民政局"
    assert me["jurisdiction_name"] == "安徽省六安市金安区"
    assert "funding:write" in me["permissions"] and "users:manage" not in me["permissions"]
    assert ok(client.get("/api/v1/me", headers=h["root"]))["jurisdiction_name"] == "全部辖区"
    assert client.get("/api/v1/me").status_code == 401


def test_bad_users_are_refused_on_their_field_and_nothing_is_saved(gw):
    client, h = gw
    for body, field in (
            ({"username": "x y", "password": "long-enough-1", "role": "auditor"}, "username"),
            ({"username": "li", "password": "short", "role": "auditor"}, "password"),
            ({"username": "li", "password": "long-enough-1", "role": "mayor"}, "role"),
            ({"username": "li", "password": "long-enough-1", "role": "auditor",
              "jurisdiction": "34150"}, "jurisdiction"),
            ({"username": "li", "password": "long-enough-1", "role": "institution_staff",
              "jurisdiction": "341502"}, "institution_id")):
        resp = client.post("/api/v1/users", headers=h["root"], json=body)
        assert resp.status_code == 422 and field in field_names(resp), (body, resp.get_json())
    names = {u["username"] for u in ok(client.get("/api/v1/users", headers=h["root"]))["items"]}
    assert "li" not in names


def test_an_administrator_manages_users_and_others_may_not(gw):
    client, h = gw
    new = {"username": "li.ming", "password": "first-pass-1", "role": "village_clerk",
           "jurisdiction": "341502001201", "display_name": "李明"}
    assert client.post("/api/v1/users", headers=h["county"], json=new).status_code == 403
    made = ok(client.post("/api/v1/users", headers=h["root"], json=new), 201)
    assert made["display_name"] == "李明" and not made["disabled"]
    assert "password" not in str(made)
    assert client.post("/api/v1/users", headers=h["root"], json=new).status_code == 409
    login = {"username": "li.ming", "password": "first-pass-1"}
    token = ok(client.post("/api/v1/auth/token", json=login))["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert ok(client.post("/api/v1/users/li.ming/disable", headers=h["root"]))["disabled"]
    assert client.get("/api/v1/me", headers=mine).status_code == 401  # sessions end at once
    assert client.post("/api/v1/auth/token", json=login).status_code in (401, 403)
    ok(client.post("/api/v1/users/li.ming/enable", headers=h["root"]))
    ok(client.post("/api/v1/users/li.ming/password", headers=h["root"],
                   json={"password": "second-pass-2"}))
    assert client.post("/api/v1/auth/token", json=login).status_code == 401
    assert client.post("/api/v1/users/nobody/unlock", headers=h["root"]).status_code == 404
    trail = ok(client.get("/api/v1/audit?action=post%20/api/v1/users", headers=h["root"]))
    assert trail["total"] >= 2 and all(e["username"] == "root" for e in trail["items"]
                                       if e["outcome"] == "ok")
