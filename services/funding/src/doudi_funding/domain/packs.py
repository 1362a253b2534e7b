"""Funding rules per jurisdiction, as data (policy is data).

Amounts here are *configuration defaults*: the documents set the principle
(a means-tested self-pay ratio, a county caregiver subsidy "与当地经济相适应",
a per-head management fee, a subsidy per recorded service) but not the
figures; each county sets its own. The figures below are illustrative defaults
used until a county configures its own; every rule carries its clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from doudi_contracts.local_parameters import CopayBand, band_for, copay_bands


@dataclass(frozen=True)
class FundingPack:
    name: str
    version: str
    division_prefixes: tuple[str, ...]
    #: luan-2021 §三(四)二: 根据其经济承受能力，分类、合理确定个人付费比例 — the
    #: bands are a county parameter shared with eligibility (doudi_contracts.
    #: local_parameters); () where the document asks no family payment
    self_pay_bands: tuple[CopayBand, ...] = ()
    #: hardship statuses that never self-pay (tekun keep their own channel, luan-2021 §三(一))
    self_pay_exempt: tuple[str, ...] = ("tekun",)
    #: puyang-2020 §五 §六: 县(区)财政为照护残疾人每月发放托养照护补贴
    caregiver_subsidy_monthly: Decimal = Decimal("0.00")
    #: hangzhou-2024 §五(二): per-head yearly management fee paid to the institution
    management_fee_per_head_year: Decimal = Decimal("0.00")
    #: hospital absence: None = the bed is kept and the stay is charged in full (no
    #: document sets a reduction); N = hospital days beyond N in a month are not charged
    hospital_free_days: int | None = None
    #: puyang-2020 §六: centralised care is funded by CDPF, civil-affairs and poverty
    #: funds, charity and county finance — department funds, in this order, carry
    #: the county's top-up while their balances last
    topup_sources: tuple[str, ...] = ()
    #: qingyunpu-2021 §六(二): service subsidies are paid from the pilot special account
    pilot_fund_pays_services: bool = False
    #: the person's subsidies go to the institution in full each month (the clause)
    #: and what the pack says of an excess over the accounted cost; "" = drawn up to
    #: the cost, a surplus staying with the person
    integration_clause: str = ""
    integration_excess: str = ""
    clauses: dict[str, str] = field(default_factory=dict)


#: the reading chosen where luan-2021 §三(四)一 ("整合入住对象个人实际享受的……资金,按月
#: 拨付至养护机构") and puyang-2020 §四(四) ("全部整合到集中照料机构集中使用") are silent
EXCESS_TO_INSTITUTION = (
    "个人补贴全额按月拨付养护机构；超出当月核算养护费用的部分一并拨付，由机构为本人集中使用"
    "（文件未规定退还个人），在结算单和机构对账单中单列为“整合补贴超出核算费用部分”")

PACKS: tuple[FundingPack, ...] = (
    FundingPack("luan-2021", "1", ("3415",), self_pay_bands=copay_bands("luan-2021"),
                integration_clause="luan-2021 §三(四)一",
                integration_excess=EXCESS_TO_INSTITUTION,
                clauses={"channels": "luan-2021 §三(四)", "self_pay": "luan-2021 §三(四)",
                         "review": "luan-2021 §三(六)"}),
    FundingPack("puyang-2020", "1", ("4109",),
                caregiver_subsidy_monthly=Decimal("300.00"),
                topup_sources=("cdpf", "civil_affairs", "poverty"),
                integration_clause="puyang-2020 §四(四)",
                integration_excess=EXCESS_TO_INSTITUTION,
                clauses={"neighbor": "puyang-2020 §四(一) §五 §六",
                         "centralized": "puyang-2020 §四(四) §六",
                         "top_up": "puyang-2020 §六"}),
    FundingPack("qingyunpu-2021", "1", ("360104",), pilot_fund_pays_services=True,
                clauses={"service_subsidy": "qingyunpu-2021 §四(三)6",
                         "special_account": "qingyunpu-2021 §六(二)"}),
    FundingPack("lanzhou-2021", "1", ("6201",),
                clauses={"service_subsidy": "lanzhou-2021 §四(二)3"}),
    FundingPack("hangzhou-2024", "1", ("3301",),
                management_fee_per_head_year=Decimal("1200.00"),
                clauses={"management_fee": "hangzhou-2024 §五(二)"}),
)

#: counties under no pilot document settle by luan-2021's four channels
DEFAULT_PACK = PACKS[0]


def pack_for(division_code: str) -> FundingPack:
    best: tuple[int, FundingPack] | None = None
    for pack in PACKS:
        for prefix in pack.division_prefixes:
            if division_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), pack)
    return best[1] if best else DEFAULT_PACK


def pack_named(name: str) -> FundingPack | None:
    return next((p for p in PACKS if p.name == name), None)


def self_pay_ratio(pack: FundingPack, per_capita_income: Decimal,
                   on: date | None = None) -> tuple[Decimal, str]:
    """The ratio for a household's per-capita monthly income at the review on
    ``on`` (the bands in force then); 0 where the document asks no family payment."""
    bands = copay_bands(pack.name, on) if pack.self_pay_bands else ()
    band = band_for(bands, per_capita_income)
    return (band.share, band.band) if band else (Decimal("0.00"), "no table")


def policy_of(pack: FundingPack) -> dict[str, Any]:
    """Funding's part of the jurisdiction's policy, as the gateway shows it with
    the eligibility pack (GET /api/v1/policy-packs/{id})."""
    return {
        "self_pay_bands": [{"band": b.band, "max_income": None if b.max_income is None
                            else f"{b.max_income:.2f}", "share": f"{b.share:.2f}",
                            "clause": b.clause} for b in pack.self_pay_bands],
        "self_pay_exempt": list(pack.self_pay_exempt),
        "caregiver_subsidy_monthly": f"{pack.caregiver_subsidy_monthly:.2f}",
        "management_fee_per_head_year": f"{pack.management_fee_per_head_year:.2f}",
        "hospital_free_days": pack.hospital_free_days,
        "topup_sources": list(pack.topup_sources),
        "pilot_fund_pays_services": pack.pilot_fund_pays_services,
        "integration_clause": pack.integration_clause or None,
        "integration_excess": pack.integration_excess or None,
        "clauses": dict(pack.clauses),
    }
