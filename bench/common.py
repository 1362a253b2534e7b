"""Helpers for benchmarks: timing and a throw-away PostgreSQL database."""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("DOUDI_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class Stopwatch:
    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t


@contextmanager
def scratch_database(package: str | None = None):
    """A fresh PostgreSQL database (migrated for ``package``), dropped afterwards."""
    from doudi_common.db import make_engine, migrate

    admin = make_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    name = f"doudi_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        if package:
            migrate(package, url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def report(name: str, count: int, seconds: float, baseline_seconds: float, unit: str) -> dict:
    rate = count / seconds if seconds else float("inf")
    base_rate = count / baseline_seconds if baseline_seconds else float("inf")
    ratio = seconds / baseline_seconds if baseline_seconds else float("inf")
    print(f"{name}: {count} {unit} in {seconds:.2f}s = {rate:,.0f} {unit}/s; "
          f"baseline {baseline_seconds:.2f}s ({base_rate:,.0f}/s); ratio {ratio:.2f}x", flush=True)
    return {"count": count, "seconds": round(seconds, 3), "rate": round(rate, 1),
            "baseline_seconds": round(baseline_seconds, 3), "ratio": round(ratio, 3)}
