"""Local parameters shared by services: figures a document leaves to the county
(or city) and that more than one service reads — e.g. luan-2021 §三(四)'s family
co-payment bands, which eligibility applies at the annual income review and
funding settles by. Kept here, once, as data (a literal, so that the services'
pure domains may read it), with the clause that asks for the figure, who sets it
and from when. A county that sets its own adds a dated version; the version in
force on a date is the latest whose ``effective_from`` is on or before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

LOCAL_PARAMETERS: dict[str, dict[str, dict[str, Any]]] = {
    "luan-2021": {
        "copay_bands": {
            "clause": "luan-2021 §三(四)",
            "wording": "二是群众自付部分费用。在对集中养护对象家庭进行经济能力评估的基础上,"
                       "根据其经济承受能力,分类、合理确定个人付费比例",
            "set_by": "县(区)民政局（文件只定原则、不定档次：以下为试点默认值，"
                      "县级确定后增补新版本）",
            "unit": "家庭月人均可支配收入（元）；max_income 为该档上限（含），最后一档无上限",
            "versions": [
                {"effective_from": date(2021, 2, 8), "bands": [
                    {"band": "A", "max_income": "500.00", "share": "0.00"},
                    {"band": "B", "max_income": "1000.00", "share": "0.10"},
                    {"band": "C", "max_income": "2000.00", "share": "0.20"},
                    {"band": "D", "max_income": None, "share": "0.30"},
                ]},
            ],
        },
    },
}


@dataclass(frozen=True)
class CopayBand:
    """Income per head up to ``max_income`` (inclusive; None = no upper bound)
    -> the family's ``share`` of the cost."""

    band: str
    max_income: Decimal | None
    share: Decimal
    clause: str


def parameter(pack_id: str, name: str) -> dict[str, Any] | None:
    """The parameter's whole entry (clause, wording, set_by, versions) or None."""
    return LOCAL_PARAMETERS.get(pack_id, {}).get(name)


def copay_bands(pack_id: str, on: date | None = None) -> tuple[CopayBand, ...]:
    """The pack's co-payment bands in force on ``on`` (the latest version when
    no date is given); () where the document sets no family payment."""
    entry = parameter(pack_id, "copay_bands")
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
