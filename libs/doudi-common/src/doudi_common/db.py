"""Database access for a nameko service: engine, migrations and one unit of work
per worker.

``Database`` is a nameko DependencyProvider. Each worker gets a ``UnitOfWork``
(``self.db``) with a lazily opened SQLAlchemy session, an ``outbox`` to add
events in the same transaction and an ``inbox`` to make consumers idempotent.

The unit of work is committed *before* the entrypoint replies or acks (see
``doudi_common.entrypoints``): nameko calls ``worker_result`` only after the RPC
reply has gone out / the message was acked, which is too late to report a
failed commit. On failure it is rolled back. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from nameko.extensions import DependencyProvider
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from doudi_common.inbox import Inbox
from doudi_common.logs import get_logger
from doudi_common.outbox import OutboxRelay, OutboxWriter
from doudi_common.tables import INBOX, OUTBOX

log = get_logger(__name__)


#: execution option marking a connection of ``UnitOfWork.reading``
READ_ONLY = "doudi_read_only"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (what ops write) and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # pysqlite's own transaction handling breaks SAVEPOINT; take it over
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            # writers take the write lock at once (no upgrade deadlocks); a
            # read-only unit (``UnitOfWork.reading``) only needs a snapshot
            # (straight on the driver's connection: SQLAlchemy does not track
            # this statement, so its execution machinery has nothing to add)
            conn.connection.dbapi_connection.execute(
                "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    # (tried: multi-row VALUES for many-row INSERTs without RETURNING —
    # ``dialect.use_insertmanyvalues_wo_returning`` — cost the ingest bench a
    # third more CPU per event than psycopg's pipelined executemany)
    green_waits()
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "connect", _binary_arrays)
    return engine


def green_waits() -> None:
    """Under eventlet's monkey-patching (the services), psycopg waits for
    PostgreSQL through eventlet's hub (``green_wait``) instead of in C
    (``wait_c``: it recognises gevent's patching, not eventlet's): otherwise a
    query stops the whole process — its other workers, consumers, outbox relay
    and AMQP heartbeats — until PostgreSQL answers. Outside eventlet (the
    gateway's threads, the CLIs) nothing changes."""
    import eventlet.patcher

    if eventlet.patcher.is_monkey_patched("select"):
        import psycopg.waiting

        psycopg.waiting.wait = green_wait()


@functools.cache
def green_wait() -> Callable[..., Any]:
    """psycopg's wait function (``psycopg.waiting.wait``) for eventlet. What the
    socket has ready now is taken at once (a real ``poll`` that does not
    block); only when nothing is ready does it wait through eventlet's green
    ``select``, so the process's other green threads run meanwhile. psycopg's
    own ``wait_select`` goes through the hub at every step: a pipelined
    ``executemany`` cost 77 µs a row that way against 17 µs in C. Same contract
    as ``wait_select``: ``interval`` bounds each wait, ``timeout`` the whole, a
    closed socket is an ``OperationalError``."""
    import time

    import psycopg
    import psycopg.waiting as waiting
    from eventlet.green import select as green
    from eventlet.patcher import original

    real = original("select")
    pollin, pollout, monotonic = real.POLLIN, real.POLLOUT, time.monotonic
    want_r, want_w = waiting.WAIT_R, waiting.WAIT_W
    ready_r, ready_w = waiting.READY_R, waiting.READY_W

    def wait(gen: Any, fileno: int, interval: float = 0.0,
             timeout: float | None = None) -> Any:
        deadline = monotonic() + timeout if timeout is not None else None
        poller = real.poll()
        try:
            state = next(gen)
            while True:
                poller.register(fileno, (pollin if state & want_r else 0)
                                | (pollout if state & want_w else 0))
                ready = 0
                for _fd, mask in poller.poll(0):
                    ready = (ready_r if mask & pollin else 0) | (
                        ready_w if mask & pollout else 0)
                if not ready:
                    seconds = interval if deadline is None else max(
                        0.0, min(interval, deadline - monotonic()))
                    fds = (fileno,)
                    rl, wl, xl = green.select(fds if state & want_r else (),
                                              fds if state & want_w else (), fds, seconds)
                    if xl:
                        raise psycopg.OperationalError("connection socket closed")
                    ready = (ready_r if rl else 0) | (ready_w if wl else 0)
                state = gen.send(ready)
                if deadline is not None and monotonic() >= deadline:
                    raise psycopg.errors._WaitTimeout("wait timeout expired")
        except OSError as exc:
            raise psycopg.OperationalError("connection socket closed") from exc
        except StopIteration as stop:
            return stop.value

    return wait


def _binary_arrays(dbapi_conn: Any, _record: Any) -> None:
    """Lists go to PostgreSQL as binary arrays. The batch statements bind
    one array per column (``queries.insert_rows``, ``any_of``), and psycopg
    writes a text array element by element, quoting and escaping each: 500
    JSON payloads took 4.1 ms as text, 0.08 ms in binary (the elements'
    values and types are the same; the statements cast them as before)."""
    from psycopg.types.array import ListBinaryDumper

    dbapi_conn.adapters.register_dumper(list, ListBinaryDumper)


# -- migrations ---------------------------------------------------------------

def alembic_config(package: str, url: str) -> AlembicConfig:
    """``package`` is the service package (``doudi_eligibility``); its
    migrations live in ``<package>/migrations``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", f"{package}:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(package: str, url: str, revision: str = "head") -> str | None:
    """Apply the service's migrations; returns the revision now current."""
    cfg = alembic_config(package, url)
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # two replicas starting together must not migrate twice
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                     (f"doudi-migrate-{package}",))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return current_revision(engine)
    finally:
        engine.dispose()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(package: str, url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(package, url)).get_current_head()


# -- unit of work -------------------------------------------------------------

class UnitOfWork:
    """One transaction: ``session``, ``outbox`` and ``inbox`` share it.

    Usable as a context manager outside nameko (scripts, tests)::

        with database.unit_of_work() as uow:
            uow.session.add(...)
            uow.outbox.add("person.registered", data, division_code=...)
        # committed here, or rolled back if the block raised
    """

    def __init__(self, database: DatabaseCore):
        self._database = database
        self._session: Session | None = None
        self.outbox = OutboxWriter(self, database)
        self.inbox = Inbox(self, database)
        self.finished = False
        self._events_added = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._database.session_factory()
        return self._session

    def health(self) -> dict:
        return self._database.health()

    def separate(self) -> UnitOfWork:
        """A unit of work of its own (its own transaction, committed when its
        ``with`` block ends), for work that must commit apart from this one:
        a background job's claim, progress and outcome."""
        return UnitOfWork(self._database)

    @property
    def dialect(self) -> str:
        return self._database.engine.dialect.name

    @contextmanager
    def reading(self) -> Iterator[sa.Connection | Session]:
        """For an entrypoint that only reads: a plain connection in a read
        transaction (one consistent snapshot for all its queries), without the
        ORM session, outbox or inbox — nothing is written, so there is nothing
        to commit at the end of the worker. On SQLite the transaction is a
        deferred ``BEGIN`` instead of ``BEGIN IMMEDIATE``: readers do not queue
        for the write lock. Once this unit has its session (it wrote, or will
        read its own writes), that session is used instead. Use it for Core
        statements (``.execute``) only."""
        if self._session is not None:
            yield self._session
            return
        with self._database.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def execute(self, statement, *args, **kwargs):
        return self.session.execute(statement, *args, **kwargs)

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()
        if self._events_added:
            self._events_added = False
            self._database.events_committed()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._events_added = False

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def finish(self, failed: bool) -> None:
        """Commit (or roll back when ``failed``) exactly once."""
        if self.finished:
            return
        self.finished = True
        if failed:
            self.rollback()
            return
        try:
            self.commit()
        except Exception:
            self.rollback()
            raise

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.finish(failed=exc_type is not None)
        finally:
            self.close()


class DatabaseCore:
    """Engine + session factory + outbox relay, usable with or without nameko."""

    def __init__(self, url: str, package: str, service_name: str, metadata: sa.MetaData,
                 config: dict | None = None, figures: tuple[sa.Table, Any] | None = None):
        """``figures``: (the figure-versions table, the tables figures are made
        of) — writes to those bump the version (``doudi_common.figures``)."""
        self.url = url
        self.package = package
        self.service_name = service_name
        self.metadata = metadata
        self.config = config or {}
        pool = {} if url.startswith("sqlite") else {
            "pool_size": int(self.config.get("DB_POOL_SIZE", 10)),
            "max_overflow": int(self.config.get("DB_MAX_OVERFLOW", 10))}
        self.engine = make_engine(url, **pool)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        if figures is not None:
            from doudi_common.figures import watch_writes

            watch_writes(self.session_factory, figures[1], figures[0])
        self.outbox_table = metadata.tables[OUTBOX]
        self.inbox_table = metadata.tables[INBOX]
        self.relay = None

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    def events_committed(self) -> None:
        if self.relay is not None:
            self.relay.wake()

    def migrate(self) -> str | None:
        return migrate(self.package, self.url)

    def health(self) -> dict:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
            pending = conn.execute(
                sa.select(sa.func.count()).select_from(self.outbox_table)
                .where(self.outbox_table.c.sent_at.is_(None))).scalar_one()
        head = head_revision(self.package, self.url)
        return {"database": "ok", "dialect": self.engine.dialect.name,
                "migration": current, "migration_head": head,
                "migrations_current": current == head, "outbox_pending": pending}

    def dispose(self) -> None:
        self.engine.dispose()


class Database(DependencyProvider):
    """nameko dependency: ``db = Database(metadata)`` on a service class.

    Reads ``DB_URL`` (and ``AUTO_MIGRATE``) from the service config, runs the
    outbox relay in the service process, and gives each worker a UnitOfWork.
    """

    def __init__(self, metadata: sa.MetaData, package: str | None = None, relay: bool = True,
                 figures: tuple[sa.Table, Any] | None = None):
        self.metadata = metadata
        self.figures = figures
        self.package = package
        self.run_relay = relay
        self.core: DatabaseCore | None = None
        self.units: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def setup(self) -> None:
        config = self.container.config
        # the service's top package (``doudi_eligibility``): its migrations live there
        package = self.package or self.container.service_cls.__module__.split(".")[0]
        url = config["DB_URL"]
        self.core = DatabaseCore(url, package, self.container.service_name, self.metadata, config,
                                 figures=self.figures)
        if _truthy(config.get("AUTO_MIGRATE", True)):
            revision = self.core.migrate()
            log.info("migrations applied", revision=revision, package=package)
        if self.run_relay:
            self.core.relay = OutboxRelay.from_config(self.core, config)
            from doudi_common.metrics import watch_outbox

            watch_outbox(self.core.service_name, self.core.engine, self.core.outbox_table)

    def start(self) -> None:
        if self.core.relay is not None:
            self.container.spawn_managed_thread(self.core.relay.run, identifier="outbox-relay")

    def stop(self) -> None:
        if self.core is not None:
            if self.core.relay is not None:
                self.core.relay.stop()
            self.core.dispose()

    kill = stop

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        uow = UnitOfWork(self.core)
        self.units[worker_ctx] = uow
        return uow

    def finish(self, worker_ctx, failed: bool) -> None:
        uow = self.units.get(worker_ctx)
        if uow is not None:
            uow.finish(failed)

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        # normally finished already by the entrypoint; this covers entrypoints
        # that are not ours (they get commit-after-reply semantics)
        uow = self.units.get(worker_ctx)
        if uow is not None and not uow.finished:
            try:
                uow.finish(failed=exc_info is not None)
            except Exception:
                log.exception("commit after result failed")

    def worker_teardown(self, worker_ctx) -> None:
        uow = self.units.pop(worker_ctx, None)
        if uow is not None:
            uow.close()


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def finish_units_of_work(worker_ctx, exc_info):
    """Commit (or roll back) every Database unit of work of this worker.
    Returns the exc_info to report: a failed commit becomes the worker's error."""
    for provider in worker_ctx.container.dependencies:
        if isinstance(provider, Database):
            try:
                provider.finish(worker_ctx, failed=exc_info is not None)
            except Exception:
                log.warning("commit failed", exc_info=True)
                exc_info = sys.exc_info()
    return exc_info


