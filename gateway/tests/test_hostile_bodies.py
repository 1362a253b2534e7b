"""Hostile bodies get the right 4xx before the audit trail is touched (issue
22): too large 413, not JSON 415, malformed or too deep 400 — never the 503
"audit store unavailable" that would page an operator for nothing."""

from __future__ import annotations

import logging

import pytest
from doudi_gateway.app import create_app
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.tests.conftest import gateway_test_config, role_headers


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    app = create_app(gateway_test_config(tmp_path_factory.mktemp("hostile"), "memory://",
                                         MAX_BODY_BYTES=1024 * 1024))
    return app.test_client(), role_headers(app, {"clerk": ("village_clerk", "341502001")})


def post(client, headers, data, content_type="application/json"):
    return client.post("/api/v1/persons", data=data, headers=headers["clerk"],
                       content_type=content_type)


def test_an_oversized_body_is_413(gw, caplog):
    client, h = gw
    with caplog.at_level(logging.ERROR):
        resp = post(client, h, b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert resp.status_code == 413 and resp.get_json()["code"] == "too_large"
    assert resp.content_type.startswith("application/problem+json")
    assert "audit store unavailable" not in caplog.text


def test_deeply_nested_json_is_400(gw, caplog):
    client, h = gw
    with caplog.at_level(logging.ERROR):
        resp = post(client, h, b"[" * 100_000 + b"]" * 100_000)
    assert resp.status_code == 400 and resp.get_json()["code"] == "too_deep"
    assert "audit store unavailable" not in caplog.text


@pytest.mark.parametrize("body", [b"{", b'{"a": }', b"\xff\xfe", b"nul\x00l"])
def test_malformed_json_is_400(gw, body):
    client, h = gw
    resp = post(client, h, body)
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_json"


def test_a_body_that_is_not_json_is_415(gw):
    client, h = gw
    resp = post(client, h, b"name=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415 and resp.get_json()["code"] == "unsupported_media_type"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_no_body_makes_the_gateway_fail(gw, data):
    client, h = gw
    resp = post(client, h, data)
    assert resp.status_code < 500 or resp.get_json()["code"] == "unavailable", \
        (resp.status_code, resp.get_data(as_text=True)[:200])


def test_a_failure_after_the_view_is_a_chinese_problem(tmp_path):
    """An exception in an after-request hook (Flask wraps it in its own 500)
    answers like any bug: problem+json in Chinese, never werkzeug's English page."""
    app = create_app(gateway_test_config(tmp_path, "memory://"))

    @app.after_request
    def _boom(response):
        raise RuntimeError("hook failed")

    resp = app.test_client().get("/healthz")
    assert resp.status_code == 500
    assert resp.content_type.startswith("application/problem+json")
    body = resp.get_json()
    assert body["code"] == "bug" and body["title"] == "内部错误"
    assert "网关内部错误" in body["detail"] and "server" not in body["detail"]
