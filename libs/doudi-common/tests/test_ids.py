"""Identifiers: ID numbers, USCC, division codes, masks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from doudi_common.errors import Invalid
from doudi_common.ids import (
    age_on,
    birth_date_from_id,
    division_level,
    division_prefix,
    division_within,
    mask_id_number,
    mask_in_text,
    mask_phone,
    mask_processor,
    sex_from_id,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from hypothesis import given
from hypothesis import strategies as st

REGIONS = ["341502", "341522", "410928", "620102", "330102", "360104", "110101", "342401"]


def check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2, computed here independently of stdnum."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(region: str = "341502", born: str = "19500101", seq: str = "123") -> str:
    body = region + born + seq
    return body + check_char(body)


valid_ids = st.builds(
    lambda region, born, seq: make_id(region, born.strftime("%Y%m%d"), f"{seq:03d}"),
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


def reason(excinfo) -> str:
    return excinfo.value.fields["reason"]


# --- validate_id_number ---------------------------------------------------


@given(valid_ids)
def test_generated_ids_validate(number):
    assert validate_id_number(number) == number


def test_normalises_whitespace_and_lowercase_x():
    # find a body whose check character is X
    for seq in range(1000):
        number = make_id(seq=f"{seq:03d}")
        if number.endswith("X"):
            break
    assert validate_id_number(f"  {number.lower()}\n") == number


def test_known_good_number_from_stdnum_docs():
    assert validate_id_number("360426199101010071") == "360426199101010071"


def test_elderly_in_renamed_county_is_accepted():
    # 341502 (金安区) exists only since 1999; the code is where the card was
    # issued, not where the person was born, so a 1940 birth is fine.
    assert validate_id_number(make_id("341502", "19400101")) == make_id("341502", "19400101")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("34150219500101123", "bad_length"),
        ("3415021950010112345", "bad_length"),
        ("", "bad_length"),
        ("34150219500101123A", "bad_format"),
        ("3415021950010112X4", "bad_format"),
    ],
)
def test_rejects_malformed(value, expected):
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(value)
    assert reason(excinfo) == expected


def test_full_width_digits_of_right_length_are_bad_format():
    value = "３" + make_id()[1:]
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(value)
    assert reason(excinfo) == "bad_format"


def test_bad_checksum():
    good = make_id()
    wrong = "0" if good[-1] != "0" else "1"
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(good[:-1] + wrong)
    assert reason(excinfo) == "bad_checksum"
    assert excinfo.value.detail.startswith("身份证号码校验位错误")


@pytest.mark.parametrize("born", ["19500230", "19501301", "18991231", "19500000"])
def test_bad_birth_date(born):
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(make_id(born=born))
    assert reason(excinfo) == "bad_birth_date"


@pytest.mark.parametrize("region", ["999999", "000000", "341599"])
def test_bad_region(region):
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(make_id(region=region))
    assert reason(excinfo) == "bad_region"


def test_non_string_rejected():
    with pytest.raises(Invalid) as excinfo:
        validate_id_number(341502195001011234)  # type: ignore[arg-type]
    assert reason(excinfo) == "bad_format"


@given(valid_ids, st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_errors_never_contain_the_full_number(number, pos, char):
    tampered = number[:pos] + char + number[pos + 1:]
    try:
        validate_id_number(tampered)
    except Invalid as exc:
        assert tampered not in exc.detail
        assert tampered not in repr(exc.fields)
        assert tampered not in str(exc.args)


# --- derived facts ----------------------------------------------------------


def test_birth_date_sex_and_age():
    number = make_id("341502", "19560229", "123")
    assert birth_date_from_id(number) == date(1956, 2, 29)
    assert sex_from_id(number) == "male"  # 17th digit is the last of seq "123": odd
    assert sex_from_id(make_id(seq="124")) == "female"
    assert sex_from_id(make_id(seq="121")) == "male"


def test_sex_uses_seventeenth_digit():
    assert sex_from_id(make_id(seq="001")) == "male"
    assert sex_from_id(make_id(seq="010")) == "female"


def test_age_on_birthdays_and_leap_day():
    number = make_id("341502", "19640229", "121")
    assert age_on(number, date(2024, 2, 28)) == 59
    assert age_on(number, date(2024, 2, 29)) == 60
    assert age_on(number, date(2023, 2, 28)) == 58
    assert age_on(number, date(2023, 3, 1)) == 59
    assert age_on(number, date(1964, 2, 29)) == 0
    with pytest.raises(Invalid) as excinfo:
        age_on(number, date(1964, 2, 28))
    assert reason(excinfo) == "before_birth"


# --- masks ------------------------------------------------------------------


def test_mask_id_number_shape():
    assert mask_id_number("341502195001011234") == "3415**********1234"


@given(st.one_of(st.text(max_size=60), st.none(), st.integers()))
def test_mask_id_number_never_raises_and_never_leaks(value):
    masked = mask_id_number(value)
    visible = [c for c in masked if c != "*"]
    text = "" if value is None else str(value).strip()
    assert len(masked) == len(text)
    assert len(visible) <= 8
    assert len(visible) <= len(text) // 2


@given(valid_ids)
def test_mask_keeps_exactly_first_and_last_four(number):
    masked = mask_id_number(number)
    assert masked == number[:4] + "*" * 10 + number[-4:]
    assert number not in masked


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 0564-12345678 ") == "056******5678"
    assert mask_phone("1234567") == "12***67"
    assert mask_phone("12") == "**"
    assert mask_phone(None) == ""


@given(valid_ids, st.text(alphabet="abc ,:=中文", max_size=10), st.text(alphabet="abc ,:=",
                                                                      max_size=10))
def test_mask_in_text_hides_ids(number, before, after):
    text = f"{before}{number}{after}"
    masked = mask_in_text(text)
    assert number not in masked
    assert mask_id_number(number) in masked


def test_mask_in_text_covers_certificate_numbers_and_lowercase_x():
    cert = make_id() + "42"
    assert mask_in_text(f"cert={cert}") == f"cert={mask_id_number(cert[:18])}42"
    lower = "34150219500101123x"
    assert "123x" in mask_in_text(lower) and "19500101" not in mask_in_text(lower)
    assert mask_in_text("no ids 12345") == "no ids 12345"


def test_mask_processor_masks_string_values():
    number = make_id()
    event = mask_processor(None, "info", {"event": f"person {number}", "n": 3, "id": number})
    assert number not in repr(event)
    assert event["n"] == 3


# --- USCC ---------------------------------------------------------------------


def test_uscc_valid_and_normalised():
    assert validate_uscc(" 91110000600037341l ") == "91110000600037341L"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("9111000060003734", "bad_length"),
        ("A1110000600037341L", "bad_format"),
        ("91110000600037341I", "bad_format"),
        ("91110000600037341K", "bad_checksum"),
        (None, "bad_format"),
    ],
)
def test_uscc_invalid(value, expected):
    with pytest.raises(Invalid) as excinfo:
        validate_uscc(value)
    assert reason(excinfo) == expected
    assert excinfo.value.detail.startswith("统一社会信用代码")


# --- division codes -------------------------------------------------------------


def test_validate_division_code():
    assert validate_division_code(" 341502 ") == "341502"
    assert validate_division_code("341502001") == "341502001"
    assert validate_division_code("341502001001") == "341502001001"
    assert validate_division_code("3415", lengths=(4, 6)) == "3415"


@pytest.mark.parametrize(
    "value, expected",
    [("34150", "bad_length"), ("3415020011", "bad_length"), ("34150a", "bad_format"),
     ("３４１５０２", "bad_format"), ("991502", "bad_region"), ("", "bad_format"),
     (341502, "bad_format")],
)
def test_division_code_invalid(value, expected):
    with pytest.raises(Invalid) as excinfo:
        validate_division_code(value)
    assert reason(excinfo) == expected


def test_division_level():
    assert division_level("341502001001") == "village"
    assert division_level("341502001") == "township"
    assert division_level("341502") == "county"
    assert division_level("341500") == "city"
    assert division_level("340000") == "province"
    assert division_level("100000") == "national"


def test_division_prefix_wildcards():
    assert division_prefix("") == ""
    assert division_prefix("100000") == ""
    assert division_prefix("341500") == "3415"
    assert division_prefix("340000") == "34"
    assert division_prefix("341502") == "341502"
    assert division_prefix("341502100") == "341502100"


@pytest.mark.parametrize(
    "code, jurisdiction, inside",
    [
        ("341502001001", "", True),
        ("341502001001", "341502", True),
        ("341502001001", "341502001", True),
        ("341502001001", "341502002", False),
        ("341502", "341500", True),
        ("341522101", "341500", True),
        ("341500", "341500", True),
        ("340100", "341500", False),
        ("341502", "340000", True),
        ("351502", "340000", False),
        ("351502", "100000", True),
        ("341500", "341502", False),  # a county officer does not see the city
        ("341502", "341502001", False),
        ("not-a-code", "341502", False),
        (None, "", False),
    ],
)
def test_division_within(code, jurisdiction, inside):
    assert division_within(code, jurisdiction) is inside


def test_division_within_bad_jurisdiction_is_an_error():
    with pytest.raises(Invalid):
        division_within("341502", "34150x")


def test_digit_patterns_are_ascii():
    assert re.fullmatch(r"[0-9]+", validate_division_code("110101"))
