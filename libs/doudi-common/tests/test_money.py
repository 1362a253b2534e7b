"""Money: Decimal yuan, 2 places, one rounding rule, exact allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from doudi_common.errors import Invalid
from doudi_common.money import ZERO, allocate, from_fen, money_str, prorate, to_fen, to_money
from hypothesis import given
from hypothesis import strategies as st

D = Decimal

fens = st.integers(min_value=-10**12, max_value=10**12)
amounts = fens.map(from_fen)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120.00", D("120.00")),
        ("120.5", D("120.50")),
        ("120", D("120.00")),
        (" 7.1 ", D("7.10")),
        (120, D("120.00")),
        (D("0.005"), D("0.01")),
        (D("0.004999"), D("0.00")),
        (D("2.675"), D("2.68")),  # a float would give 2.67
        (D("-0.005"), D("-0.01")),  # half away from zero
        (D("-0.004"), ZERO),
        ("-0.00", ZERO),
        ("+3", D("3.00")),
    ],
)
def test_to_money(value, expected):
    result = to_money(value)
    assert result == expected
    assert result.as_tuple().exponent == -2
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan"), True, None, [1], b"1.00"])
def test_float_and_other_types_rejected(value):
    with pytest.raises(TypeError):
        to_money(value)


@pytest.mark.parametrize(
    "value", ["", "abc", "1e3", "NaN", "Infinity", "-inf", "1,000.00", "１２０", "12.", ".5",
              D("NaN"), D("Infinity"), D("-Infinity"), D("1E+100")]
)
def test_non_numeric_rejected(value):
    with pytest.raises(Invalid) as excinfo:
        to_money(value)
    assert excinfo.value.fields["reason"] == "bad_amount"


def test_money_str_and_fen():
    assert money_str(D("120")) == "120.00"
    assert money_str("0.1") == "0.10"
    assert money_str(D("1E+3")) == "1000.00"
    assert to_fen("120.05") == 12005
    assert to_fen(D("-0.01")) == -1
    assert from_fen(12005) == D("120.05")
    assert from_fen(0) == ZERO
    with pytest.raises(TypeError):
        from_fen(1.0)
    with pytest.raises(TypeError):
        money_str(1.0)


@given(fens)
def test_fen_round_trip(fen):
    assert to_fen(from_fen(fen)) == fen


@given(amounts)
def test_money_str_round_trip(amount):
    assert to_money(money_str(amount)) == amount


def test_allocate_examples():
    assert allocate(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    assert allocate(D("0.02"), [1, 1, 1]) == [D("0.01"), D("0.01"), D("0.00")]
    assert allocate(D("10.00"), [D("0.5"), D("0.25"), D("0.25")]) == [
        D("5.00"), D("2.50"), D("2.50")]
    # largest remainder wins over index: quotas 0.6/2.4 fen -> 1, 2... (0.03 by 1:4)
    assert allocate(D("0.03"), [1, 4]) == [D("0.01"), D("0.02")]
    assert allocate(D("1.00"), [0, 3, 0]) == [ZERO, D("1.00"), ZERO]
    assert allocate(D("-0.05"), [1, 1]) == [D("-0.03"), D("-0.02")]
    assert allocate(ZERO, [1, 2]) == [ZERO, ZERO]


@given(
    amounts,
    st.lists(st.one_of(st.integers(min_value=0, max_value=1000),
                       st.decimals(min_value=0, max_value=1000, places=3)),
             min_size=1, max_size=12).filter(lambda ws: any(w > 0 for w in ws)),
)
def test_allocate_sums_exactly_and_is_fair(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, ZERO) == total
    assert all(p.as_tuple().exponent == -2 for p in parts)
    wsum = sum(Decimal(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        exact = abs(to_fen(total)) * Decimal(w) / wsum
        # every share is its exact quota rounded down or up by at most one fen
        assert abs(abs(to_fen(part)) - exact) < 1
        if w == 0:
            assert part == ZERO
    assert allocate(total, weights) == parts  # deterministic


def test_allocate_rejects_bad_weights():
    with pytest.raises(Invalid):
        allocate(D("1.00"), [])
    with pytest.raises(Invalid):
        allocate(D("1.00"), [0, 0])
    with pytest.raises(Invalid):
        allocate(D("1.00"), [1, -1])
    with pytest.raises(TypeError):
        allocate(D("1.00"), [0.5, 0.5])
    with pytest.raises(TypeError):
        allocate(1.0, [1])


def test_prorate():
    assert prorate("1000.00", 10, 31) == D("322.58")
    assert prorate("100.00", 1, 3) == D("33.33")
    assert prorate("100.00", 2, 3) == D("66.67")
    assert prorate("0.10", 15, 30) == D("0.05")
    assert prorate("0.01", 15, 30) == D("0.01")  # exactly half a fen rounds up
    assert prorate("600.00", 0, 30) == ZERO
    assert prorate("600.00", 30, 30) == D("600.00")
    for bad in ((-1, 30), (31, 30), (1, 0)):
        with pytest.raises(Invalid):
            prorate("600.00", *bad)
    with pytest.raises(TypeError):
        prorate("600.00", 1.0, 30)


@given(amounts, st.integers(min_value=28, max_value=31), st.data())
def test_prorate_matches_exact_half_up(amount, dim, data):
    days = data.draw(st.integers(min_value=0, max_value=dim))
    exact_fen = abs(to_fen(amount)) * days
    q, r = divmod(exact_fen, dim)
    expected = q + (1 if 2 * r >= dim else 0)
    if amount < 0:
        expected = -expected
    assert to_fen(prorate(amount, days, dim)) == expected
