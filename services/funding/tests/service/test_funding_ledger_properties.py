"""Property test of the storage path (SQLite, one migrated template copied per
example): whatever the month's cases, the stored settlement equals the domain's,
every ledger transaction balances, channels sum to the cost, reconciliation is
zero, and settling again changes nothing."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_funding.domain.settlement import CaseInput, settle
from doudi_funding.models import cases, ledger_entries, metadata, person_subsidies, self_pay_ratios
from doudi_funding.store import reports
from doudi_funding.store.facts import load_facts
from doudi_funding.store.settlement import donation_balances, settle_county_month
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NOW = datetime.fromisoformat("2026-04-03T09:00:00+08:00")
INSTS = ("12341500MB1234567G", "52341502MJ0012345T")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("funding") / "template.db"
    core = DatabaseCore(f"sqlite:///{path}", "doudi_funding", "funding", metadata)
    core.migrate()
    core.dispose()
    return path


case_rows = st.lists(st.tuples(
    st.integers(1, 28), st.one_of(st.none(), st.integers(1, 31)),   # start day, end day
    st.integers(0, 500_000),                                          # monthly price, fen
    st.integers(0, 80_000), st.integers(0, 20_000), st.integers(0, 20_000),
    st.sampled_from(["0.00", "0.10", "0.30", "0.50"]), st.sampled_from(INSTS)),
    max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_rows, st.integers(0, 300_000))
def test_stored_settlement_balances_and_matches_the_domain(template, tmp_path, rows, pool):
    path = tmp_path / f"f{abs(hash((tuple(rows), pool)))}.db"
    shutil.copy(template, path)
    core = DatabaseCore(f"sqlite:///{path}", "doudi_funding", "funding", metadata)
    try:
        with core.unit_of_work() as uow:
            s = uow.session
            if pool:
                s.execute(sa.insert(ledger_entries), [
                    {"txn_id": "DON:x", "account": "cash:341502", "amount_fen": pool},
                    {"txn_id": "DON:x", "account": "donations:341502", "amount_fen": -pool}])
                s.execute(sa.text("INSERT INTO ledger_txns (txn_id, cause, county, month, memo,"
                                  " created_at) VALUES ('DON:x', 'donation', '341502',"
                                  " '2026-03', '', :now)"), {"now": NOW})
            for n, (start, end, price, dibao, dla, sdns, ratio, inst) in enumerate(rows):
                person = f"34150219500101{n:04d}"
                end_date = date(2026, 3, max(end, start)) if end else None
                s.execute(sa.insert(cases).values(
                    case_id=f"PL-{n:03d}", kind="centralized", id_number=person,
                    division_code="341502001", county="341502", institution_uscc=inst,
                    monthly_price_fen=price, start_date=date(2026, 3, start), end_date=end_date,
                    updated_at=NOW))
                for kind, amount in (("dibao", dibao), ("disabled_living_allowance", dla),
                                     ("severe_disability_nursing_subsidy", sdns)):
                    if amount:
                        s.execute(sa.insert(person_subsidies).values(
                            id_number=person, kind=kind, monthly_fen=amount,
                            from_month="2026-01", recorded_at=NOW))
                s.execute(sa.insert(self_pay_ratios).values(
                    id_number=person, from_month="2026-01", ratio=ratio, reason="t",
                    recorded_at=NOW))
        with core.unit_of_work() as uow:
            facts = load_facts(uow.session, "341502", "2026-03")
            expected = settle([f.case for f in facts], *donation_balances(uow.session, "341502"))
        with core.unit_of_work() as uow:
            run, rerun = settle_county_month(uow, "341502", "2026-03", NOW)
        assert not rerun and run["cases"] == len(rows)
        with core.unit_of_work() as uow:
            s = uow.session
            stored = {r.case_id: (r.cost_fen, r.dibao_fen + r.dla_fen + r.sdns_fen, r.family_fen,
                                  r.don_earmarked_fen + r.don_pool_fen, r.county_fen)
                      for r in s.execute(sa.text("SELECT * FROM case_settlements"))}
            assert stored == {x.case_id: (x.cost, x.own, x.family, x.donations, x.county)
                              for x in expected.splits}
            # luan-2021 §三(四)一 integrates the subsidies in full: cost, or less than
            # what the subsidies alone paid (the excess, with nothing else drawn)
            assert all(c == o + f + d + t or (c < o and f == d == t == 0)
                       for c, o, f, d, t in stored.values())
            assert s.execute(sa.text("SELECT count(*) FROM (SELECT txn_id FROM ledger_entries "
                                     "GROUP BY txn_id HAVING sum(amount_fen) <> 0)")) \
                .scalar_one() == 0
            assert reports.reconciliation(s, None, None)["ok"]
            before = s.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar_one()
        with core.unit_of_work() as uow:
            again, rerun = settle_county_month(uow, "341502", "2026-03", NOW)
            assert rerun and again["total_fen"] == run["total_fen"]
            assert uow.session.execute(sa.text("SELECT count(*) FROM ledger_entries")) \
                .scalar_one() == before
    finally:
        core.dispose()


def test_case_input_defaults_are_not_shared():
    a = CaseInput("A", "centralized", 31, 31)
    assert a.subsidies_fen == {} and a.cost_fen is None
