"""The batch helpers of ``doudi_common.queries`` on the real PostgreSQL and on
SQLite (``make run``): ``bulk_insert`` (COPY on PostgreSQL) keeps the rows, their
types and their order (a serial column follows it); ``any_of`` finds exactly
the rows of the values given, and on PostgreSQL keeps one statement text for
any number of values and hashes them even once prepared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from doudi_common.db import make_engine
from doudi_common.queries import any_of, built_once, bulk_insert, insert_rows
from sqlalchemy.orm import Session

metadata = sa.MetaData()
rows_table = sa.Table(
    "batch_rows", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(18), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=True),
    sa.Column("on", sa.Date, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("note", sa.Text, nullable=True))


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, tmp_path):
    url = request.getfixturevalue("make_db")(None) if request.param == "postgresql" \
        else f"sqlite:///{tmp_path / 'batch.db'}"
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _rows(n: int) -> list[dict]:
    return [{"code": f"C{i:05d}", "amount": Decimal(i) / 100 if i % 3 else None,
             "on": date(2026, 1, 1 + i % 28), "at": datetime(2026, 1, 1, 8, i % 60, tzinfo=UTC),
             "note": "含\t制表符与\n换行" if i % 7 == 0 else None} for i in range(n)]


def test_bulk_insert_keeps_rows_types_and_order(engine):
    rows = _rows(300)
    with Session(engine) as session, session.begin():
        bulk_insert(session, rows_table, rows)
        # tuples in a given column order too
        bulk_insert(session, rows_table, [("Z1", Decimal("1.50"), None, None, None)],
                    ("code", "amount", "on", "at", "note"))
    with engine.connect() as conn:
        got = [dict(r._mapping) for r in conn.execute(
            sa.select(rows_table).order_by(rows_table.c.seq))]
    assert [r["seq"] for r in got] == sorted(r["seq"] for r in got)
    assert [r["code"] for r in got] == [r["code"] for r in rows] + ["Z1"]
    for want, have in zip(rows, got, strict=False):
        assert (have["amount"], have["on"], have["note"]) == \
            (want["amount"], want["on"], want["note"])
        assert have["at"].replace(tzinfo=have["at"].tzinfo or UTC) == want["at"]
    assert got[-1]["amount"] == Decimal("1.50")


def test_any_of_finds_exactly_the_values_given_however_many(engine):
    with Session(engine) as session, session.begin():
        bulk_insert(session, rows_table, _rows(1000))
    texts = set()
    with Session(engine) as session:
        # past psycopg's prepare threshold: the prepared plan must still be right
        for n in (0, 1, 7, 500, 500, 500, 500, 500, 500, 999):
            wanted = {f"C{i:05d}" for i in range(0, 2 * n, 2) if i < 1000} | {"ABSENT"}
            query = sa.select(rows_table.c.code).where(any_of(session, rows_table.c.code,
                                                              sorted(wanted)))
            found = set(session.execute(query).scalars())
            assert found == wanted - {"ABSENT"}, n
            texts.add(str(query.compile(session.get_bind())))
    if engine.dialect.name == "postgresql":
        assert len(texts) == 1   # one text for every batch size


@built_once
def _by_code(dialect: str, with_amount: bool):
    columns = [rows_table.c.code] + ([rows_table.c.amount] if with_amount else [])
    return sa.select(*columns).where(rows_table.c.code == sa.bindparam("code"))


def test_a_statement_built_once_is_the_same_object_per_dialect_and_arguments(engine):
    with Session(engine) as session:
        bulk_insert(session, rows_table, _rows(3))
        stmt = _by_code(session, True)
        assert _by_code(session, True) is stmt and _by_code(session, False) is not stmt
        # its bound values come with each execution
        assert session.execute(stmt, {"code": "C00001"}).all() == [("C00001", Decimal("0.01"))]
        assert session.execute(_by_code(session, False), {"code": "C00002"}).all() == [
            ("C00002",)]
    # a connection finds the same statement by its own dialect
    with engine.connect() as conn:
        assert _by_code(conn, True) is stmt
        # it runs there too (the session's rows were rolled back with it)
        assert conn.execute(stmt, {"code": "C00002"}).all() == []
    # another dialect's statement is built apart
    other = "sqlite" if engine.dialect.name == "postgresql" else "postgresql"
    elsewhere = SimpleNamespace(get_bind=lambda: SimpleNamespace(
        dialect=SimpleNamespace(name=other)))
    assert _by_code(elsewhere, True) is not stmt
    assert _by_code(elsewhere, True) is _by_code(elsewhere, True)


AWKWARD = ['含"引号"', "反斜杠\\", "{花括号}", "逗,号", "NULL", "", " 前后空格 ", '{"a": [1, "b"]}',
           "换\n行\t制表"]


def test_insert_rows_keeps_every_value_and_type_as_given(engine):
    """One array per column (binary arrays on PostgreSQL): strings that a text
    array would have to quote and escape, None, Decimal, dates and moments
    come back exactly, in the rows' order."""
    rows = [{"code": f"Q{i:03d}", "amount": Decimal(i) / 4 if i % 2 else None,
             "on": date(2026, 1, 1 + i) if i % 3 else None,
             "at": datetime(2026, 1, 1, 8, i, tzinfo=UTC), "note": note}
            for i, note in enumerate([*AWKWARD, None])]
    with Session(engine) as session, session.begin():
        session.execute(*insert_rows(session, rows_table, rows))
    with Session(engine) as session:
        got = [dict(r._mapping) for r in session.execute(
            sa.select(rows_table.c.code, rows_table.c.amount, rows_table.c.on,
                      rows_table.c.at, rows_table.c.note).order_by(rows_table.c.seq))]
        for have in got:  # SQLite keeps no zone
            have["at"] = have["at"].replace(tzinfo=have["at"].tzinfo or UTC)
        assert got == rows
        # and found again by an array of the same awkward strings
        found = session.execute(sa.select(rows_table.c.note).where(
            any_of(session, rows_table.c.note, AWKWARD))).scalars().all()
        assert sorted(found) == sorted(AWKWARD)
