"""AsyncAPI 3.0 document of the event catalogue, generated from the schemas.

    python -m doudi_contracts.asyncapi > docs/asyncapi.yaml
    python -m doudi_contracts.asyncapi --check docs/asyncapi.yaml   # exit 1 if stale

Channels are the ``<source>.events`` topic exchanges, one message per event
type (routing key = type). Each channel has a *send* operation, secured by the
one RabbitMQ user allowed to publish there, and a *receive* operation listing
the users that may consume it (``registry.publisher`` / ``registry.readers``,
the same rules as ``deploy/rabbitmq/definitions.json``).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from typing import Any

import yaml

from doudi_contracts.envelope import envelope_json_schema
from doudi_contracts.jsonschema_export import schema_to_json_schema
from doudi_contracts.registry import (
    CATALOGUE,
    DEPARTMENTS,
    SERVICES,
    data_schema,
    example_envelope,
    publisher,
    readers,
)

DOCUMENT_VERSION = "1.0.0"
AMQP_BINDING = "0.3.0"

TITLES = {
    "cdpf": "残联 CDPF (disabled persons' federation)",
    "health": "卫健 health commission",
    "medical_insurance": "医保 medical insurance bureau",
    "eligibility": "eligibility service (civil affairs)",
    "institutions": "institutions service (civil affairs)",
    "funding": "funding service (civil affairs)",
    "services_log": "services-log service (civil affairs)",
}

DESCRIPTION = """\
Events exchanged between the doudi (兜底) social-assistance care suite and the
departments' systems (CDPF, health, medical insurance) over RabbitMQ, AMQP 0-9-1.

* One topic exchange per source, `<source>.events` (durable); routing key = event type.
* Message properties: `content_type=application/json`, `delivery_mode=2`,
  `message_id` = envelope `id`, `user_id` = the publishing RabbitMQ user (the broker
  refuses a `user_id` other than the connection's, which proves the sender), `type` =
  event type.
* Body: a CloudEvents 1.0 structured JSON envelope; `source` is
  `<source>/<division_code>`, `time` carries an offset (Asia/Shanghai), `data` follows
  the event type's schema.
* Money is a string with 2 decimals (`"120.00"`), never a JSON number. Dates are
  `YYYY-MM-DD` (Asia/Shanghai calendar), months `YYYY-MM`. ID numbers, unified social
  credit codes and division codes are validated (check characters included).
* A message that breaks the contract is dead-lettered with one of the reasons
  `bad_envelope`, `unknown_type`, `bad_data`, `source_mismatch` (or
  `forbidden_publisher`, `invalid_json`) and can be replayed after a fix.
* Unknown `data` fields are refused; a new optional field is added to the catalogue
  before anyone sends it. A breaking change bumps the type's `x-doudi-version`.
"""


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _message_key(source: str, event_type: str) -> str:
    return f"{source}.{event_type}"


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def _security_schemes() -> dict[str, Any]:
    schemes = {}
    for user in sorted(DEPARTMENTS):
        schemes[user] = {"type": "userPassword",
                         "description": f"RabbitMQ user `{user}` of the department system "
                                        f"({TITLES[user]})"}
    for user in sorted(SERVICES):
        schemes[user] = {"type": "userPassword",
                         "description": f"RabbitMQ user `{user}` of the suite's {user} service"}
    return schemes


def _event_schemas(source: str, event_type: str, key: str) -> dict[str, Any]:
    return {
        f"{key}.data": schema_to_json_schema(data_schema(source, event_type)),
        f"{key}.envelope": {
            "allOf": [
                _ref("components", "schemas", "CloudEventEnvelope"),
                {"type": "object", "properties": {
                    "source": {"type": "string",
                               "pattern": f"^{source}/(?:[0-9]{{6}}|[0-9]{{9}}|[0-9]{{12}})$"},
                    "type": {"type": "string", "const": event_type},
                    "data": _ref("components", "schemas", f"{key}.data"),
                }},
            ],
        },
    }


def _message(source: str, event_type: str, cls: Any, key: str) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": f"{source} {event_type}",
        "summary": _summary(cls),
        "description": inspect.getdoc(cls) or "",
        "contentType": "application/json",
        "payload": _ref("components", "schemas", f"{key}.envelope"),
        "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING}},
        "examples": [{"name": "example", "payload": example_envelope(source, event_type)}],
        "x-doudi-version": cls.version,
    }


def _channel(source: str, channel: str, channel_messages: dict[str, Any]) -> dict[str, Any]:
    kind = "department" if source in DEPARTMENTS else "suite service"
    return {
        "address": channel,
        "title": f"{channel} — {TITLES[source]}",
        "description": f"Topic exchange of the {kind} `{source}`; routing key = event type "
                       f"(bind `#` for all, or e.g. `{next(iter(CATALOGUE[source]))}`).",
        "messages": channel_messages,
        "bindings": {"amqp": {
            "is": "routingKey",
            "exchange": {"name": channel, "type": "topic", "durable": True,
                         "autoDelete": False, "vhost": "/"},
            "bindingVersion": AMQP_BINDING,
        }},
    }


def _operations(source: str, channel: str) -> dict[str, Any]:
    message_refs = [_ref("channels", channel, "messages", t) for t in CATALOGUE[source]]
    user = publisher(source)
    allowed = readers(source)
    return {
        f"{source}.publish": {
            "action": "send",
            "channel": _ref("channels", channel),
            "title": f"{source} publishes",
            "summary": f"Only the RabbitMQ user `{user}` may publish on {channel}.",
            "description": f"Publish with `user_id={user}`, `delivery_mode=2`, "
                           f"`message_id` = envelope id, routing key and `type` = event type.",
            "security": [_ref("components", "securitySchemes", user)],
            "bindings": {"amqp": {"userId": user, "deliveryMode": 2,
                                  "bindingVersion": AMQP_BINDING}},
            "messages": message_refs,
            "x-doudi-publisher": user,
        },
        f"{source}.consume": {
            "action": "receive",
            "channel": _ref("channels", channel),
            "title": f"consume {channel}",
            "summary": f"Consumed through the reader's own durable queues by: "
                       f"{', '.join(allowed)}.",
            "description": "Consumers ack after their effect commits (at-least-once); "
                           "duplicates are recognised by the envelope id.",
            "security": [_ref("components", "securitySchemes", u) for u in allowed],
            "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING}},
            "messages": message_refs,
            "x-doudi-readers": allowed,
        },
    }


def build_document() -> dict[str, Any]:
    """The AsyncAPI document as plain data (deterministic order)."""
    schemas: dict[str, Any] = {"CloudEventEnvelope": envelope_json_schema()}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for source in CATALOGUE:  # catalogue order: departments first
        channel = f"{source}.events"
        channel_messages = {}
        for event_type, cls in CATALOGUE[source].items():
            key = _message_key(source, event_type)
            schemas.update(_event_schemas(source, event_type, key))
            messages[key] = _message(source, event_type, cls, key)
            channel_messages[event_type] = _ref("components", "messages", key)
        channels[channel] = _channel(source, channel, channel_messages)
        operations.update(_operations(source, channel))
    all_users = sorted(DEPARTMENTS) + sorted(SERVICES)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "doudi events", "version": DOCUMENT_VERSION,
                 "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "Development broker; each deployment documents its own host.",
                "security": [_ref("components", "securitySchemes", u) for u in all_users],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages,
                       "securitySchemes": _security_schemes()},
    }


class _Dumper(yaml.SafeDumper):
    """No YAML anchors/aliases: the document must read the same everywhere."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def render() -> str:
    header = ("# Generated by `python -m doudi_contracts.asyncapi` from libs/doudi-contracts;\n"
              "# do not edit by hand.\n")
    body = yaml.dump(build_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100, default_flow_style=False)
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m doudi_contracts.asyncapi",
                                     description="print the AsyncAPI 3.0 document (YAML)")
    parser.add_argument("--check", metavar="PATH",
                        help="compare with PATH instead of printing; exit 1 if it differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        with open(args.check, encoding="utf-8") as fh:
            if fh.read() != text:
                print(f"{args.check} is stale: regenerate with "
                      f"`python -m doudi_contracts.asyncapi > {args.check}`", file=sys.stderr)
                return 1
        return 0
    # bytes, so a C/POSIX locale cannot break the Chinese text
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
