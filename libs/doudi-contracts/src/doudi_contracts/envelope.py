"""The CloudEvents 1.0 structured-mode JSON envelope every event travels in.

::

    {"specversion": "1.0", "id": "<uuid>", "source": "cdpf/341500",
     "type": "certificate.issued", "time": "2026-03-01T09:30:00+08:00",
     "datacontenttype": "application/json", "data": {...}}

``source`` is ``<source>/<division_code>``: the publishing system (an exchange
name without ``.events``) and the division it acts for. ``time`` must carry an
offset. Besides the attributes above, the optional CloudEvents attributes
``subject`` and ``dataschema`` and extension attributes (lower-case a–z/0–9
names, at most 20 characters, scalar values) are accepted; any other top-level
key is refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

from doudi_common.errors import Invalid
from doudi_common.ids import validate_division_code
from marshmallow import INCLUDE, Schema, ValidationError, fields, validates_schema

from doudi_contracts.errors import ContractError
from doudi_contracts.fields import (
    SHANGHAI,
    Choice,
    Text,
    Timestamp,
    UuidString,
    _Strict,
    format_rfc3339,
)

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
# CloudEvents: attribute names are lower-case letters and digits, <= 20 chars.
EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}", re.ASCII)
SOURCE_NAME = re.compile(r"[a-z][a-z_]*", re.ASCII)
TYPE_NAME = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+", re.ASCII)


class Source(_Strict, fields.String):
    """``<source>/<division_code>`` with a 6/9/12-digit division code."""

    wire_schema: ClassVar[dict] = {"type": "string",
                                   "pattern": r"^[a-z][a-z_]*/(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$",
                   "description": "<source>/<division_code>, e.g. cdpf/341500"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("source 必须是字符串")
        name, sep, division = value.partition("/")
        if not sep or not SOURCE_NAME.fullmatch(name):
            raise ValidationError("source 应为 <来源>/<行政区划代码>，如 cdpf/341500")
        try:
            validate_division_code(division)
        except Invalid as exc:
            raise ValidationError(f"source 中的{exc.detail}") from None
        if division != division.strip():
            raise ValidationError("source 不能含空白")
        return value


class EventType(_Strict, fields.String):
    wire_schema: ClassVar[dict] = {"type": "string", "pattern": "^" + TYPE_NAME.pattern + "$"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not TYPE_NAME.fullmatch(value):
            raise ValidationError("type 应为小写的点分名称，如 certificate.issued")
        return value


class UriString(_Strict, fields.String):
    wire_schema: ClassVar[dict] = {"type": "string", "format": "uri", "minLength": 1}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", value):
            raise ValidationError("必须是绝对 URI")
        return value


class DataObject(_Strict, fields.Dict):
    wire_schema: ClassVar[dict] = {"type": "object"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("data 必须是 JSON 对象")
        return value


class EnvelopeSchema(Schema):
    """Loads an envelope: ``time`` becomes an aware ``datetime``; ``data`` stays
    raw here (the registry loads it with the type's schema)."""

    class Meta:
        unknown = INCLUDE

    error_messages: ClassVar[dict] = {"unknown": "未知的顶层字段", "type": "消息体必须是 JSON 对象"}

    specversion = Choice([SPECVERSION], required=True)
    id = UuidString(required=True)
    source = Source(required=True)
    type = EventType(required=True)
    time = Timestamp(required=True)
    datacontenttype = Choice([CONTENT_TYPE], required=True)
    data = DataObject(required=True)
    subject = Text(max_length=200)
    dataschema = UriString()

    # run even when attributes failed, so every problem is reported at once
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _extensions(self, _data, original, **kwargs):
        if not isinstance(original, dict):
            return
        errors: dict[str, list[str]] = {}
        for key, value in original.items():
            if key in self.fields:
                continue
            if not isinstance(key, str) or not EXTENSION_NAME.fullmatch(key):
                errors[str(key)[:40]] = [
                    "未知的顶层字段（扩展属性名只能是小写字母和数字，最多20个字符）"]
            elif isinstance(value, (dict, list)) or value is None or isinstance(value, float):
                errors[key] = ["扩展属性的值必须是字符串、整数或布尔值"]
        if errors:
            raise ValidationError(errors)


#: attribute names that are part of the envelope itself (not extensions)
ENVELOPE_ATTRIBUTES = tuple(EnvelopeSchema._declared_fields)


def envelope_json_schema() -> dict[str, Any]:
    """JSON Schema (draft-07) of the envelope with ``data`` as any object."""
    from doudi_contracts.jsonschema_export import schema_to_json_schema

    schema = schema_to_json_schema(EnvelopeSchema())
    names = "|".join(ENVELOPE_ATTRIBUTES)
    schema["patternProperties"] = {
        f"^(?!(?:{names})$)[a-z0-9]{{1,20}}$": {"type": ["string", "integer", "boolean"]},
    }
    schema["additionalProperties"] = False
    schema["description"] = ("CloudEvents 1.0 structured JSON envelope; extension attributes "
                             "(lower-case a-z0-9 names) allowed, nothing else")
    return schema


@cache
def _envelope_schema() -> EnvelopeSchema:
    """One shared instance: building a marshmallow schema copies all its fields."""
    return EnvelopeSchema()


def load_envelope(envelope: Any) -> dict[str, Any]:
    """Validate the envelope (not its data); raise ``ContractError('bad_envelope')``."""
    from doudi_contracts.errors import describe

    if not isinstance(envelope, dict):
        raise ContractError("bad_envelope", "消息体必须是 JSON 对象")
    from doudi_contracts import compiled

    try:
        return compiled.load(_envelope_schema(), envelope)
    except ValidationError as exc:
        raise ContractError("bad_envelope", f"信封不合法: {describe(exc.messages)}",
                            exc.messages) from None


def wrap(source: str, division_code: str, event_type: str, data: dict[str, Any],
         event_id: str | None = None, time: datetime | None = None) -> dict[str, Any]:
    """A JSON-ready envelope around ``data`` that is already in wire form (the
    registry's ``build_envelope`` dumps and checks it first).

    ``event_id`` defaults to a new UUID4; ``time`` to now; a naive ``time``
    raises ``ValueError``. ``time`` is written in the Asia/Shanghai offset.
    """
    if not SOURCE_NAME.fullmatch(source or ""):
        raise ValueError(f"bad source name {source!r}")
    division = validate_division_code(division_code)
    when = datetime.now(SHANGHAI) if time is None else time
    return {
        "specversion": SPECVERSION,
        "id": str(uuid.UUID(str(event_id))) if event_id is not None else str(uuid.uuid4()),
        "source": f"{source}/{division}",
        "type": event_type,
        "time": format_rfc3339(when),
        "datacontenttype": CONTENT_TYPE,
        "data": data,
    }
