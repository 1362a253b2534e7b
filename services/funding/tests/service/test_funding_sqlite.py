"""``make run`` uses SQLite: the migrations and the set-based settlement path
work there too (the tests otherwise run on PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from doudi_common.db import DatabaseCore
from doudi_funding.models import cases, metadata, person_subsidies
from doudi_funding.store import reports
from doudi_funding.store.settlement import settle_county_month


def test_settlement_on_sqlite(tmp_path):
    core = DatabaseCore(f"sqlite:///{tmp_path / 'funding.db'}", "doudi_funding", "funding",
                        metadata)
    try:
        core.migrate()
        now = datetime.fromisoformat("2026-04-03T09:00:00+08:00")
        with core.unit_of_work() as uow:
            for n, (start, end) in enumerate(((date(2026, 1, 1), None),
                                              (date(2026, 3, 10), date(2026, 3, 20)))):
                uow.session.execute(sa.insert(cases).values(
                    case_id=f"PL-{n}", kind="centralized", id_number=f"34150219500101{n:04d}",
                    division_code="341502001", county="341502",
                    institution_uscc="12341500MB1234567G", monthly_price_fen=200000,
                    start_date=start, end_date=end, updated_at=now))
            uow.session.execute(sa.insert(person_subsidies).values(
                id_number="341502195001010000", kind="dibao", monthly_fen=56000,
                from_month="2026-01", recorded_at=now))
        with core.unit_of_work() as uow:
            run, rerun = settle_county_month(uow, "341502", "2026-03", now)
        assert not rerun and run["cases"] == 2
        # 2000.00 + 2000 * 11/31 (709.68); the dibao 560.00 first, the county the rest
        assert run["total_fen"] == 270968 and run["own_fen"] == 56000
        with core.unit_of_work() as uow:
            assert settle_county_month(uow, "341502", "2026-03", now)[1] is True
            assert reports.reconciliation(uow.session, "341502", None)["ok"]
            assert reports.county_summary(uow.session, "341502", "2026-03", None)["total"] \
                == "2709.68"
        with pytest.raises(sa.exc.DBAPIError), core.unit_of_work() as uow:
            uow.session.execute(sa.text("DELETE FROM ledger_entries"))
    finally:
        core.dispose()


def test_subsidy_grants_keep_one_amount_in_force(tmp_path):
    from doudi_funding.store.facts import grant_subsidy

    core = DatabaseCore(f"sqlite:///{tmp_path / 'f.db'}", "doudi_funding", "funding", metadata)
    try:
        core.migrate()
        now = datetime.fromisoformat("2026-04-03T09:00:00+08:00")
        person = "341502195001010000"
        with core.unit_of_work() as uow:
            for amount, since, until in ((8000, "2026-01", None), (9000, "2026-04", None),
                                         (8500, "2026-03", None), (7000, "2025-06", "2025-12"),
                                         (7500, "2026-06", "2026-07")):
                grant_subsidy(uow.session, id_number=person, kind="disabled_living_allowance",
                              monthly_fen=amount, from_month=since, to_month=until, now=now)
        ps = person_subsidies.c

        def in_force(month):
            with core.unit_of_work() as uow:
                return uow.session.execute(sa.select(ps.monthly_fen).where(
                    ps.from_month <= month,
                    sa.or_(ps.to_month.is_(None), ps.to_month >= month))).scalars().all()
        assert in_force("2025-08") == [7000]
        assert in_force("2026-02") == [8000]
        assert in_force("2026-03") == [8500]
        assert in_force("2026-05") == [8500]      # the later grant for April was superseded
        assert in_force("2026-07") == [7500]      # a closed grant splits the open one
        assert in_force("2026-08") == [8500]
    finally:
        core.dispose()
