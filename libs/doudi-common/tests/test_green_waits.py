"""Under eventlet (the services; this test process is patched by the root
conftest), a PostgreSQL query lets the process's other green threads run while
it waits (``doudi_common.db.green_waits``) instead of stopping them all."""

from __future__ import annotations

import eventlet
import psycopg.waiting
import sqlalchemy as sa
from doudi_common.db import make_engine


def test_other_green_threads_run_while_a_query_waits(make_db):
    engine = make_engine(make_db(None), poolclass=sa.pool.NullPool)
    assert psycopg.waiting.wait is psycopg.waiting.wait_select
    ticks = [0]

    def tick():
        while True:
            ticks[0] += 1
            eventlet.sleep(0.01)

    ticker = eventlet.spawn(tick)
    try:
        eventlet.sleep(0.03)
        with engine.connect() as conn:
            before = ticks[0]
            assert conn.execute(sa.text("SELECT pg_sleep(0.4), 7")).one()[1] == 7
            during = ticks[0] - before
    finally:
        ticker.kill()
        engine.dispose()
    # a blocking wait lets the ticker run at most once; 40 ticks fit in 0.4 s
    assert during >= 15
