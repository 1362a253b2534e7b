"""Identifiers validated at the edge: resident ID numbers, unified social credit
codes, administrative division codes, phone numbers — and their masks.

Pure functions, no I/O. Validation failures raise :class:`doudi_common.errors.Invalid`
with a Chinese ``detail`` for staff and a stable ``fields["reason"]`` code for
programs. A full ID number never appears in an error or a log line: only
:func:`mask_id_number`'s form (``3415**********1234``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from stdnum.cn import ric, uscc

from doudi_common.errors import Invalid

__all__ = [
    "NATIONAL",
    "age_on",
    "birth_date_from_id",
    "division_level",
    "division_prefix",
    "division_within",
    "mask_id_number",
    "mask_in_text",
    "mask_phone",
    "mask_processor",
    "sex_from_id",
    "validate_division_code",
    "validate_id_number",
    "validate_uscc",
]

_ID_BODY = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
# Province-level prefixes of GB/T 2260 (mainland, Taiwan, Hong Kong, Macao).
_PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"]
)
# Not in GB/T 2260 itself, but the customary code for the whole country
# (used for national-level users and events with no narrower division).
NATIONAL = "100000"
# Birth years before this are data-entry errors, not people in care.
_MIN_BIRTH_YEAR = 1900


def _invalid(detail: str, reason: str, **fields: Any) -> Invalid:
    return Invalid(detail, reason=reason, **fields)


# --------------------------------------------------------------------------
# resident identity number (居民身份证号码, GB 11643)


def validate_id_number(value: str) -> str:
    """Return the normalised 18-character ID number or raise ``Invalid``.

    Normalises surrounding whitespace and a lower-case check character ``x``.
    Checks, in order: length (``bad_length``), 17 digits + digit/X
    (``bad_format``), ISO 7064 MOD 11-2 check character (``bad_checksum``),
    birth date (``bad_birth_date``) and the 6-digit address code
    (``bad_region``).

    The address code is checked against stdnum's GB/T 2260 table, but — unlike
    ``stdnum.cn.ric.validate`` — not against the birth year: the code is where
    the number was *issued*, and many elderly rural people first got their card
    after their county was renamed (a 1940-born person registered in 金安区
    in 2005 has ``341502 1940...``), so the birth-year rule would reject exactly
    the people this suite serves.
    """
    if not isinstance(value, str):
        raise _invalid("身份证号码必须是字符串", "bad_format")
    return _validated_id_number(value)


@lru_cache(maxsize=65536)
def _validated_id_number(value: str) -> str:
    """``validate_id_number`` of a string; valid answers are remembered (the
    checks are pure), an invalid one raises afresh every time."""
    number = value.strip().upper()
    masked = mask_id_number(number)
    if len(number) != 18:
        raise _invalid(f"身份证号码应为18位（{masked}）", "bad_length", id_number=masked)
    if not _ID_BODY.fullmatch(number):
        raise _invalid(f"身份证号码格式错误：前17位应为数字，末位为数字或X（{masked}）",
                       "bad_format", id_number=masked)
    if number[-1] != ric.calc_check_digit(number):
        raise _invalid(f"身份证号码校验位错误（{masked}）", "bad_checksum", id_number=masked)
    try:
        born = ric.get_birth_date(number)
    except ric.ValidationError:  # InvalidComponent: an impossible date
        born = None
    if born is None or born.year < _MIN_BIRTH_YEAR:
        raise _invalid(f"身份证号码中的出生日期无效（{masked}）", "bad_birth_date",
                       id_number=masked)
    if not _region_known(number[:6]):
        raise _invalid(f"身份证号码中的地址码不存在（{masked}）", "bad_region", id_number=masked)
    return number


@lru_cache(maxsize=4096)
def _region_known(code6: str) -> bool:
    """True if the 6-digit address code names a county-level unit at any time."""
    from stdnum import numdb  # loaded lazily: the table is parsed on first use

    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code6):
        info.update(props)
    return "county" in info


def preload_regions() -> None:
    """Read the address-code table now. A threaded server calls this at start:
    otherwise the first requests of every worker each parse it concurrently
    (``lru_cache`` does not hold back concurrent misses)."""
    _region_known("110101")


def mask_id_number(value: Any) -> str:
    """Mask an ID number for logs and list views: ``3415**********1234``.

    Never raises. Keeps the length; shows at most the first 4 and last 4
    characters, and fewer for short input (a quarter of it on each side), so a
    malformed or truncated value never reveals more than 8 characters nor most
    of itself.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    n = len(text)
    keep = min(4, n // 4)
    if keep == 0:
        return "*" * n
    return text[:keep] + "*" * (n - 2 * keep) + text[-keep:]


def birth_date_from_id(id_number: str) -> date:
    """Birth date encoded in a (validated) ID number."""
    number = validate_id_number(id_number)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_from_id(id_number: str) -> Literal["male", "female"]:
    """Sex encoded in the 17th digit: odd is male, even is female."""
    number = validate_id_number(id_number)
    return "male" if int(number[16]) % 2 else "female"


def age_on(id_number: str, on: date) -> int:
    """Age in completed years on date ``on``.

    A person born on 29 February turns a year older on 1 March in common years
    (the birthday has not yet come on 28 February). Raises ``Invalid`` with
    reason ``before_birth`` if ``on`` precedes the birth date.
    """
    born = birth_date_from_id(id_number)
    if on < born:
        raise _invalid("计算年龄的日期早于出生日期", "before_birth",
                       id_number=mask_id_number(id_number))
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --------------------------------------------------------------------------
# unified social credit code (统一社会信用代码, GB 32100)


def validate_uscc(value: str) -> str:
    """Return the normalised 18-character USCC or raise ``Invalid``.

    Reasons: ``bad_length``, ``bad_format``, ``bad_checksum``. An organisation's
    code is public, so the error shows it in full.
    """
    if not isinstance(value, str):
        raise _invalid("统一社会信用代码必须是字符串", "bad_format")
    code = value.strip().upper()
    if len(code) != 18:
        raise _invalid(f"统一社会信用代码应为18位（{code}）", "bad_length", uscc=code)
    try:
        return uscc.validate(code)
    except uscc.InvalidChecksum:
        raise _invalid(f"统一社会信用代码校验位错误（{code}）", "bad_checksum", uscc=code) from None
    except uscc.ValidationError:
        raise _invalid(f"统一社会信用代码格式错误（{code}）", "bad_format", uscc=code) from None


# --------------------------------------------------------------------------
# administrative division codes (行政区划代码): 6 county, 9 township, 12 village

DivisionLevel = Literal["national", "province", "city", "county", "township", "village"]


def validate_division_code(code: str, lengths: tuple[int, ...] = (6, 9, 12)) -> str:
    """Return the stripped division code or raise ``Invalid``.

    Only ASCII digits (``bad_format``), one of ``lengths`` (``bad_length``),
    starting with a real province prefix (``bad_region``). The national code
    ``100000`` is accepted where 6 digits are.
    """
    if not isinstance(code, str):
        raise _invalid("行政区划代码必须是字符串", "bad_format")
    text = code.strip()
    if not text.isascii() or not text.isdigit():
        raise _invalid(f"行政区划代码只能由数字组成（{text}）", "bad_format", division_code=text)
    if len(text) not in lengths:
        allowed = "/".join(str(n) for n in lengths)
        raise _invalid(f"行政区划代码应为{allowed}位（{text}）", "bad_length", division_code=text)
    if text == NATIONAL:
        return text
    if text[:2] not in _PROVINCES:
        raise _invalid(f"行政区划代码的省级代码不存在（{text}）", "bad_region", division_code=text)
    return text


def division_level(code: str) -> DivisionLevel:
    """Level of a division code.

    12 digits: village (村/社区); 9: township (乡镇/街道); 6: county (县/区) —
    except that a 6-digit code ending in ``00`` is a city (``341500`` 六安市)
    and one ending in ``0000`` a province (``340000`` 安徽省): GB/T 2260 never
    numbers a county ``00``. ``100000`` is the whole country.
    """
    code = validate_division_code(code)
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code == NATIONAL:
        return "national"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def division_prefix(jurisdiction: str) -> str:
    """The code prefix that a jurisdiction covers (empty = everything).

    Trailing ``00`` pairs of a 6-digit code are wildcards: ``341500`` covers
    ``3415``, ``340000`` covers ``34``. Nine- and twelve-digit codes cover
    themselves; ``100000`` (national) covers everything, like ``""``. Useful
    for ``LIKE prefix%`` queries.
    """
    if jurisdiction is None or jurisdiction.strip() == "":
        return ""
    code = validate_division_code(jurisdiction)
    if code == NATIONAL:
        return ""
    if len(code) == 6:
        while code.endswith("00"):
            code = code[:-2]
    return code


def division_within(code: str, jurisdiction: str) -> bool:
    """True if division ``code`` lies inside ``jurisdiction``.

    The empty jurisdiction covers everything (national/admin users). A 6-digit
    city or province jurisdiction covers its counties (see
    :func:`division_prefix`). A ``code`` that is not a digit string lies nowhere;
    a malformed jurisdiction is a configuration error and raises ``Invalid``.
    """
    prefix = division_prefix(jurisdiction)
    if not isinstance(code, str):
        return False
    code = code.strip()
    if not code.isascii() or not code.isdigit():
        return False
    return code.startswith(prefix)


# --------------------------------------------------------------------------
# masking for logs and list views


def mask_phone(value: Any) -> str:
    """Mask a phone number: ``13812345678`` -> ``138****5678``.

    Never raises. Numbers of 11 or more characters keep the first 3 and last
    4; shorter ones keep 2 and 2 (7–10 characters) or nothing.
    """
    if value is None:
        return ""
    text = (value if isinstance(value, str) else str(value)).strip()
    n = len(text)
    if n >= 11:
        head, tail = 3, 4
    elif n >= 7:
        head, tail = 2, 2
    else:
        return "*" * n
    return text[:head] + "*" * (n - head - tail) + text[-tail:]


# Scans left to right without word boundaries on purpose: a certificate number
# (ID number + 2 digits) or an ID glued into a longer token must be masked too.
_ID_IN_TEXT = re.compile(r"[0-9]{17}[0-9Xx]", re.ASCII)


def mask_in_text(text: str) -> str:
    """Replace every ID-number-looking run (17 digits + digit/X) with its mask."""
    if not isinstance(text, str):
        return text
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def mask_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask ID numbers in every string value of the event."""
    for key, val in event_dict.items():
        if isinstance(val, str):
            event_dict[key] = mask_in_text(val)
    return event_dict
