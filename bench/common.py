"""Helpers for benchmarks: timing and a throw-away PostgreSQL database."""

from __future__ import annotations

import time
from contextlib import contextmanager

from doudi_common.testing.fixtures import PG_ADMIN_URL, PgDatabases


class Stopwatch:
    """``with Stopwatch() as s:`` times a block; ``with s.lap():`` adds a block's
    time to ``s.seconds`` (a measured path interleaved with its baseline)."""

    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t

    @contextmanager
    def lap(self):
        started = time.perf_counter()
        try:
            yield self
        finally:
            self.seconds += time.perf_counter() - started


@contextmanager
def scratch_database(package: str | None = None):
    """A fresh PostgreSQL database (migrated for ``package``), dropped afterwards —
    the same machinery the tests use."""
    databases = PgDatabases(PG_ADMIN_URL)
    try:
        yield databases.fresh(package)
    finally:
        databases.drop_all()


def report(name: str, count: int, seconds: float, baseline_seconds: float, unit: str) -> dict:
    rate = count / seconds if seconds else float("inf")
    base_rate = count / baseline_seconds if baseline_seconds else float("inf")
    ratio = seconds / baseline_seconds if baseline_seconds else float("inf")
    print(f"{name}: {count} {unit} in {seconds:.2f}s = {rate:,.0f} {unit}/s; "
          f"baseline {baseline_seconds:.2f}s ({base_rate:,.0f}/s); ratio {ratio:.2f}x", flush=True)
    return {"count": count, "seconds": round(seconds, 3), "rate": round(rate, 1),
            "baseline_seconds": round(baseline_seconds, 3), "ratio": round(ratio, 3)}


def unique_person(rnd, region: str, seen: set[str], years: tuple[int, int]):
    """A random person's (ID number, birth date) in ``region``, born in
    ``years`` (inclusive), whose number is not in ``seen`` (then added)."""
    from datetime import date

    from doudi_common.testing.idnumbers import make_id_number

    while True:
        born = date(rnd.randint(*years), rnd.randint(1, 12), rnd.randint(1, 28))
        id_number = make_id_number(region, born.strftime("%Y%m%d"), rnd.randint(0, 499),
                                   female=rnd.random() < 0.5)
        if id_number not in seen:
            seen.add(id_number)
            return id_number, born
