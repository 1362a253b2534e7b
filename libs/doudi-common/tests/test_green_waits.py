"""Under eventlet (the services; this test process is patched by the root
conftest), a PostgreSQL query lets the process's other green threads run while
it waits (``doudi_common.db.green_wait``) instead of stopping them all — and
what the socket has ready already is taken without a trip through the hub."""

from __future__ import annotations

import eventlet
import psycopg.waiting
import sqlalchemy as sa
from doudi_common.db import green_wait, make_engine
from eventlet.green import select as green_select


def test_other_green_threads_run_while_a_query_waits(make_db):
    engine = make_engine(make_db(None), poolclass=sa.pool.NullPool)
    assert psycopg.waiting.wait is green_wait()
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


def test_a_pipelined_batch_waits_in_the_hub_only_when_nothing_is_ready(make_db, monkeypatch):
    engine = make_engine(make_db(None), poolclass=sa.pool.NullPool)
    selects = [0]
    real_select = green_select.select

    def counting(*args, **kwargs):
        selects[0] += 1
        return real_select(*args, **kwargs)

    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TEMP TABLE t (n int, s text)"))
            # eventlet's select, as this module reaches it and as the patched
            # standard module holds it (psycopg's wait_select)
            monkeypatch.setattr(green_select, "select", counting)
            monkeypatch.setattr(psycopg.waiting.select, "select", counting)
            conn.execute(sa.text("INSERT INTO t VALUES (:n, :s)"),
                         [{"n": i, "s": "x" * 40} for i in range(500)])
            monkeypatch.undo()
            assert conn.execute(sa.text("SELECT count(*), sum(n) FROM t")).one() == (
                500, sum(range(500)))
    finally:
        engine.dispose()
    # psycopg's wait_select went through the hub at every step of the pipeline
    # (over a thousand selects for 500 rows); here only when the socket was
    # not ready yet
    assert selects[0] < 100
