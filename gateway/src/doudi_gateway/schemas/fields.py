"""Fields and base schemas every resource uses: ID numbers, division codes,
credit codes, months, money and texts validated at the edge; paging; the
idempotency and If-Match header documentation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import validate_division_code, validate_id_number, validate_uscc
from doudi_common.paging import MAX_PAGE, MAX_PER_PAGE
from marshmallow import Schema, ValidationError, fields, validate

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


#: YYYY-MM, years 1900–2199 (doudi_common.dates.MONTH_YEARS)
MONTH_PATTERN = r"^(19|2[01])\d{2}-(0[1-9]|1[0-2])$"

# -- named formats: what the document says of the identifiers the edge checks --------
#: GB 11643 resident ID number: 6-digit address code, birth date, sequence, check
#: character (ISO 7064 MOD 11-2); the address code must be one GB/T 2260 knows
ID_NUMBER_FORMAT = "gb11643-id-number"
ID_NUMBER_PATTERN = (r"^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
                     r"\d{3}[0-9X]$")
#: GB 32100 unified social credit code, with its check character
USCC_FORMAT = "gb32100-uscc"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_PROVINCE = r"(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"
#: a GB/T 2260 division code by the lengths a field takes: county (6), township
#: (9), village (12); the first two digits a province
DIVISION_FORMATS = {(6, 9, 12): "division-code", (6,): "county-code", (12,): "village-code",
                    (6, 9): "county-or-township-code", (9, 12): "township-or-village-code"}


def division_pattern(lengths: tuple[int, ...]) -> str:
    tails = {6: r"\d{4}", 9: r"\d{7}", 12: r"\d{10}"}
    return "^" + _PROVINCE + "(" + "|".join(tails[n] for n in lengths) + ")$"


class IdNumberField(fields.String):
    """A resident ID number — or a person's sealed reference from a list
    (``person_ref``, ``p.…``), opened here so the rest of the gateway only ever
    sees ID numbers (``doudi_gateway.person_refs``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text.startswith("p."):
            from flask import current_app

            opened = current_app.extensions["doudi_person_refs"].open(text)
            if opened is None:
                raise ValidationError("人员链接无效（不是本系统给出的 person_ref）")
            return opened
        return text


#: what an ID number field accepts: a GB 11643 number or a person_ref
ID_OR_REF_PATTERN = f"^({ID_NUMBER_PATTERN[1:-1]}|p\\.[A-Za-z0-9_-]+)$"


def IdNumber(**kw) -> fields.String:
    meta = {"format": ID_NUMBER_FORMAT, "pattern": ID_OR_REF_PATTERN, "minLength": 18,
            "maxLength": 120, **kw.pop("metadata", {})}
    return IdNumberField(validate=[lambda v: _check(validate_id_number, v)], metadata=meta, **kw)


def Division(lengths: tuple[int, ...] = (6, 9, 12), **kw) -> fields.String:
    meta = {"format": DIVISION_FORMATS[lengths], "pattern": division_pattern(lengths),
            **kw.pop("metadata", {})}
    return fields.String(validate=[validate.Length(min=min(lengths), max=max(lengths)),
                                   lambda v: _check(lambda c: validate_division_code(c, lengths),
                                                    v)],
                         metadata=meta, **kw)


def Uscc(**kw) -> fields.String:
    meta = {"format": USCC_FORMAT, "pattern": USCC_PATTERN, **kw.pop("metadata", {})}
    return fields.String(validate=[validate.Length(equal=18), lambda v: _check(validate_uscc, v)],
                         metadata=meta, **kw)


def Month(**kw) -> fields.String:
    return fields.String(validate=validate.Regexp(MONTH_PATTERN, error="月份格式应为 YYYY-MM"),
                         **kw)


def Money(**kw) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^\d{1,10}(\.\d{1,2})?$",
                                                  error="金额格式应为 120.00"), **kw)


#: free text: anything but NUL and the other C0 control characters (tab, line
#: feed and carriage return excepted) — PostgreSQL stores no NUL, and none of
#: them belongs in a name or a note
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$"


#: the calendar the suite speaks of (doudi_common.dates.MONTH_YEARS): a date or
#: moment in a request outside it is refused at the edge
DATE_PATTERN = r"^(19|2[01])\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def CalendarDate(**kw) -> fields.Date:
    """A request date ``YYYY-MM-DD``, years 1900–2199."""
    meta = {"pattern": DATE_PATTERN, **kw.pop("metadata", {})}
    return fields.Date(validate=validate.Range(min=_FIRST_DAY, max=_LAST_DAY,
                                               error="日期应在 1900-01-01 至 2199-12-31 之间"),
                       metadata=meta, **kw)


def CalendarMoment(**kw) -> fields.AwareDateTime:
    """A request moment, ISO 8601 with its offset, years 1900–2199."""
    meta = {"pattern": r"^(19|2[01])\d{2}-", **kw.pop("metadata", {})}
    return fields.AwareDateTime(validate=validate.Range(
        min=datetime(1900, 1, 1, tzinfo=UTC),
        max=datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC),
        error="时间应在 1900 至 2199 年之间"), metadata=meta, **kw)


def Text(max_len: int = 500, min_len: int = 1, **kw) -> fields.String:
    meta = {"pattern": TEXT_PATTERN, **kw.pop("metadata", {})}
    return fields.String(validate=[validate.Length(min=min_len, max=max_len),
                                   validate.Regexp(TEXT_PATTERN,
                                                   error="不能含有控制字符")],
                         metadata=meta, **kw)


class Reply(Schema):
    """A reply: strict in the OpenAPI document (``additionalProperties: false``,
    every field typed and described). The service's JSON-ready answer passes
    through unchanged — no second serialisation — and ``CHECK_REPLIES`` (on in
    the tests) validates every 2xx reply against this schema
    (``doudi_gateway.replycheck``)."""

    def dump(self, obj: Any, *, many: bool | None = None):
        return obj


def page_of(item: type[Schema], name: str, description: str) -> type[Reply]:
    """The reply of a paged list of ``item`` (``{items, page, per_page, total}``)."""
    return type(name, (Reply,), {
        "items": fields.List(fields.Nested(item), required=True,
                             metadata={"description": description}),
        "page": fields.Integer(required=True, metadata={"description": "页码，从 1 开始"}),
        "per_page": fields.Integer(required=True, metadata={"description": "每页条数"}),
        "total": fields.Integer(required=True, metadata={"description": "符合条件的总条数"}),
    })


# -- reply fields: present in every reply unless ``optional``; ``null`` admits null ----

MONEY_PATTERN = r"^-?\d+\.\d{2}$"


def _reply_kw(description: str | None, null: bool, optional: bool, example: Any,
              **meta: Any) -> dict:
    metadata = {k: v for k, v in (("description", description), ("example", example)) if v}
    metadata.update(meta)
    return {"required": not optional, "allow_none": null, "metadata": metadata}


def Str(description: str | None = None, *, null: bool = False, optional: bool = False,
        example: Any = None, **kw: Any) -> fields.String:
    return fields.String(**_reply_kw(description, null, optional, example), **kw)


def Int(description: str | None = None, *, null: bool = False, optional: bool = False,
        example: Any = None, **kw: Any) -> fields.Integer:
    return fields.Integer(**_reply_kw(description, null, optional, example), **kw)


def Bool(description: str | None = None, *, null: bool = False,
         optional: bool = False) -> fields.Boolean:
    return fields.Boolean(**_reply_kw(description, null, optional, None))


def Day(description: str | None = None, *, null: bool = False, optional: bool = False,
        **kw: Any) -> fields.Date:
    """A calendar date ``YYYY-MM-DD`` (Asia/Shanghai)."""
    return fields.Date(**_reply_kw(description, null, optional, None), **kw)


def Instant(description: str | None = None, *, null: bool = False,
            optional: bool = False) -> fields.DateTime:
    """A moment in time, ISO 8601 with its offset."""
    return fields.DateTime(**_reply_kw(description, null, optional, None))


def Yuan(description: str | None = None, *, null: bool = False,
         optional: bool = False) -> fields.String:
    """Money in yuan as a string with two decimals (``"1200.00"``; negative in
    ledger entries that credit an account)."""
    return fields.String(validate=validate.Regexp(MONEY_PATTERN),
                         **_reply_kw(description, null, optional, "1200.00",
                                     format="decimal"))


def YearMonth(description: str | None = None, *, null: bool = False,
              optional: bool = False) -> fields.String:
    return fields.String(validate=validate.Regexp(MONTH_PATTERN),
                         **_reply_kw(description, null, optional, "2026-03"))


def PersonRef() -> fields.String:
    """The sealed reference of the person a record is about (``p.…``): usable in
    place of the ID number in every ``/persons/{id_number}``-style path, it
    carries no number (``doudi_gateway.person_refs``)."""
    return fields.String(required=False, validate=validate.Regexp(r"^p\.[A-Za-z0-9_-]+$"),
                         metadata={"description": "人员链接参数（p.…）：可代替身份证号用于 "
                                                  "/persons/{id_number} 等路径，不含号码本身",
                                   "example": "p.x1Yt0b…"})


class SubjectReply(Schema):
    """The person a record is about, as every list shows them: masked, with the
    sealed reference that opens their page."""

    id_number = fields.String(required=True, metadata={"description": "身份证号码（脱敏）"})
    id_number_masked = fields.String(required=True)
    person_ref = PersonRef()
    name = fields.String(required=True, metadata={"description": "姓名"})
    division_code = fields.String(required=True)


def Code(vocabulary: str, description: str | None = None, *, null: bool = False,
         optional: bool = False) -> fields.String:
    """A code from one of the vocabularies (``/api/v1/vocabularies/{name}`` labels
    it); the document lists the codes and names the vocabulary
    (``x-vocabulary``)."""
    from doudi_contracts.vocabularies import vocabulary as _vocabulary

    vocab = _vocabulary(vocabulary)
    return fields.String(validate=validate.OneOf(vocab.codes),
                         **_reply_kw(description, null, optional, vocab.codes[0],
                                     **{"x-vocabulary": vocabulary}))


def CodeArg(vocabulary: str, description: str) -> fields.String:
    """An optional filter that takes a code of a vocabulary."""
    from doudi_contracts.vocabularies import codes as _codes

    return fields.String(validate=validate.OneOf(_codes(vocabulary)), metadata={
        "description": description, "x-vocabulary": vocabulary})


def Obj(schema: type[Schema] | Schema, description: str | None = None, *,
        null: bool = False, optional: bool = False, **kw: Any) -> fields.Nested:
    return fields.Nested(schema, **_reply_kw(description, null, optional, None), **kw)


def ListOf(item: fields.Field | type[Schema], description: str | None = None, *,
           null: bool = False, optional: bool = False) -> fields.List:
    inner = fields.Nested(item) if isinstance(item, type) else item
    return fields.List(inner, **_reply_kw(description, null, optional, None))


def MapOf(values: fields.Field, description: str | None = None, *, null: bool = False,
          optional: bool = False) -> fields.Dict:
    """An object whose keys are data (a code, a month) and whose values are typed."""
    return fields.Dict(keys=fields.String(), values=values,
                       **_reply_kw(description, null, optional, None))


def ExportFormat(with_json: bool = True) -> fields.String:
    """``format``: the JSON reply, or the same report as a spreadsheet."""
    choices = ["json", "csv", "xlsx"] if with_json else ["csv", "xlsx"]
    return fields.String(load_default=choices[0], validate=validate.OneOf(choices), metadata={
        "description": "json（默认）；csv（UTF-8 带 BOM，中文表头）；xlsx（Excel，带标题行）"
        if with_json else "csv（UTF-8 带 BOM，中文表头）或 xlsx（Excel，带标题行）",
        "x-vocabulary": "export_formats"})


class PageArgs(Schema):
    """``page`` and ``per_page`` as every list takes them; the limits are the
    suite's one paging contract (``doudi_common.paging``)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "页码，从 1 开始"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"每页条数，1–{MAX_PER_PAGE}"})

