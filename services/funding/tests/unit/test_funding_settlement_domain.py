"""Settlement arithmetic (pure domain): properties and worked examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from doudi_funding.domain.days import days_in_care, days_in_month
from doudi_funding.domain.ledger import settlement_postings
from doudi_funding.domain.packs import self_pay_ratio
from doudi_funding.domain.settlement import (
    CENTRALIZED,
    NEIGHBOR,
    CaseInput,
    adjustment,
    allocate_pool,
    first_channels,
    settle,
)
from doudi_funding.policy import pack_for
from hypothesis import given, settings
from hypothesis import strategies as st

fen = st.integers(min_value=0, max_value=2_000_000)
ratios = st.sampled_from([Decimal(x) for x in ("0", "0.1", "0.2", "0.3", "0.333", "0.5", "1")])


@st.composite
def case_inputs(draw, idx=None):
    dim = draw(st.sampled_from([28, 29, 30, 31]))
    kind = draw(st.sampled_from([CENTRALIZED, CENTRALIZED, CENTRALIZED, NEIGHBOR]))
    return CaseInput(
        case_id=f"C{draw(st.integers(0, 10**6)):07d}", kind=kind,
        days=draw(st.integers(0, dim)), days_in_month=dim,
        monthly_cost_fen=draw(fen),
        subsidies_fen={"dibao": draw(fen), "disabled_living_allowance": draw(fen),
                       "severe_disability_nursing_subsidy": draw(fen)},
        self_pay_ratio=draw(ratios), caregiver_subsidy_fen=draw(fen),
        institution=draw(st.sampled_from(["I1", "I2", None])))


months = st.lists(case_inputs(), min_size=0, max_size=25, unique_by=lambda c: c.case_id)


@settings(max_examples=200, deadline=None)
@given(months, fen, st.dictionaries(st.sampled_from(["I1", "I2", "I3"]), fen, max_size=3))
def test_every_case_balances_and_channels_are_in_order(cases, pool, earmarked):
    result = settle(cases, pool, earmarked)
    assert len(result.splits) == len(cases)
    by_id = {c.case_id: c for c in cases}
    for split in result.splits:
        assert split.balanced()
        assert min(split.subsidies) >= 0 and split.family >= 0 and split.donations >= 0 \
            and split.county >= 0
        case = by_id[split.case_id]
        if split.kind == CENTRALIZED:
            alone = first_channels(case)
            # channel 1 draws what it can; each later channel pays only what earlier left
            assert split.own == alone.own
            assert split.family == alone.family <= split.cost - split.own
            assert split.donations <= split.cost - split.own - split.family
            assert split.county == split.cost - split.own - split.family - split.donations
            # a subsidy kind is drawn only when the earlier kinds did not cover the cost
            for k in range(1, 3):
                if split.subsidies[k]:
                    assert sum(split.subsidies[:k]) < split.cost
        else:
            assert split.family == split.donations == split.county == 0
    assert result.pool_used <= pool
    assert sum(s.donations_pool for s in result.splits) == result.pool_used
    for uscc, used in result.earmarked_used.items():
        assert used <= earmarked[uscc]


@settings(max_examples=200, deadline=None)
@given(months, fen)
def test_sum_of_allocations_equals_the_cost_to_the_fen(cases, pool):
    result = settle(cases, pool)
    assert sum(s.cost for s in result.splits) == sum(
        s.own + s.family + s.donations + s.county + s.caregiver_subsidy for s in result.splits)
    for split in result.splits:
        postings = settlement_postings(split, "341502", id_number="X", payee="P")
        assert sum(p.amount for p in postings) == 0


@settings(max_examples=100, deadline=None)
@given(months, fen)
def test_rerun_is_idempotent_and_order_independent(cases, pool):
    first = settle(cases, pool)
    again = settle(list(reversed(cases)), pool)
    assert first == again
    # re-settling with the same facts needs no adjustment
    by_id = {c.case_id: c for c in cases}
    for split in first.splits:
        assert adjustment(by_id[split.case_id], split) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), max_size=30))
def test_donation_pool_allocation(pool, shortfalls):
    shares = allocate_pool(pool, shortfalls)
    assert sum(shares) == min(pool, sum(shortfalls))
    assert all(0 <= s <= need for s, need in zip(shares, shortfalls, strict=True))


# -- worked examples ------------------------------------------------------------

def luan_resident(days=31, dim=31, ratio=Decimal("0.30")) -> CaseInput:
    """luan-2021 §三(四): a semi-incapacitated (半失能) rural dibao resident with
    both disability subsidies. Cost plan: bed 400 + nursing (partial) 600 + meals
    600 + rehab 150 + supplies 100 + overhead 150 = 2000.00 a month."""
    return CaseInput("PL-LUAN-1", CENTRALIZED, days, dim, monthly_cost_fen=200000,
                     subsidies_fen={"dibao": 56000, "disabled_living_allowance": 8000,
                                    "severe_disability_nursing_subsidy": 10000},
                     self_pay_ratio=ratio, institution="12341500MB1234567G")


def test_luan_dibao_resident_with_two_disability_subsidies_and_30_percent():
    result = settle([luan_resident()], pool_fen=0)
    split = result.splits[0]
    assert split.cost == 200000
    assert split.subsidies == (56000, 8000, 10000)      # own = 740.00, merged to the institution
    assert split.family == 37800                          # 30 % of the 1260.00 left
    assert split.donations == 0
    assert split.county == 88200                          # the county covers 882.00
    # with 300.00 in the county donation pool, donations come before the county
    split = settle([luan_resident()], pool_fen=30000).splits[0]
    assert (split.family, split.donations, split.county) == (37800, 30000, 58200)


def test_luan_2021_s3_4_ratio_from_the_one_county_parameter():
    """luan-2021 §三(四)二 群众自付部分费用……分类、合理确定个人付费比例: the bands are
    the county's, kept once (the pack's parameters) and the same as
    eligibility's (issue 17 item 11)."""
    from doudi_contracts.local_parameters import band_for, copay_bands
    from doudi_contracts.policy import parameter

    pack = pack_for("341502")
    assert pack.name == "luan-2021"
    ratio, band = self_pay_ratio(pack, Decimal(2400))  # household 7200 / 3 persons
    assert (ratio, band) == (Decimal("0.30"), "D")
    assert self_pay_ratio(pack, Decimal(500))[0] == Decimal("0.00")
    assert self_pay_ratio(pack, Decimal("500.01"))[0] == Decimal("0.10")
    shared_bands = copay_bands(parameter("luan-2021", "copay_bands"))
    assert pack.self_pay_bands == shared_bands
    for income in ("0", "500", "800", "1000.01", "2000", "9999"):
        shared = band_for(shared_bands, income)
        assert (shared.share, shared.band) == self_pay_ratio(pack, Decimal(income))


@pytest.mark.parametrize("county", ["410928", "360104", "620102", "330106"])
def test_no_family_payment_where_the_document_asks_none(county):
    """Only luan-2021 §三(四)二 has families pay a share; puyang-2020 §六 funds
    centralised care from department funds, charity and county finance, and
    qingyunpu, lanzhou and hangzhou ask no family payment (issue 17 item 7)."""
    pack = pack_for(county)
    assert pack.self_pay_bands == ()
    assert self_pay_ratio(pack, Decimal(9000)) == (Decimal("0.00"), "no table")


def test_puyang_neighbour_care_pays_the_caregiver():
    """puyang-2020 §五 §六: subsidies to the caregiver as living money plus the
    county caregiver subsidy every month; no family share, no donations."""
    pack = pack_for("410928")
    assert pack.name == "puyang-2020"
    case = CaseInput("NB-1", NEIGHBOR, 30, 30,
                     subsidies_fen={"dibao": 45000, "severe_disability_nursing_subsidy": 10000},
                     caregiver_subsidy_fen=int(pack.caregiver_subsidy_monthly * 100))
    split = settle([case], pool_fen=10**7).splits[0]
    assert split.own == 55000 and split.caregiver_subsidy == 30000
    assert split.cost == 85000 and split.family == split.donations == split.county == 0
    postings = settlement_postings(split, "410928", id_number="P", payee="CAREGIVER")
    paid = {p.account: p.amount for p in postings if p.account.startswith("payable")}
    assert paid == {"payable:410928:living_money": -55000,
                    "payable:410928:caregiver_subsidy": -30000}


def test_mid_month_admission_and_death_are_prorated():
    month = "2026-03"
    assert days_in_month(month) == 31
    admitted = days_in_care(month, date(2026, 3, 10), None)          # 10th..31st
    died = days_in_care(month, date(2026, 3, 10), date(2026, 3, 20))  # 10th..20th
    assert (admitted, died) == (22, 11)
    split = settle([luan_resident(days=admitted)]).splits[0]
    assert split.cost == 141935                      # 2000 * 22 / 31 = 1419.354.. -> 1419.35
    assert split.subsidies == (39742, 5677, 7097)     # 560*22/31=397.419.., 56.774.., 70.967..
    assert split.family == share(141935 - 39742 - 5677 - 7097)
    assert split.balanced()
    split = settle([luan_resident(days=died)]).splits[0]
    assert split.cost == 70968                       # 2000 * 11 / 31 = 709.677.. -> 709.68
    assert split.balanced()
    assert days_in_care(month, date(2026, 2, 1), date(2026, 2, 28)) == 0


def share(left):
    return int((Decimal(left) * Decimal("0.30")).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def test_late_fact_gives_an_adjustment_not_an_edit():
    booked = settle([luan_resident()], pool_fen=30000).splits[0]
    later = CaseInput(**{**luan_resident()._asdict(), "subsidies_fen": {
        "dibao": 56000, "disabled_living_allowance": 8000,
        "severe_disability_nursing_subsidy": 20000}})
    delta = adjustment(later, booked)
    assert delta is not None and delta.balanced()
    assert delta.cost == 0 and delta.subsidies == (0, 0, 10000)
    assert delta.family == -3000          # 30 % of 100.00 less
    assert delta.donations == 0            # donations are not re-allocated
    assert delta.county == -7000


@pytest.mark.parametrize("division,name", [("330102", "hangzhou-2024"), ("360104",
                                                                         "qingyunpu-2021"),
                                           ("620102", "lanzhou-2021"), ("110101", "luan-2021")])
def test_pack_by_division(division, name):
    assert pack_for(division).name == name


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**8), st.lists(st.integers(0, 10**6), min_size=1, max_size=30)
       .filter(lambda w: sum(w) > 0))
def test_integer_allocation_agrees_with_money_allocate(total, weights):
    from doudi_common.money import allocate, to_fen
    from doudi_funding.domain.settlement import allocate_fen

    assert allocate_fen(total, weights) == [to_fen(a) for a in allocate(Decimal(total) / 100,
                                                                         weights)]


def test_hospital_absence_rule():
    from doudi_funding.domain.days import charged_days, hospital_days

    stays = [(date(2026, 3, 5), date(2026, 3, 20))]       # 6th..19th in hospital: 14 days
    assert hospital_days("2026-03", date(2026, 1, 1), None, stays) == 14
    assert hospital_days("2026-03", date(2026, 3, 10), None, stays) == 10
    assert hospital_days("2026-03", date(2026, 1, 1), None, [(date(2026, 3, 30), None)]) == 1
    assert charged_days(31, 14, None) == 31     # no document reduces the charge: bed kept
    assert charged_days(31, 14, 10) == 27       # a pack charging the first 10 days only
    assert pack_for("341502").hospital_free_days is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 31), st.integers(0, 500_000)), min_size=1, max_size=4),
       st.integers(1, 31), st.one_of(st.none(), st.integers(1, 31)))
def test_price_segments_cost_the_days_once(changes, start_day, end_day):
    from doudi_funding.domain.costplan import month_cost

    first, last = date(2026, 3, 1), date(2026, 3, 31)
    segs = sorted({date(2026, 3, d): p for d, p in [(1, changes[0][1])] + changes}.items())
    start = date(2026, 3, start_day)
    end = None if end_day is None else date(2026, 3, max(end_day, start_day))
    cost = month_cost(segs, start, end, first, last)
    if len({p for _, p in segs}) == 1:      # one price all month: plain proration
        days = days_in_care("2026-03", start, end)
        assert cost == int(Decimal(segs[0][1] * days) / 31 + Decimal("0.5"))
    # never more than the dearest price for the whole month, never negative
    assert 0 <= cost <= max(p for _, p in segs) + len(segs)


def test_progress_is_heard_after_each_chunk_and_changes_nothing(monkeypatch):
    from doudi_funding.domain import settlement as domain

    monkeypatch.setattr(domain, "PROGRESS_CHUNK", 3)
    cases = [luan_resident()._replace(case_id=f"PL-{i:02d}") for i in range(7)]
    heard: list[int] = []
    with_progress = settle(cases, 100_000, progress=heard.append)
    assert heard == [3, 6, 7]
    assert with_progress == settle(cases, 100_000)


def test_luan_2021_s3_4_1_subsidies_are_integrated_in_full_to_the_institution():
    """luan-2021 §三(四)一 整合入住对象个人实际享受的……生活和护理补助类资金,按月拨付至养护机构;
    puyang-2020 §四(四) 全部整合到集中照料机构集中使用: the nursing subsidy is drawn even
    when the others cover the cost, and what exceeds the cost is shown (issue 17 item 8)."""
    from doudi_funding.domain.ledger import settlement_postings
    from doudi_funding.domain.settlement import CaseInput, first_channels

    subs = {"dibao": 60000, "disabled_living_allowance": 30000,
            "severe_disability_nursing_subsidy": 40000}
    for county in ("341502", "410928"):
        pack = pack_for(county)
        assert pack.integration_clause and "机构" in pack.integration_excess
        case = CaseInput("PL-1", "centralized", 31, 31, 100000, subs, Decimal("0.30"),
                         integrate=bool(pack.integration_clause))
        split = first_channels(case)
        assert split.subsidies == (60000, 30000, 40000) and split.excess == 30000
        assert (split.family, split.county) == (0, 0) and split.balanced()
        postings = settlement_postings(split, county, id_number="x", payee="INST")
        assert sum(p.amount for p in postings) == 0
        assert [p.amount for p in postings if p.account.startswith("payable")] == [-130000]
    # hangzhou sets no integration: drawn up to the cost, the rest stays with the person
    kept = first_channels(CaseInput("PL-2", "centralized", 31, 31, 100000, subs))
    assert kept.subsidies == (60000, 30000, 10000) and kept.excess == 0
    assert pack_for("330102").integration_clause == ""
