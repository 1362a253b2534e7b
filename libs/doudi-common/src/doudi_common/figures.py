"""Figures an owner keeps as a read model of its own rows (issue 18): computed
from those rows, kept per key, and never stale.

Every transaction of the owner's session that writes to a table a figure is
made of bumps one version number as it commits (``watch_writes``: the
session's ``do_orm_execute`` notes the write, ``after_commit`` bumps, in a
transaction of its own so that writers never queue on the version row).
A kept figure is served only while the version it was computed under is
still the current one (a read in the instant between a commit and its bump,
or after a crash in that instant until the next write, gets the figure kept
before), and only on the day it was computed (waiting days and
overdue reviews age by the calendar); otherwise it is computed again and kept
under the version read *before* computing — so a write that commits during
the computation leaves a figure that is already out of date, never one that
claims to be newer than its rows. A lost table is rebuilt by reading: the
cache may be emptied at any time (a restore, a migration) without harm.

Writes made outside the session (a plain connection) are not seen: the owner
makes every write to a watched table through its session, which its store
does; statements the hook cannot read (text SQL) count as writes.

``DOUDI_FIGURES_KEPT=off`` keeps nothing: every read computes, no write bumps
(the bench compares ingest with and without the upkeep; an operator may use
it should a kept figure ever be doubted)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from doudi_common.queries import dialect_insert
from doudi_common.timestamps import MOMENT

#: kept figures on (``DOUDI_FIGURES_KEPT=off``: computed on every read)
KEPT = os.environ.get("DOUDI_FIGURES_KEPT", "on").lower() != "off"
FIGURE_VERSIONS = "figure_versions"
FIGURE_CACHE = "figure_cache"
_DIRTY = "doudi_figures_written"


def figure_version_columns() -> list[sa.Column[Any]]:
    return [sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("value", sa.BigInteger, nullable=False)]


def figure_cache_columns() -> list[sa.Column[Any]]:
    return [sa.Column("key", sa.String(120), primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("data", sa.JSON, nullable=False),
            sa.Column("computed_at", MOMENT, nullable=False)]


def add_figure_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    return (sa.Table(FIGURE_VERSIONS, metadata, *figure_version_columns()),
            sa.Table(FIGURE_CACHE, metadata, *figure_cache_columns()))


def watch_writes(session_factory: Any, watched: Iterable[str], versions: sa.Table,
                 name: str = "figures") -> None:
    """Bump ``versions[name]`` in every transaction of ``session_factory``'s
    sessions that inserts, updates or deletes rows of a ``watched`` table."""
    if not KEPT:
        return
    tables = frozenset(watched)

    def noted(state: Any) -> None:
        if state.is_select:
            return
        table = getattr(state.statement, "table", None)
        if table is None or getattr(table, "name", None) in tables:
            state.session.info[_DIRTY] = True

    def bump(session: Any) -> None:
        # after the commit, in a transaction of its own: the writing transaction
        # never waits on the version row (replicas would queue on it between
        # taking an outbox seq and committing, and the wire would lose the
        # outbox's order); a reader in the instant between sees the figure kept
        # before the write
        if session.info.pop(_DIRTY, False):
            engine = session.bind
            with engine.begin() as conn:
                stmt = dialect_insert(session, versions).values(name=name, value=1)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["name"], set_={"value": versions.c.value + 1}))

    def forget(session: Any) -> None:
        session.info.pop(_DIRTY, None)

    event.listen(session_factory, "do_orm_execute", noted)
    event.listen(session_factory, "after_commit", bump)
    event.listen(session_factory, "after_rollback", forget)


def current_version(db: Any, versions: sa.Table, name: str = "figures") -> int:
    value = db.execute(sa.select(versions.c.value).where(versions.c.name == name)).scalar()
    return int(value or 0)


def kept(db: Any, versions: sa.Table, cache: sa.Table, key: str, today: date,
         compute: Callable[[], dict[str, Any]], name: str = "figures") -> dict[str, Any]:
    """The figure ``key``: the kept one while its version and day hold, else
    ``compute()`` (and keep it). ``db``: the worker's session."""
    if not KEPT:
        return compute()
    version = current_version(db, versions, name)
    row = db.execute(sa.select(cache.c.version, cache.c.day, cache.c.data)
                     .where(cache.c.key == key)).first()
    if row is not None and row.version == version and row.day == today:
        return dict(row.data)
    data = compute()
    values = {"version": version, "day": today, "data": data,
              "computed_at": datetime.now(UTC)}
    db.execute(dialect_insert(db, cache).values(key=key, **values)
               .on_conflict_do_update(index_elements=["key"], set_=values))
    return data
