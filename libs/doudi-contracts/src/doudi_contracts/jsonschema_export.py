"""marshmallow -> JSON Schema (draft-07, as AsyncAPI's schema format expects).

Small on purpose: it knows the fields this package uses and refuses others,
so a new field type cannot slip into the AsyncAPI document half-described.
Cross-field rules (certificate number vs. ID number, totals that must add up)
are not expressible here; the schema's docstring states them.
"""

from __future__ import annotations

import inspect
from typing import Any

from marshmallow import RAISE, Schema, fields


def field_to_json_schema(field: fields.Field) -> dict[str, Any]:
    if hasattr(field, "json_schema"):
        schema = field.json_schema()
        if isinstance(field, fields.List):
            schema["items"] = field_to_json_schema(field.inner)
    elif isinstance(field, fields.Nested):
        schema = schema_to_json_schema(field.schema)
    elif isinstance(field, fields.String):
        schema = {"type": "string"}
    elif isinstance(field, fields.Boolean):
        schema = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        schema = {"type": "integer"}
    elif isinstance(field, fields.Dict):
        schema = {"type": "object"}
    else:
        raise TypeError(f"no JSON Schema for field type {type(field).__name__}")
    description = field.metadata.get("description")
    if description:
        schema["description"] = description
    if field.allow_none:
        schema = _nullable(schema)
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def schema_to_json_schema(schema: Schema) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        properties[key] = field_to_json_schema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object"}
    doc = inspect.getdoc(type(schema))
    if doc and type(schema).__doc__:
        out["description"] = doc
    out["properties"] = properties
    if required:
        out["required"] = required
    if schema.unknown == RAISE:
        out["additionalProperties"] = False
    return out
