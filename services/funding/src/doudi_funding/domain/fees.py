"""The management fee of hangzhou-2024 §五(二): "乡镇(街道)应切实履行委托供养的主体责任,
……根据辖区集中供养的特困人员数量,按照每人每年一定标准支付相应服务管理费用,用于保障机构
必要运转" — per centralised **tekun** person, paid by the township (乡镇(街道))
where the person lives, to the institution that cares for them; a month's
share of the yearly figure, by days in care. Not a channel of the person's
care cost, and not the county's cover."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from doudi_common.money import allocate, from_fen, to_fen

from doudi_funding.domain.settlement import CENTRALIZED, prorate_fen

TEKUN = "tekun"


class FeeCase(NamedTuple):
    kind: str
    hardship: tuple[str, ...]
    township: str  # 9 digits: who pays
    institution: str | None  # who is paid
    days: int
    days_in_month: int


def monthly_share(per_head_year: Decimal, month: str) -> int:
    """The month's twelfth of the yearly per-head figure (fen; the twelve add up)."""
    yearly = to_fen(per_head_year)
    return to_fen(allocate(from_fen(yearly), [1] * 12)[int(month[5:]) - 1]) if yearly else 0


def management_fees(monthly_fen: int, cases: Iterable[FeeCase]) -> dict[tuple[str, str], int]:
    """(township, institution) -> fen owed for the month."""
    owed: dict[tuple[str, str], int] = defaultdict(int)
    if not monthly_fen:
        return {}
    for c in cases:
        if c.kind == CENTRALIZED and TEKUN in c.hardship and c.institution and c.days:
            owed[(c.township, c.institution)] += prorate_fen(monthly_fen, c.days,
                                                             c.days_in_month)
    return dict(owed)
