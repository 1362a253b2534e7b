"""Local parameters shared by services: figures a document leaves to the county
(or city) and that more than one service reads — e.g. luan-2021 §三(四)'s family
co-payment bands, which eligibility applies at the annual income review and
funding settles by. The figures live once, in the ``parameters`` part of the
jurisdiction's policy pack (doudi_contracts.policy), with the clause that asks
for the figure, who sets it and from when; this module reads such an entry
(pure, so that the services' domains may use it). A county that sets its own
adds a dated version; the version in force on a date is the latest whose
``effective_from`` is on or before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CopayBand:
    """Income per head up to ``max_income`` (inclusive; None = no upper bound)
    -> the family's ``share`` of the cost."""

    band: str
    max_income: Decimal | None
    share: Decimal
    clause: str


def copay_bands(entry: dict[str, Any] | None, on: date | None = None
                ) -> tuple[CopayBand, ...]:
    """The co-payment bands of a ``copay_bands`` entry in force on ``on`` (the
    latest version when no date is given); () where the document sets no family
    payment (no entry)."""
    if not entry:
        return ()
    versions = sorted(entry["versions"], key=lambda v: v["effective_from"])
    chosen = [v for v in versions if on is None or v["effective_from"] <= on] or versions[:1]
    return tuple(CopayBand(b["band"], Decimal(b["max_income"]) if b["max_income"] else None,
                           Decimal(b["share"]), entry["clause"])
                 for b in chosen[-1]["bands"])


def band_for(bands: tuple[CopayBand, ...], income_per_head: Any) -> CopayBand | None:
    """The band a household's monthly income per head falls in."""
    income = Decimal(str(income_per_head))
    return next((b for b in bands if b.max_income is None or income <= b.max_income), None)
