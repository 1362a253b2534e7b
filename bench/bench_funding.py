"""Monthly settlement on PostgreSQL: 100,000 placements in one county settled
for one month (channels in order, ledger rows, payouts, events in the outbox),
against a bare ``INSERT ... SELECT`` of the same number of ledger rows into the
same table in the same run.

Target (issue 6): under 20 s on this machine and a ratio under 3.
"""

from __future__ import annotations

import os
from datetime import datetime

import sqlalchemy as sa
from stdnum.cn import uscc

from bench.common import Stopwatch, report, scratch_database

N = int(os.environ.get("BENCH_FUNDING_PLACEMENTS", "100000"))
INSTITUTIONS = 500
COUNTY = "341502"
MONTH = "2026-03"


def institution_codes(n: int) -> list[str]:
    out = []
    for i in range(n):
        base = f"52{COUNTY}MJ{i:07d}"[:17]
        out.append(base + uscc.calc_check_digit(base))
    return out


def seed(engine, n: int) -> None:
    """n placements (1 in 10 admitted mid-month, 1 in 50 died mid-month); every
    person has dibao, half the disability allowance, a third the nursing
    subsidy; ratios from the means table; a donation pool. Set-based."""
    codes = institution_codes(INSTITUTIONS)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE inst (i int, uscc text)"))
        conn.execute(sa.text("INSERT INTO inst VALUES (:i, :u)"),
                     [{"i": i, "u": u} for i, u in enumerate(codes)])
        conn.execute(sa.text("""
            INSERT INTO cases (case_id, kind, id_number, division_code, county,
                               institution_uscc, monthly_price_fen, start_date, end_date,
                               end_reason, updated_at)
            SELECT 'PL-' || lpad(g::text, 7, '0'), 'centralized',
                   '3415021950' || lpad(g::text, 8, '0'), '341502001001', :county,
                   inst.uscc, 150000 + (g % 7) * 10000,
                   CASE WHEN g % 10 = 0 THEN DATE '2026-03-10' ELSE DATE '2025-06-01' END,
                   CASE WHEN g % 50 = 1 THEN DATE '2026-03-20' END,
                   CASE WHEN g % 50 = 1 THEN 'deceased' END, now()
            FROM generate_series(1, :n) g JOIN inst ON inst.i = g % :k
        """), {"n": n, "k": INSTITUTIONS, "county": COUNTY})
        conn.execute(sa.text("""
            INSERT INTO person_subsidies (id_number, kind, monthly_fen, from_month, recorded_at)
            SELECT '3415021950' || lpad(g::text, 8, '0'), 'dibao', 56000, '2025-01', now()
            FROM generate_series(1, :n) g
            UNION ALL
            SELECT '3415021950' || lpad(g::text, 8, '0'), 'disabled_living_allowance', 8000,
                   '2025-01', now() FROM generate_series(1, :n) g WHERE g % 2 = 0
            UNION ALL
            SELECT '3415021950' || lpad(g::text, 8, '0'), 'severe_disability_nursing_subsidy',
                   10000, '2025-01', now() FROM generate_series(1, :n) g WHERE g % 3 = 0
        """), {"n": n})
        conn.execute(sa.text("""
            INSERT INTO self_pay_ratios (id_number, from_month, ratio, reason, recorded_at)
            SELECT '3415021950' || lpad(g::text, 8, '0'), '2025-01',
                   (ARRAY['0.00', '0.10', '0.20', '0.30', '0.50'])[g % 5 + 1], 'bench', now()
            FROM generate_series(1, :n) g
        """), {"n": n})
        conn.execute(sa.text("""
            INSERT INTO ledger_txns (txn_id, cause, county, month, memo, created_at)
            VALUES ('DON:bench', 'donation', :county, '2026-03', '', now())"""),
                     {"county": COUNTY})
        conn.execute(sa.text("""
            INSERT INTO ledger_entries (txn_id, account, party, amount_fen) VALUES
            ('DON:bench', 'cash:' || :county, NULL, 50000000),
            ('DON:bench', 'donations:' || :county, NULL, -50000000)"""), {"county": COUNTY})
        conn.execute(sa.text("ANALYZE"))


def main() -> dict:
    from doudi_common.db import DatabaseCore
    from doudi_funding.models import metadata
    from doudi_funding.store.settlement import settle_county_month

    with scratch_database("doudi_funding") as url:
        core = DatabaseCore(url, "doudi_funding", "funding", metadata)
        try:
            seed(core.engine, N)
            now = datetime.fromisoformat("2026-04-03T09:00:00+08:00")
            with Stopwatch() as settle_time, core.unit_of_work() as uow:
                run, rerun = settle_county_month(uow, COUNTY, MONTH, now)
            assert not rerun and run["cases"] == N, run
            with core.engine.connect() as conn:
                rows = conn.execute(sa.text(
                    "SELECT count(*) FROM ledger_entries e JOIN ledger_txns t "
                    "ON t.txn_id = e.txn_id WHERE t.settlement_id = :sid"),
                    {"sid": run["settlement_id"]}).scalar_one()
                unbalanced = conn.execute(sa.text(
                    "SELECT count(*) FROM (SELECT txn_id FROM ledger_entries GROUP BY txn_id "
                    "HAVING sum(amount_fen) <> 0) x")).scalar_one()
            assert unbalanced == 0
            # baseline: the same number of ledger rows, bare INSERT ... SELECT, same table
            with Stopwatch() as baseline, core.engine.begin() as conn:
                conn.execute(sa.text("""
                        INSERT INTO ledger_entries (txn_id, account, party, id_number, case_id,
                                                    amount_fen)
                        SELECT 'B:' || g, 'baseline:' || (g % 11), NULL,
                               '3415021950' || lpad(g::text, 8, '0'), 'PL-' || g, g
                        FROM generate_series(1, :n) g"""), {"n": rows})
            result = report("funding settlement", N, settle_time.seconds, baseline.seconds,
                            "placements")
            result.update({"ledger_rows": rows, "payouts": run["payouts"],
                           "total": str(run["total_fen"] / 100),
                           "target_seconds": 20, "target_ratio": 3})
            return result
        finally:
            core.dispose()


if __name__ == "__main__":
    main()
