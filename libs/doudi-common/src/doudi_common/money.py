"""Money: ``Decimal`` yuan with exactly 2 places (fen), never ``float``.

The rounding rule, written down once: **an amount is rounded to the fen
(0.01 yuan) half away from zero** (``ROUND_HALF_UP``, 四舍五入: 0.005 -> 0.01,
-0.005 -> -0.01). :func:`to_money` is the only place that rounds; everything
else (:func:`prorate`, :func:`to_fen`, :func:`money_str`) goes through it, and
:func:`allocate` splits whole fen without rounding at all.

``float`` is refused with ``TypeError`` wherever money enters: it is a bug in
the caller (binary fractions cannot hold 0.10), not bad data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from doudi_common.errors import Invalid

__all__ = [
    "CENT",
    "ZERO",
    "MoneyLike",
    "allocate",
    "from_fen",
    "money_str",
    "prorate",
    "to_fen",
    "to_money",
]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

MoneyLike = Decimal | int | str

# Plain decimal notation only: no exponents, no "NaN"/"Infinity", no
# thousands separators, no full-width digits.
_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)
# Enough digits that quantising any realistic amount never overflows the
# context (the default 28 would fail above ~10^26 yuan, far beyond need, but an
# intermediate like prorate's quotient must keep its digits).
_PRECISION = 60
_WIDE = Context(prec=_PRECISION)


def to_money(value: MoneyLike) -> Decimal:
    """Convert to yuan with exactly 2 places, rounding half away from zero.

    Accepts ``Decimal``, ``int`` and plain decimal strings (``"120"``,
    ``"120.5"``, ``"120.00"``, surrounding spaces allowed). Raises ``TypeError``
    for ``float``, ``bool`` and other types; ``Invalid`` (reason
    ``bad_amount``) for non-numeric strings, NaN and infinities. Negative
    amounts are allowed (corrections); ``-0.00`` becomes ``0.00``.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _AMOUNT.fullmatch(text):
            raise Invalid(f"金额格式错误：{value[:40]!r}", reason="bad_amount")
        amount = Decimal(text)
    else:
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if not amount.is_finite():
        raise Invalid(f"金额必须是有限数值：{amount}", reason="bad_amount")
    try:  # the wide context given to quantize itself: no thread-local context to swap
        result = amount.quantize(CENT, rounding=ROUND_HALF_UP, context=_WIDE)
    except InvalidOperation:
        raise Invalid("金额超出范围", reason="bad_amount") from None
    return ZERO if result.is_zero() else result


def money_str(value: MoneyLike) -> str:
    """Canonical wire form: ``"120.00"`` (plain notation, 2 places)."""
    return format(to_money(value), "f")


def to_fen(value: MoneyLike) -> int:
    """Amount in integer fen (分): ``Decimal("120.05")`` -> ``12005``."""
    return int(to_money(value).scaleb(2, context=_WIDE))


def from_fen(fen: int) -> Decimal:
    """Integer fen to yuan: ``12005`` -> ``Decimal("120.05")``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be int, not {type(fen).__name__}")
    return to_money(Decimal(fen).scaleb(-2, context=_WIDE))


def _weight(value: Decimal | int) -> Fraction:
    if isinstance(value, (bool, float)):
        raise TypeError(f"weight must be Decimal or int, not {type(value).__name__}")
    if not isinstance(value, (Decimal, int)):
        raise TypeError(f"weight must be Decimal or int, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise Invalid("分摊权重必须是有限数值", reason="bad_weight")
    if value < 0:
        raise Invalid("分摊权重不能为负数", reason="bad_weight")
    return Fraction(value)


def allocate(total: MoneyLike, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split ``total`` by ``weights`` exactly to the fen; the parts sum to ``total``.

    Largest-remainder method: each share's exact quota in fen is floored, and
    the fen left over go one each to the shares with the largest fractional
    remainder, ties to the lower index — deterministic, so the same inputs
    always give the same split. A zero weight gets nothing. A negative total
    is split like its absolute value and negated (the split is symmetric).
    Raises ``Invalid`` for no weights, negative weights or all-zero weights.
    """
    fen = to_fen(total)
    parts = [_weight(w) for w in weights]
    if not parts:
        raise Invalid("分摊对象不能为空", reason="no_weights")
    weight_sum = sum(parts, Fraction(0))
    if weight_sum == 0:
        raise Invalid("分摊权重之和不能为零", reason="zero_weights")
    sign = -1 if fen < 0 else 1
    fen = abs(fen)
    quotas = [fen * w / weight_sum for w in parts]
    shares = [q.numerator // q.denominator for q in quotas]
    left = fen - sum(shares)
    # left < number of shares with a non-zero remainder, so zero weights never get a fen.
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return [from_fen(sign * s) for s in shares]


def prorate(amount: MoneyLike, days: int, days_in_month: int) -> Decimal:
    """The part of a monthly ``amount`` for ``days`` out of ``days_in_month``.

    ``amount * days / days_in_month`` computed exactly, then rounded once by
    :func:`to_money` (half away from zero). ``0 <= days <= days_in_month``.
    """
    for name, n in (("days", days), ("days_in_month", days_in_month)):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"{name} must be int, not {type(n).__name__}")
    if days_in_month <= 0 or not 0 <= days <= days_in_month:
        raise Invalid(f"按日折算的天数不合法：{days}/{days_in_month}", reason="bad_days")
    monthly = to_money(amount)
    with localcontext() as ctx:
        # The quotient of a 2-place amount by n <= 31 is either exact or a
        # repeating decimal far from any .xx5 boundary, so 60 digits round correctly.
        ctx.prec = _PRECISION
        exact = monthly * days / days_in_month
    return to_money(exact)
