"""A write that lost a race (a unique violation) is told apart from other
database errors, on real PostgreSQL and SQLite: events are handled again
(``test_batches.py``), RPC callers get a 409 ``concurrent_write``."""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa
from doudi_common.entrypoints.outcomes import as_reply_error, is_contention
from doudi_common.errors import Conflict, TransientError
from doudi_common.testing.fixtures import PG_ADMIN_URL

SETUP = ["CREATE TEMP TABLE parent (id int PRIMARY KEY)",
         "CREATE TEMP TABLE child (id int PRIMARY KEY, name text NOT NULL,"
         " parent int REFERENCES parent(id))",
         "INSERT INTO child VALUES (1, 'a', NULL)"]
CASES = {"unique": ("INSERT INTO child VALUES (1, 'b', NULL)", True),
         "not_null": ("INSERT INTO child VALUES (2, NULL, NULL)", False),
         "foreign_key": ("INSERT INTO child VALUES (3, 'c', 99)", False)}


@pytest.fixture(params=["postgresql", "sqlite"])
def conn(request):
    engine = sa.create_engine(PG_ADMIN_URL if request.param == "postgresql" else "sqlite://")
    with engine.connect() as c:
        if request.param == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys=ON")
        for statement in SETUP:
            c.exec_driver_sql(statement)
        yield c
    engine.dispose()


def _error(conn, statement):
    nested = conn.begin_nested()
    try:
        conn.exec_driver_sql(statement)
    except sa.exc.DBAPIError as exc:
        nested.rollback()
        return exc
    raise AssertionError(f"{statement} did not fail")


@pytest.mark.parametrize("case", CASES)
def test_only_a_unique_violation_is_contention(conn, case):
    statement, expected = CASES[case]
    exc = _error(conn, statement)
    assert isinstance(exc, sa.exc.IntegrityError)
    assert is_contention(exc) is expected


def _exc_info(exc):
    try:
        raise exc
    except type(exc):
        return sys.exc_info()


def test_rpc_callers_get_a_conflict_for_contention_and_503_for_outages(conn):
    reply = as_reply_error(_exc_info(_error(conn, CASES["unique"][0])))
    assert isinstance(reply[1], Conflict)
    assert reply[1].to_dict()["fields"] == {"code": "concurrent_write"}
    not_null = _exc_info(_error(conn, CASES["not_null"][0]))
    assert as_reply_error(not_null) is not_null  # a bug stays what it is
    outage = _exc_info(sa.exc.OperationalError("SELECT 1", {}, OSError("gone")))
    assert isinstance(as_reply_error(outage)[1], TransientError)
    assert as_reply_error(None) is None
