"""Valid test identifiers (resident ID numbers with a correct ISO 7064 check
digit) — never real people's numbers."""

from __future__ import annotations

import pytest
from stdnum.cn import ric


def id_check_digit(first17: str) -> str:
    return ric.calc_check_digit(first17 + "0")  # stdnum expects a placeholder check digit


def make_id_number(region: str = "341502", birth: str = "19520314", seq: int = 1,
                   female: bool = False) -> str:
    """``seq`` picks the 3-digit order code; its last digit is odd for men."""
    order = (seq * 2) % 1000
    order = order if female else order + 1
    order %= 1000
    first17 = f"{region}{birth}{order:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def id_number() -> str:
    return make_id_number()
