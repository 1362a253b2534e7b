"""Fields and base schemas every resource uses: ID numbers, division codes,
credit codes, months, money and texts validated at the edge; paging; the
idempotency and If-Match header documentation."""

from __future__ import annotations

from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import validate_division_code, validate_id_number, validate_uscc
from doudi_common.paging import MAX_PAGE, MAX_PER_PAGE
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "maxLength": 128},
    "description": "重复提交同一请求时返回第一次的结果 (Idempotent-Replayed: true)"}]}
IF_MATCH_DOC = {"parameters": [{
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "读取时得到的 ETag；资源已变则 412"}]}


def _check(fn, value):
    try:
        fn(value)
    except Invalid as exc:
        raise ValidationError(f"{exc.detail} ({exc.fields.get('reason', 'invalid')})") from None


def IdNumber(**kw) -> fields.String:
    return fields.String(validate=[validate.Length(equal=18),
                                   lambda v: _check(validate_id_number, v)], **kw)


def Division(lengths: tuple[int, ...] = (6, 9, 12), **kw) -> fields.String:
    return fields.String(validate=[validate.Length(min=6, max=12),
                                   lambda v: _check(lambda c: validate_division_code(c, lengths),
                                                    v)],
                         **kw)


def Uscc(**kw) -> fields.String:
    return fields.String(validate=[validate.Length(equal=18), lambda v: _check(validate_uscc, v)],
                         **kw)


def Month(**kw) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                  error="月份格式应为 YYYY-MM"), **kw)


def Money(**kw) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^\d{1,10}(\.\d{1,2})?$",
                                                  error="金额格式应为 120.00"), **kw)


def Text(max_len: int = 500, **kw) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


class Loose(Schema):
    """A reply schema that documents the main fields but passes the service's
    JSON-ready answer through unchanged (additional properties allowed)."""

    class Meta:
        unknown = INCLUDE

    def dump(self, obj: Any, *, many: bool | None = None):
        return obj


class LoosePage(Loose):
    items = fields.List(fields.Dict(), required=True)
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(required=True)


class PageArgs(Schema):
    """``page`` and ``per_page`` as every list takes them; the limits are the
    suite's one paging contract (``doudi_common.paging``)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "页码，从 1 开始"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"每页条数，1–{MAX_PER_PAGE}"})
