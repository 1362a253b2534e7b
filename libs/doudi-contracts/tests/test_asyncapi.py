"""docs/asyncapi.yaml: up to date, valid AsyncAPI 3.0.0 (the official JSON
Schema, vendored under tests/vendor), internally consistent, and its payload
schemas agree with the marshmallow contract on the examples and bad cases."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from doudi_contracts import asyncapi
from doudi_contracts.registry import CATALOGUE, examples
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
COMMITTED = REPO / "docs" / "asyncapi.yaml"
OFFICIAL_SCHEMA = HERE / "vendor" / "asyncapi-3.0.0.schema.json"
DOC_URI = "urn:doudi:asyncapi"


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(asyncapi.render())


@pytest.fixture(scope="module")
def registry(document) -> Registry:
    return Registry().with_resource(DOC_URI, Resource(contents=document, specification=DRAFT7))


def payload_validator(registry: Registry, source: str, event_type: str):
    ref = {"$ref": f"{DOC_URI}#/components/schemas/{source}.{event_type}.envelope"}
    return jsonschema.Draft7Validator(ref, registry=registry,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_committed_document_is_fresh():
    assert COMMITTED.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run "
        "`uv run python -m doudi_contracts.asyncapi > docs/asyncapi.yaml`")


def test_check_option(tmp_path, capsys):
    assert asyncapi.main(["--check", str(COMMITTED)]) == 0
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text("asyncapi: 3.0.0\n", encoding="utf-8")
    assert asyncapi.main(["--check", str(stale)]) == 1


def test_rendering_is_deterministic():
    assert asyncapi.render() == asyncapi.render()
    assert "&id" not in asyncapi.render()  # no YAML anchors


def test_valid_against_official_asyncapi_3_schema(document):
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in validator.iter_errors(document)]
    assert errors == []
    # and the validator is not vacuous
    broken = copy.deepcopy(document)
    broken["operations"]["cdpf.publish"]["action"] = "publish"
    assert list(validator.iter_errors(broken))


def _refs(node, found):
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _resolve(document: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_ref_resolves(document):
    for ref in _refs(document, []):
        _resolve(document, ref)


def test_channels_operations_and_permissions(document):
    channels, operations = document["channels"], document["operations"]
    assert set(channels) == {f"{s}.events" for s in CATALOGUE}
    for source, types in CATALOGUE.items():
        channel = channels[f"{source}.events"]
        assert channel["bindings"]["amqp"]["exchange"] == {
            "name": f"{source}.events", "type": "topic", "durable": True, "autoDelete": False,
            "vhost": "/"}
        assert list(channel["messages"]) == list(types)
        send, receive = operations[f"{source}.publish"], operations[f"{source}.consume"]
        assert send["action"] == "send" and receive["action"] == "receive"
        for op in (send, receive):
            assert op["channel"] == {"$ref": f"#/channels/{source}.events"}
            # an operation's messages must be the channel's own
            assert all(m["$ref"].startswith(f"#/channels/{source}.events/messages/")
                       for m in op["messages"])
        assert send["security"] == [{"$ref": f"#/components/securitySchemes/{source}"}]
        assert send["bindings"]["amqp"]["userId"] == source
    # departments may read the suite's channels but not each other's
    cdpf_reads = {s for s in CATALOGUE
                  if {"$ref": "#/components/securitySchemes/cdpf"}
                  in operations[f"{s}.consume"]["security"]}
    assert cdpf_reads == {"eligibility", "institutions", "funding", "services_log"}


@pytest.mark.parametrize("source, event_type, envelope",
                         list(examples()), ids=[f"{s}/{t}" for s, t, _ in examples()])
def test_examples_match_payload_json_schema(source, event_type, envelope, document, registry):
    payload_validator(registry, source, event_type).validate(envelope)
    message = document["components"]["messages"][f"{source}.{event_type}"]
    assert message["examples"][0]["payload"] == envelope
    assert message["bindings"]["amqp"]["messageType"] == event_type


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["data"].update(monthly_amount=120.0),  # float amount
        lambda e: e["data"].update(monthly_amount="120.5"),
        lambda e: e["data"].pop("kind"),  # missing field
        lambda e: e["data"].update(extra="x"),  # unknown data field
        lambda e: e.update(user_id="cdpf"),  # extra top-level key
        lambda e: e.update(time="2026-03-01T09:30:00"),  # naive time
        lambda e: e.update(source="health/341500"),  # source mismatch
        lambda e: e.update(type="subsidy.revoked"),  # wrong type for this message
        lambda e: e.update(specversion="0.3"),
    ],
)
def test_payload_json_schema_also_refuses_bad_cases(mutate, envelope, registry):
    env = envelope("cdpf", "subsidy.granted")
    mutate(env)
    with pytest.raises(jsonschema.ValidationError):
        payload_validator(registry, "cdpf", "subsidy.granted").validate(env)


def test_extension_attributes_allowed_by_json_schema(envelope, registry):
    env = envelope("cdpf", "subsidy.granted")
    env["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    payload_validator(registry, "cdpf", "subsidy.granted").validate(env)
