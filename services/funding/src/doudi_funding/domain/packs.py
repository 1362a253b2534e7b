"""Funding's part of a jurisdiction's policy pack (doudi_contracts.policy, the
``funding`` part and the shared ``parameters``), read into a ``FundingPack``.

Amounts in the packs are *configuration defaults*: the documents set the
principle (a means-tested self-pay ratio, a county caregiver subsidy
"与当地经济相适应", a per-head management fee, a subsidy per recorded service)
but not the figures; each county sets its own. Every rule carries its clause.
Pure: built from data already read (``doudi_funding.policy`` reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import division_prefix
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
    #: the pack's co-payment parameter with its dated versions (None: no family payment)
    copay: dict[str, Any] | None = field(default=None, compare=False, repr=False)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or "0")).quantize(Decimal("0.01"))


def funding_pack_from(doc: dict[str, Any]) -> FundingPack:
    """Funding's pack from a jurisdiction's policy pack (doudi_contracts.policy):
    the header, the ``funding`` part and the ``parameters`` (co-payment bands)."""
    part = doc.get("funding") or {}
    copay = (doc.get("parameters") or {}).get("copay_bands")
    integration = part.get("integration") or {}
    try:
        return FundingPack(
            name=doc["id"], version=str(doc["version"]),
            division_prefixes=(division_prefix(str(doc["jurisdiction"])),),
            self_pay_bands=copay_bands(copay), copay=copay,
            self_pay_exempt=tuple(part.get("self_pay_exempt") or ()),
            caregiver_subsidy_monthly=_money(part.get("caregiver_subsidy_monthly")),
            management_fee_per_head_year=_money(part.get("management_fee_per_head_year")),
            hospital_free_days=part.get("hospital_free_days"),
            topup_sources=tuple(part.get("topup_sources") or ()),
            pilot_fund_pays_services=bool(part.get("pilot_fund_pays_services")),
            integration_clause=integration.get("clause") or "",
            integration_excess=integration.get("excess") or "",
            clauses=dict(part.get("clauses") or {}))
    except (KeyError, ArithmeticError) as exc:
        raise Invalid("政策包资金部分有误", reason="bad_pack", pack=doc.get("id"),
                      field=str(exc)) from None


def pack_in(packs: tuple[FundingPack, ...], division_code: str) -> FundingPack:
    """The pack whose territory holds ``division_code`` (longest prefix); counties
    under no pilot document settle by the first pack (luan-2021's four channels)."""
    best: tuple[int, FundingPack] | None = None
    for pack in packs:
        for prefix in pack.division_prefixes:
            if division_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), pack)
    return best[1] if best else packs[0]


def self_pay_ratio(pack: FundingPack, per_capita_income: Decimal,
                   on: date | None = None) -> tuple[Decimal, str]:
    """The ratio for a household's per-capita monthly income at the review on
    ``on`` (the bands in force then); 0 where the document asks no family payment."""
    bands = copay_bands(pack.copay, on) if pack.self_pay_bands else ()
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
