"""The OpenAPI document clients are generated from (issue 15): every
operation named by a stable, unique operationId; 405 answers carry Allow; the
document is committed as docs/openapi.json and kept current here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doudi_gateway.app import create_app

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def app():
    return create_app({"AMQP_URI": "memory://", "GATEWAY_DB_URL": "sqlite://",
                       "JWT_SECRET": "openapi-test-not-a-real-key", "LOG_FORMAT": "json"})


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def operations(document):
    return [(path, method, op) for path, ops in document["paths"].items()
            for method, op in ops.items() if method in METHODS]


def test_every_operation_has_a_unique_operation_id(document):
    ids = [op.get("operationId") for _, _, op in operations(document)]
    assert len(ids) > 100
    assert None not in ids, [(p, m) for p, m, op in operations(document)
                             if not op.get("operationId")]
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    assert all(i.replace("_", "").isalnum() and i.islower() for i in ids), ids


def test_operation_ids_follow_blueprint_and_view(document):
    by_route = {(p, m): op["operationId"] for p, m, op in operations(document)}
    assert by_route[("/api/v1/persons/{id_number}", "get")] == "persons_get_person"
    assert by_route[("/api/v1/auth/token", "post")] == "auth_token"
    assert by_route[("/healthz", "get")] == "ops_healthz"


def test_an_undeclared_method_answers_405_with_allow(app):
    resp = app.test_client().delete("/api/v1/persons")
    assert resp.status_code == 405
    assert resp.content_type.startswith("application/problem+json")
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_the_committed_document_is_current(document):
    committed = ROOT / "docs" / "openapi.json"
    current = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert committed.is_file() and committed.read_text(encoding="utf-8") == current, (
        "regenerate: uv run python -m doudi_gateway.openapi_doc > docs/openapi.json")


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/swagger"])
def test_the_docs_pages_load_nothing_from_another_host(app, path):
    import re

    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and b"swagger-ui" in page.data
    html = page.get_data(as_text=True)
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), \
        re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\"' ]*", html, re.I)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/v1/") for a in assets), assets
    for asset in assets:
        served = client.get(asset)  # served by the gateway, without a token
        assert served.status_code == 200 and len(served.data) > 1000, asset


def test_vocabularies_are_served_with_labels_and_need_no_token(app):
    client = app.test_client()
    index = client.get("/api/v1/vocabularies")
    assert index.status_code == 200
    names = {v["name"] for v in index.get_json()["items"]}
    assert {"care_modes", "hardship", "application_states", "institution_kinds",
            "fund_channels", "service_items", "policy_packs", "roles", "permissions"} <= names
    modes = client.get("/api/v1/vocabularies/care_modes").get_json()
    assert modes["title"] == "照护方式"
    assert modes["terms"][0] == {"code": "centralized", "label": "集中供养",
                                 "label_en": "centralised care"}
    packs = {t["code"]: t for t in client.get("/api/v1/vocabularies/policy_packs")
             .get_json()["terms"]}
    assert packs["luan-2021"]["number"] == "六政办秘〔2021〕12号"
    missing = client.get("/api/v1/vocabularies/colours")
    assert missing.status_code == 404
    assert missing.content_type.startswith("application/problem+json")


def test_readiness_with_no_broker_is_503_naming_it(tmp_path):
    from gateway.tests.conftest import gateway_test_config

    app = create_app(gateway_test_config(tmp_path, "pyamqp://guest:guest@127.0.0.1:1/",
                                         READY_TIMEOUT=1, RPC_TIMEOUT=1))
    for _ in range(3):  # every try, not most of them
        resp = app.test_client().get("/readyz")
        assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
        assert resp.content_type.startswith("application/problem+json")
        body = resp.get_json()
        assert body["checks"]["broker"] == "unavailable" and "broker" in body["failed"]
        assert body["checks"]["gateway_db"] == "ok" and resp.headers["Retry-After"]
    assert app.test_client().get("/healthz").status_code == 200


def _schemas(document, node, seen=None):
    """Every schema object reachable from ``node`` (references followed once)."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref:
            if ref not in seen:
                seen.add(ref)
                yield from _schemas(document, document["components"]["schemas"][
                    ref.rsplit("/", 1)[1]], seen)
            return
        if node.get("enum") == [None]:
            return  # the null branch of a nullable object
        yield node
        for key in ("properties",):
            for child in (node.get(key) or {}).values():
                yield from _schemas(document, child, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _schemas(document, node[key], seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key) or []:
                yield from _schemas(document, child, seen)


def success_schemas(document):
    for path, method, op in operations(document):
        for status, response in op["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content is not None:
                yield f"{method.upper()} {path} {status}", content


def test_every_success_reply_is_strictly_typed(document):
    """0 open-ended bodies: every object names its properties and refuses others
    (a map's values are typed), every value has a type."""
    open_ended = []
    for label, content in success_schemas(document):
        assert "schema" in content, label
        for node in _schemas(document, content["schema"]):
            if any(k in node for k in ("anyOf", "oneOf", "allOf")):
                continue  # its branches are walked
            if node.get("type") == "object" or "properties" in node:
                extra = node.get("additionalProperties", False)
                typed_map = isinstance(extra, dict) and bool(extra) and not node.get("properties")
                if extra is True or (extra == {} and True) or (
                        isinstance(extra, dict) and not typed_map and extra):
                    open_ended.append(label)
                if not node.get("properties") and not typed_map:
                    open_ended.append(f"{label} (no properties)")
            elif not any(k in node for k in ("type", "$ref", "anyOf", "oneOf", "allOf")):
                open_ended.append(f"{label} (untyped value)")
    assert not open_ended, sorted(set(open_ended))


def test_every_field_and_parameter_is_described(document):
    missing = [f"{name}.{prop}" for name, schema in document["components"]["schemas"].items()
               for prop, spec in (schema.get("properties") or {}).items()
               if not spec.get("description") and "$ref" not in spec
               and not (spec.get("allOf") or spec.get("items", {}).get("$ref"))]
    missing += [f"{method.upper()} {path} ?{p['name']}" for path, method, op in operations(document)
                for p in op.get("parameters", []) if "$ref" not in p and not p.get("description")]
    assert not missing, missing


def test_every_json_reply_has_an_example_that_matches_its_schema(document):
    from doudi_gateway.replycheck import ReplyChecker

    checker = ReplyChecker(document)
    without, wrong = [], []
    for label, content in success_schemas(document):
        if label.startswith("GET /api/v1/openapi.json"):
            continue
        if "example" not in content:
            without.append(label)
            continue
        method, path, status = label.split(" ")
        problems = checker.errors(path, method, int(status), content["example"])
        if problems:
            wrong.append((label, problems[:3]))
    assert not without, without
    assert not wrong, wrong
    assert len(document["paths"]) > 90
