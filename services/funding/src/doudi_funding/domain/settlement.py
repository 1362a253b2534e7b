"""Monthly settlement of care cases over the funding channels, in fen.

luan-2021 §三(四): the cost of a resident (bed, nursing, meals, rehab, supplies,
shared overhead) is covered, **in this order**, by

1. ``own_subsidies`` — the person's own policy subsidies. Where the document
   integrates them (luan-2021 §三(四)一 "整合……按月拨付至养护机构", puyang-2020
   §四(四) "全部整合到集中照料机构集中使用"; ``CaseInput.integrate``) all of them go
   to the institution each month, in full: an excess over the accounted cost is
   paid with them and shown as ``excess`` (what the pack says of it is in
   ``FundingPack.integration``). Elsewhere they are drawn kind by kind in
   ``SUBSIDY_KINDS`` order (dibao, disabled living allowance, severe-disability
   nursing subsidy), each up to what is still unpaid, a surplus staying with the
   person;
2. ``family_share`` — the self-pay ratio (means table of the pack, annual review)
   times what the subsidies left, rounded half-up to the fen, never more than
   what is left;
3. ``donations`` — the month's donation money, allocated across the month's
   shortfalls (what is left after 1 and 2) by the rule in
   :func:`allocate_pool`: first gifts earmarked for an institution across that
   institution's shortfalls, then the county pool across what remains, each
   *pro rata to the shortfall* with whole fen by largest remainder
   (``doudi_common.money.allocate``, ties to the earlier case in case-id order);
   a pool larger than the shortfalls covers them all and keeps the rest;
4. ``county_cover`` — the county government covers whatever is still missing.

Neighbour care (puyang-2020 §四(一) §五 §六): no cost is drawn; the person's
subsidies go to the caregiver as living money (``own_subsidies``) and the county
adds its monthly caregiver subsidy (paid by county finance, ``caregiver_subsidy``).

Partial months are prorated by days in care (``days.py``); the only rounding
is ``doudi_common.money`` (``prorate``, ``to_money``, ``allocate``).

All amounts here are integer fen. Invariant for every case:
``cost + excess == own + family + donations + county + caregiver_subsidy``
(``excess`` is 0 unless integrated subsidies exceed the cost).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from doudi_common.errors import Conflict
from doudi_common.money import from_fen, prorate, to_fen

SUBSIDY_KINDS = ("dibao", "disabled_living_allowance", "severe_disability_nursing_subsidy")
CHANNELS = ("own_subsidies", "family_share", "donations", "county_cover")
CENTRALIZED = "centralized"
NEIGHBOR = "neighbor"


@lru_cache(maxsize=65536)
def prorate_fen(monthly_fen: int, days: int, days_in_month: int) -> int:
    """``prorate`` in fen (memoised: prices and subsidies repeat across cases)."""
    if days == days_in_month:
        return monthly_fen
    return to_fen(prorate(from_fen(monthly_fen), days, days_in_month))


@lru_cache(maxsize=65536)
def share_fen(amount_fen: int, ratio: Decimal) -> int:
    """``ratio`` of an amount, rounded half-up to the fen by ``to_money``."""
    return to_fen(from_fen(amount_fen) * ratio)


class CaseInput(NamedTuple):
    case_id: str
    kind: str  # CENTRALIZED (cost over the channels) or NEIGHBOR
    days: int
    days_in_month: int
    monthly_cost_fen: int = 0
    subsidies_fen: Mapping[str, int] = {}  # monthly, by kind (never mutated)
    self_pay_ratio: Decimal = Decimal(0)
    caregiver_subsidy_fen: int = 0  # monthly, neighbour care
    institution: str | None = None  # earmarked donations are matched on it
    cost_fen: int | None = None  # the month's cost when priced in segments (costplan.py)
    integrate: bool = False  # subsidies go to the institution in full (see module doc)


def _triple(values: Iterable[int]) -> tuple[int, int, int]:
    """Amounts in ``SUBSIDY_KINDS`` order (exactly three)."""
    a, b, c = values
    return a, b, c


class CaseSplit(NamedTuple):
    """Who pays what for one case in one month (fen). ``donations_earmarked`` came
    from gifts earmarked for the case's institution, ``donations_pool`` from the
    county pool."""

    case_id: str
    kind: str
    days: int
    days_in_month: int
    cost: int
    subsidies: tuple[int, int, int]  # drawn, in SUBSIDY_KINDS order
    family: int = 0
    donations_earmarked: int = 0
    donations_pool: int = 0
    county: int = 0
    caregiver_subsidy: int = 0

    @property
    def own(self) -> int:
        return sum(self.subsidies)

    @property
    def donations(self) -> int:
        return self.donations_earmarked + self.donations_pool

    @property
    def shortfall(self) -> int:
        """What channels 1 and 2 left (before donations)."""
        return max(self.cost - self.own - self.family - self.caregiver_subsidy, 0)

    @property
    def excess(self) -> int:
        """What integrated subsidies paid above the accounted cost (0 otherwise)."""
        return self.own + self.family + self.donations + self.county + \
            self.caregiver_subsidy - self.cost

    def channels(self) -> dict[str, int]:
        """By channel as published (the county's caregiver subsidy is county money)."""
        return {"own_subsidies": self.own, "family_share": self.family,
                "donations": self.donations, "county_cover": self.county + self.caregiver_subsidy}

    def balanced(self) -> bool:
        """Every channel non-negative and no excess unless subsidies alone made it."""
        return self.excess == 0 or (self.excess > 0 and self.own - self.excess >= 0
                                    and not (self.family or self.donations or self.county))

    def minus(self, other: CaseSplit) -> CaseSplit:
        """Component-wise difference (an adjustment: what should have been minus booked)."""
        return self._replace(
            cost=self.cost - other.cost,
            subsidies=_triple(a - b for a, b in zip(self.subsidies, other.subsidies, strict=True)),
            family=self.family - other.family,
            donations_earmarked=self.donations_earmarked - other.donations_earmarked,
            donations_pool=self.donations_pool - other.donations_pool,
            county=self.county - other.county,
            caregiver_subsidy=self.caregiver_subsidy - other.caregiver_subsidy)

    def plus(self, other: CaseSplit) -> CaseSplit:
        return self._replace(
            cost=self.cost + other.cost,
            subsidies=_triple(a + b for a, b in zip(self.subsidies, other.subsidies, strict=True)),
            family=self.family + other.family,
            donations_earmarked=self.donations_earmarked + other.donations_earmarked,
            donations_pool=self.donations_pool + other.donations_pool,
            county=self.county + other.county,
            caregiver_subsidy=self.caregiver_subsidy + other.caregiver_subsidy)

    def is_zero(self) -> bool:
        return not (self.cost or any(self.subsidies) or self.family or self.donations
                    or self.county or self.caregiver_subsidy)


def first_channels(case: CaseInput) -> CaseSplit:
    """Channels 1 and 2 (and neighbour care in full); donations and county later."""
    days, dim, subs = case.days, case.days_in_month, case.subsidies_fen
    if days == dim:
        available = [subs.get(k, 0) for k in SUBSIDY_KINDS]
    else:
        available = [prorate_fen(subs.get(k, 0), days, dim) for k in SUBSIDY_KINDS]
    if case.kind == NEIGHBOR:
        care = prorate_fen(case.caregiver_subsidy_fen, days, dim)
        return CaseSplit(case.case_id, case.kind, days, dim, sum(available) + care,
                         _triple(available), 0, 0, 0, 0, care)
    cost = prorate_fen(case.monthly_cost_fen, days, dim) if case.cost_fen is None \
        else case.cost_fen
    if case.integrate:
        drawn, left = list(available), max(cost - sum(available), 0)
    else:
        left, drawn = cost, []
        for amount in available:
            take = min(left, amount)
            drawn.append(take)
            left -= take
    family = min(left, share_fen(left, case.self_pay_ratio)) if left else 0
    return CaseSplit(case.case_id, case.kind, days, dim, cost, _triple(drawn), family, 0, 0,
                     left - family, 0)


def allocate_fen(total: int, weights: Sequence[int]) -> list[int]:
    """``doudi_common.money.allocate`` for whole fen and integer weights, in
    integers (the same largest-remainder split, ties to the lower index; a test
    checks they agree). ``total >= 0``, weights >= 0 with a positive sum."""
    weight_sum = sum(weights)
    quotas = [total * w for w in weights]
    shares = [q // weight_sum for q in quotas]
    left = total - sum(shares)
    if left:
        order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] % weight_sum), i))
        for i in order[:left]:
            shares[i] += 1
    return shares


def allocate_pool(pool_fen: int, shortfalls: Sequence[int]) -> list[int]:
    """Split ``pool_fen`` across ``shortfalls`` pro rata (largest remainder); no
    share exceeds its shortfall; the pool is used up to the sum of shortfalls."""
    need = sum(shortfalls)
    if pool_fen <= 0 or need <= 0:
        return [0] * len(shortfalls)
    if pool_fen >= need:
        return list(shortfalls)
    return allocate_fen(pool_fen, shortfalls)


@dataclass(frozen=True)
class MonthResult:
    splits: list[CaseSplit]
    pool_used: int
    earmarked_used: dict[str, int]


def _donated(s: CaseSplit, earmarked: int, pool: int) -> CaseSplit:
    return CaseSplit(s.case_id, s.kind, s.days, s.days_in_month, s.cost, s.subsidies, s.family,
                     s.donations_earmarked + earmarked, s.donations_pool + pool,
                     s.county - earmarked - pool, s.caregiver_subsidy)


#: cases split between two progress reports of a settlement
PROGRESS_CHUNK = 5000


def settle(cases: Iterable[CaseInput], pool_fen: int = 0,
           earmarked_fen: Mapping[str, int] | None = None,
           progress: Callable[[int], None] | None = None) -> MonthResult:
    """Settle a county's month: every case over the channels in order.

    Cases are ordered by ``case_id`` for the donation allocation, so the result
    does not depend on the order the cases are given in. ``progress(done)``
    hears after each chunk of ``PROGRESS_CHUNK`` cases."""
    cases = sorted(cases, key=lambda c: c.case_id)
    splits: list[CaseSplit] = []
    for start in range(0, len(cases), PROGRESS_CHUNK):
        splits += [first_channels(c) for c in cases[start:start + PROGRESS_CHUNK]]
        if progress is not None:
            progress(len(splits))
    earmarked_used: dict[str, int] = {}
    # (a) gifts earmarked for an institution, across its own centralised shortfalls
    for uscc, amount in sorted((earmarked_fen or {}).items()):
        idx = [i for i, (c, s) in enumerate(zip(cases, splits, strict=True))
               if s.kind == CENTRALIZED and c.institution == uscc and s.county > 0]
        shares = allocate_pool(amount, [splits[i].county for i in idx])
        for i, share in zip(idx, shares, strict=True):
            if share:
                splits[i] = _donated(splits[i], share, 0)
        if sum(shares):
            earmarked_used[uscc] = sum(shares)
    # (b) the county pool across what is still missing
    idx = [i for i, s in enumerate(splits) if s.kind == CENTRALIZED and s.county > 0]
    shares = allocate_pool(pool_fen, [splits[i].county for i in idx])
    for i, share in zip(idx, shares, strict=True):
        if share:
            splits[i] = _donated(splits[i], 0, share)
    return MonthResult(splits, sum(shares), earmarked_used)


def resettle(case: CaseInput, booked: CaseSplit | None) -> CaseSplit:
    """What a case's month should have been with today's facts, for an
    adjustment: donations are not re-allocated — the case keeps at most what it
    was given (earmarked first), the county covers the rest."""
    split = first_channels(case)
    if booked is None or split.kind != CENTRALIZED:
        return split
    earmarked = min(split.county, max(booked.donations_earmarked, 0))
    pool = min(split.county - earmarked, max(booked.donations_pool, 0))
    return split._replace(donations_earmarked=earmarked, donations_pool=pool,
                   county=split.county - earmarked - pool)


def adjustment(case: CaseInput, booked: CaseSplit | None) -> CaseSplit | None:
    """The adjustment to book in a later month, or None when nothing changed."""
    should = resettle(case, booked)
    if booked is None:
        return None if should.is_zero() else should
    delta = should.minus(booked)
    return None if delta.is_zero() else delta


def yuan(fen: int) -> Decimal:
    return from_fen(fen)


def county_of(division_code: str) -> str:
    """The county a division lies in (its first six digits): settlements are per county."""
    return division_code[:6]


def settlement_id_for(county: str, month: str) -> str:
    return f"ST-{county}-{month}"


def check_month_over(month: str, current_month: str) -> None:
    """A month is settled once it is over."""
    if month >= current_month:
        raise Conflict("只能结算已结束的月份", reason="month_not_over", month=month)
