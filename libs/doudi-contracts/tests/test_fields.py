"""Field-level behaviour: one wire form in, lenient Python values out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from doudi_contracts.fields import (
    Bool,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    ListOf,
    MoneyString,
    Month,
    Text,
    Timestamp,
    Uscc,
    UuidString,
)
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError


class Sample(Schema):
    id_number = IdNumber()
    uscc = Uscc()
    division = DivisionCode()
    village = DivisionCode(lengths=(12,))
    amount = MoneyString()
    delta = MoneyString(allow_negative=True)
    month = Month()
    day = IsoDate()
    at = Timestamp()
    n = Int(0, 10)
    flag = Bool()
    uid = UuidString()
    tags = ListOf(Text(max_length=5), min_items=1)


def load(**kw):
    return Sample().load(kw)


def error(**kw) -> str:
    with pytest.raises(ValidationError) as excinfo:
        Sample().load(kw)
    ((field, messages),) = excinfo.value.messages.items()
    assert field in kw
    return str(messages)


def test_identifiers_normalise():
    assert load(id_number="34150219560312112x")["id_number"] == "34150219560312112X"
    assert load(uscc="12341500mb1234567g")["uscc"] == "12341500MB1234567G"
    assert load(division="341502001")["division"] == "341502001"


def test_identifier_errors_are_masked_and_chinese():
    message = error(id_number="341502195603121120")
    assert "校验位" in message and "341502195603121120" not in message
    assert "行政区划" in error(village="341502")
    assert "空白" in error(division=" 341502")
    assert "统一社会信用代码" in error(uscc="12341500MB1234567H")


@pytest.mark.parametrize("value", [120, 120.0, "120", "120.5", "120.001", "-1.00", " 1.00",
                                   "01.00", "1,000.00", "NaN", None, True])
def test_money_refuses_everything_but_two_decimal_strings(value):
    error(amount=value)


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_money_round_trips(fen):
    text = f"{fen // 100}.{fen % 100:02d}"
    loaded = load(amount=text)["amount"]
    assert isinstance(loaded, Decimal) and loaded == Decimal(text)
    assert Sample().dump({"amount": loaded})["amount"] == text


def test_money_dump_and_negative():
    assert Sample().dump({"amount": Decimal("7.5"), "delta": 3})["amount"] == "7.50"
    assert load(delta="-12.30")["delta"] == Decimal("-12.30")
    with pytest.raises(TypeError):
        Sample().dump({"amount": 1.5})


def test_month_and_date():
    assert load(month="2026-03")["month"] == "2026-03"
    assert Sample().dump({"month": date(2026, 3, 31)})["month"] == "2026-03"
    assert load(day="2024-02-29")["day"] == date(2024, 2, 29)
    for bad in ("2026-3", "2026-00", "26-03", 202603):
        error(month=bad)
    for bad in ("2023-02-29", "2026-3-1", "2026-03-01T00:00:00+08:00", 20260301):
        error(day=bad)
    with pytest.raises(TypeError):
        Sample().dump({"day": datetime(2026, 3, 1, tzinfo=UTC)})


def test_timestamp():
    at = load(at="2026-03-01T09:30:00+08:00")["at"]
    assert at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert load(at="2026-03-01T01:30:00Z")["at"] == at
    assert Sample().dump({"at": at.astimezone(UTC)})["at"] == "2026-03-01T09:30:00+08:00"
    assert Sample().dump({"at": "2026-03-01T01:30:00Z"})["at"] == "2026-03-01T09:30:00+08:00"
    for bad in ("2026-03-01T09:30:00", "2026-03-01", "2026-03-01T09:30+08:00",
                "2026-03-01T25:00:00+08:00"):
        error(at=bad)
    with pytest.raises(ValueError):
        Sample().dump({"at": datetime(2026, 3, 1)})
    odd = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert Sample().dump({"at": odd})["at"] == "2026-03-01T13:00:00+08:00"


def test_strict_scalars_and_lists():
    assert load(n=3, flag=False)["n"] == 3
    for bad in ("3", 3.0, True, 11, -1):
        error(n=bad)
    for bad in ("true", 1, None):
        error(flag=bad)
    assert load(uid="0F8E5A52-3C1E-4E0B-9A57-2F1D7C1F5B10")["uid"] == \
        "0f8e5a52-3c1e-4e0b-9a57-2f1d7c1f5b10"
    error(uid="0f8e5a523c1e4e0b9a572f1d7c1f5b10")
    assert load(tags=["a", "b"])["tags"] == ["a", "b"]
    for bad in ([], ["a", "a"], "a", ["toolong"]):
        error(tags=bad)
