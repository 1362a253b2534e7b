"""marshmallow fields for event data, strict about JSON types.

Every field here *loads* only its one wire form (a money amount only from a
string like ``"120.00"``, an integer only from a JSON integer, a date only from
``YYYY-MM-DD``), because a department system that sends ``120.5`` or ``"2"``
has a bug we want to see, not paper over. *Dumping* is lenient about Python
input (a date field dumps a ``date`` or an ISO string) so that service code and
the examples can hand over either form.

Error messages are Chinese (department liaisons read them in dead-letter
reports) and never contain a full ID number. Each field knows its JSON Schema
(``json_schema()``), which the AsyncAPI export uses.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

from doudi_common.errors import Invalid
from doudi_common.ids import (
    mask_id_number,
    mask_in_text,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from doudi_common.money import ZERO, money_str
from marshmallow import ValidationError, fields

# China has kept UTC+8 without daylight saving since 1991; a fixed offset needs
# no tz database in slim containers.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

MESSAGES = {
    "required": "缺少必填字段",
    "null": "不能为 null",
    "invalid": "类型或格式错误",
}

CERTIFICATE_CATEGORIES = {
    "vision": "1", "hearing": "2", "speech": "3", "physical": "4",
    "intellectual": "5", "mental": "6", "multiple": "7",
}


class _Strict:
    """Mixin: Chinese messages and a JSON Schema of its own."""

    default_error_messages = MESSAGES
    # JSON Schema of the wire form; fields with parameters override json_schema().
    wire_schema: ClassVar[dict[str, Any]] = {}

    def json_schema(self) -> dict[str, Any]:
        return dict(self.wire_schema)


def _fail(message: str) -> ValidationError:
    return ValidationError(message)


def _require_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{what}必须是字符串")
    return value


# ---------------------------------------------------------------------------
# plain JSON types


class Text(_Strict, fields.String):
    """A non-blank string of at most ``max_length`` characters."""

    def __init__(self, max_length: int = 200, **kwargs: Any):
        self.max_length = max_length
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = _require_str(value, "文本")
        if not text.strip():
            raise _fail("不能为空")
        if len(text) > self.max_length:
            raise _fail(f"长度不能超过{self.max_length}个字符")
        return text

    def json_schema(self):
        return {"type": "string", "minLength": 1, "maxLength": self.max_length,
                "pattern": r"\S"}


class Choice(_Strict, fields.String):
    """One of a fixed set of codes."""

    def __init__(self, choices, **kwargs: Any):
        self.choices = tuple(choices)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.choices:
            shown = mask_in_text(value[:40]) if isinstance(value, str) else type(value).__name__
            raise _fail(f"取值 {shown!r} 不在允许范围内：{', '.join(self.choices)}")
        return value

    def json_schema(self):
        return {"type": "string", "enum": list(self.choices)}


class Int(_Strict, fields.Integer):
    """A JSON integer (not a string, not a bool, not 2.0) within bounds."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None, **kwargs: Any):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail("必须是整数")
        if self.minimum is not None and value < self.minimum:
            raise _fail(f"不能小于{self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise _fail(f"不能大于{self.maximum}")
        return value

    def json_schema(self):
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class Bool(_Strict, fields.Boolean):
    """A JSON boolean only (marshmallow would also take "yes", 1, "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise _fail("必须是 true 或 false")
        return value

    def json_schema(self):
        return {"type": "boolean"}


class UuidString(_Strict, fields.String):
    """A UUID in its canonical lower-case hyphenated text form; loads to ``str``."""

    pattern = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                         r"[0-9a-fA-F]{12}", re.ASCII)

    def _deserialize(self, value, attr, data, **kwargs):
        text = _require_str(value, "UUID")
        if not self.pattern.fullmatch(text):
            raise _fail("不是合法的 UUID")
        return str(uuid.UUID(text))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(uuid.UUID(str(value)))

    def json_schema(self):
        return {"type": "string", "format": "uuid", "pattern": "^" + self.pattern.pattern + "$"}


# ---------------------------------------------------------------------------
# identifiers


class IdNumber(_Strict, fields.String):
    """Resident ID number, 18 characters, checksum/birth date/region validated."""

    wire_schema: ClassVar[dict] = {"type": "string", "pattern": "^[0-9]{17}[0-9X]$",
              "description": "居民身份证号码 (GB 11643, ISO 7064 MOD 11-2 check character)"}

    def _deserialize(self, value, attr, data, **kwargs):
        _require_str(value, "身份证号码")
        try:
            return validate_id_number(value)
        except Invalid as exc:
            raise _fail(exc.detail) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value).strip().upper()


class Uscc(_Strict, fields.String):
    """Unified social credit code of an organisation."""

    wire_schema: ClassVar[dict] = {"type": "string", "pattern": "^[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}$",
              "description": "统一社会信用代码 (GB 32100, check character validated)"}

    def _deserialize(self, value, attr, data, **kwargs):
        _require_str(value, "统一社会信用代码")
        try:
            return validate_uscc(value)
        except Invalid as exc:
            raise _fail(exc.detail) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value).strip().upper()


class DivisionCode(_Strict, fields.String):
    """Administrative division code of one of the allowed lengths (6/9/12)."""

    def __init__(self, lengths: tuple[int, ...] = (6, 9, 12), **kwargs: Any):
        self.lengths = tuple(lengths)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        _require_str(value, "行政区划代码")
        if value != value.strip():
            raise _fail("行政区划代码不能含空白")
        try:
            return validate_division_code(value, self.lengths)
        except Invalid as exc:
            raise _fail(exc.detail) from None

    def json_schema(self):
        alternatives = "|".join(f"[0-9]{{{n}}}" for n in self.lengths)
        return {"type": "string", "pattern": f"^(?:{alternatives})$",
                "description": "行政区划代码: 6 digits county (xxxx00 city, xx0000 province, "
                               "100000 national), 9 township, 12 village"}


class CertificateNo(_Strict, fields.String):
    """Second-generation disability certificate number: the holder's 18-char ID
    number + category digit (1–7) + grade digit (1–4). Consistency with the
    event's ``id_number``/``category``/``grade`` is checked by the schema."""

    wire_schema: ClassVar[dict] = {"type": "string", "pattern": "^[0-9]{17}[0-9X][1-7][1-4]$",
              "description": "残疾人证号: ID number + category digit (1 vision, 2 hearing, "
                             "3 speech, 4 physical, 5 intellectual, 6 mental, 7 multiple) "
                             "+ grade digit (1-4)"}
    pattern = re.compile(r"[0-9]{17}[0-9X][1-7][1-4]", re.ASCII)

    def _deserialize(self, value, attr, data, **kwargs):
        text = _require_str(value, "残疾人证号").strip().upper()
        masked = mask_id_number(text[:18]) + text[18:20] if len(text) >= 18 else \
            mask_id_number(text)
        if len(text) != 20:
            raise _fail(f"残疾人证号应为20位（{masked}）")
        if not self.pattern.fullmatch(text):
            raise _fail(f"残疾人证号格式错误：身份证号码+类别(1-7)+等级(1-4)（{masked}）")
        try:
            validate_id_number(text[:18])
        except Invalid as exc:
            raise _fail(f"残疾人证号中的{exc.detail}") from None
        return text


# ---------------------------------------------------------------------------
# money, dates, months


class MoneyString(_Strict, fields.Field):
    """An amount in yuan as a string with exactly 2 decimals (``"120.00"``).

    Loads to ``Decimal``; JSON numbers are refused (a float cannot hold 0.10).
    Dumps ``Decimal``/``int``/``str`` through :func:`doudi_common.money.money_str`
    (``float`` raises ``TypeError``).
    """

    def __init__(self, allow_negative: bool = False, **kwargs: Any):
        self.allow_negative = allow_negative
        sign = "-?" if allow_negative else ""
        self.pattern = re.compile(sign + r"(0|[1-9][0-9]{0,12})\.[0-9]{2}", re.ASCII)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if not isinstance(value, str):
            raise _fail('金额必须是字符串，如 "120.00"，不能是数字')
        if not self.pattern.fullmatch(value):
            what = "" if self.allow_negative else "非负"
            raise _fail(f'金额格式错误：应为{what}两位小数的字符串，如 "120.00"')
        # the pattern leaves exactly two places: to_money's quantize would
        # change nothing but the sign of "-0.00"
        amount = Decimal(value)
        return amount if amount else ZERO

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if type(value) is str and value[:1] != "-" and self.pattern.fullmatch(value):
            return value   # already the canonical form money_str would give
        return money_str(value)

    def json_schema(self):
        return {"type": "string", "pattern": "^" + self.pattern.pattern + "$",
                "description": "金额, yuan with 2 decimals as a string (never a JSON number)",
                "examples": ["120.00"]}


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _parse_date(value: Any) -> date:
    text = _require_str(value, "日期")
    if not _DATE.fullmatch(text):
        raise _fail("日期格式应为 YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail("日期不存在") from None


class IsoDate(_Strict, fields.Date):
    """A calendar date ``YYYY-MM-DD`` (Asia/Shanghai calendar)."""

    wire_schema: ClassVar[dict] = {"type": "string", "format": "date"}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        return _parse_date(value)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, datetime):
            raise TypeError("a datetime given where a date is expected")
        if isinstance(value, str):
            return _parse_date(value).isoformat()
        return value.isoformat()


_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)


class Month(_Strict, fields.String):
    """A calendar month ``YYYY-MM``; loads to the same string."""

    wire_schema: ClassVar[dict] = {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
              "description": "month, YYYY-MM"}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = _require_str(value, "月份")
        if not _MONTH.fullmatch(text) or text < "1900":
            raise _fail("月份格式应为 YYYY-MM")
        return text

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, date):
            return f"{value.year:04d}-{value.month:02d}"
        return self._deserialize(value, attr, obj)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})", re.ASCII)


def parse_rfc3339(value: Any) -> datetime:
    """Parse an RFC 3339 timestamp; the offset (or ``Z``) is mandatory."""
    text = _require_str(value, "时间")
    if not _RFC3339.fullmatch(text):
        raise _fail("时间应为带时区的 RFC 3339 格式，如 2026-03-01T09:30:00+08:00")
    # fromisoformat keeps at most microseconds; trim longer fractions first.
    main, _, rest = text.partition(".")
    if rest:
        digits = re.match(r"[0-9]+", rest).group(0)
        text = f"{main}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _fail("时间不存在") from None


def format_rfc3339(value: datetime) -> str:
    """Aware datetime -> RFC 3339 in Asia/Shanghai (``2026-03-01T09:30:00+08:00``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: times must be timezone-aware")
    return value.astimezone(SHANGHAI).isoformat()


class Timestamp(_Strict, fields.Field):
    """A timezone-aware instant, RFC 3339; dumped in Asia/Shanghai offset."""

    wire_schema: ClassVar[dict] = {"type": "string", "format": "date-time",
              "pattern": "^" + _RFC3339.pattern + "$"}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        return parse_rfc3339(value)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):
            value = parse_rfc3339(value)
        return format_rfc3339(value)


class ListOf(_Strict, fields.List):
    """A JSON array of ``inner`` items, optionally non-empty and without repeats."""

    def __init__(self, inner: fields.Field, min_items: int = 0, unique: bool = True,
                 **kwargs: Any):
        self.min_items, self.unique = min_items, unique
        super().__init__(inner, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise _fail("必须是 JSON 数组")
        if len(value) < self.min_items:
            raise _fail(f"至少需要{self.min_items}项")
        result = super()._deserialize(value, attr, data, **kwargs)
        if self.unique and len({repr(v) for v in result}) != len(result):
            raise _fail("不能有重复项")
        return result

    def json_schema(self):
        schema: dict[str, Any] = {"type": "array"}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.unique:
            schema["uniqueItems"] = True
        return schema  # "items" is filled in by the exporter from self.inner
