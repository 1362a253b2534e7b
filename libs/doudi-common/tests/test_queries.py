"""The suite's one counter (``doudi_common.queries.next_number``) on the real
PostgreSQL: concurrent *first* calls — nobody has created the row yet — still
hand out 1..N, each once. The callers are separate processes (no eventlet),
each holding its transaction open a moment so they really overlap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import sqlalchemy as sa
from doudi_common.db import make_engine

CALLER = textwrap.dedent("""
    import sys, time
    import sqlalchemy as sa
    from doudi_common.db import make_engine
    from doudi_common.queries import add_counters, next_number
    from sqlalchemy.orm import Session

    url, start = sys.argv[1], float(sys.argv[2])
    table = add_counters(sa.MetaData())
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    while time.time() < start:
        time.sleep(0.005)
    with Session(engine) as session, session.begin():
        number = next_number(session, table, "card:620102001")
        time.sleep(0.3)  # hold the row lock while the others arrive
    print(number)
""")


def test_concurrent_first_calls_get_distinct_numbers(make_db):
    import time

    from doudi_common.queries import add_counters

    url = make_db(None)
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    add_counters(sa.MetaData()).metadata.create_all(engine)
    start = time.time() + 2.0
    callers = [subprocess.Popen([sys.executable, "-c", CALLER, url, str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(6)]
    results = [c.communicate(timeout=60) for c in callers]
    assert all(c.returncode == 0 for c in callers), [err[-800:] for _, err in results]
    assert sorted(int(out) for out, _ in results) == [1, 2, 3, 4, 5, 6]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM counters")).scalar_one() == 6
    engine.dispose()
