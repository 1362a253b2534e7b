"""pytest fixtures shared by every package's tests (loaded from the root
conftest). Real PostgreSQL and RabbitMQ, no mocks:

* ``rabbit`` — a fresh RabbitMQ vhost (nameko's ``rabbit_config``) with our
  definitions applied: exchanges, dead-letter queues, department users and
  their permissions.
* ``make_db(package)`` — a fresh PostgreSQL database with the package's
  migrations applied (cloned from a per-session template, so it is fast).
* ``service_config(service, ...)`` — a service's real config.yaml pointed at both.
* ``publish_as(...)``, ``dead_letters(...)``, ``wait_for(...)`` helpers.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

import doudi_common.amqp_io  # noqa: F401 - tests read AMQP the way the services do

PG_ADMIN_URL = os.environ.get("DOUDI_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
             message: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; eventlet-friendly."""
    import eventlet

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


# -- PostgreSQL -----------------------------------------------------------------

class PgDatabases:
    def __init__(self, admin_url: str):
        from doudi_common.db import make_engine

        self.admin = make_engine(admin_url, poolclass=sa.pool.NullPool,
                                 isolation_level="AUTOCOMMIT")
        self.base = admin_url.rsplit("/", 1)[0]
        self.templates: dict[str, str] = {}
        self.created: list[str] = []
        self.run_id = uuid.uuid4().hex[:8]

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def _create(self, name: str, template: str | None = None) -> None:
        with self.admin.connect() as conn:
            sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            conn.exec_driver_sql(sql)
        self.created.append(name)

    def template(self, package: str) -> str:
        from doudi_common.db import migrate

        if package not in self.templates:
            name = f"doudi_tmpl_{package}_{self.run_id}"
            self._create(name)
            migrate(package, self.url(name))
            self.templates[package] = name
        return self.templates[package]

    def fresh(self, package: str | None) -> str:
        name = f"doudi_t_{uuid.uuid4().hex[:12]}"
        self._create(name, self.template(package) if package else None)
        return self.url(name)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases():
    dbs = PgDatabases(PG_ADMIN_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def make_db(pg_databases) -> Callable[[str | None], str]:
    """``make_db("doudi_eligibility")`` -> URL of a fresh, migrated database."""
    return pg_databases.fresh


# -- RabbitMQ ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def rabbit_definitions() -> dict:
    return definitions_for_tests()


def definitions_for_tests() -> dict:
    """The topology the tests apply to their vhost; durable queues as quorum
    queues when the run says so (``DOUDI_QUEUE_TYPE=quorum``: the services read
    the same variable). Generated from the code; when another service's code in a
    shared working tree does not import right now, the committed file (the
    consumers declare their own queues anyway)."""
    from pathlib import Path

    from doudi_common.queue_types import durable_arguments
    from doudi_common.rabbit import generate

    queue_type = os.environ.get("DOUDI_QUEUE_TYPE") or "classic"
    try:
        return generate(queue_type=queue_type)
    except ImportError:
        from doudi_common.config import repo_root

        path = Path(repo_root()) / "deploy" / "rabbitmq" / "definitions.json"
        doc = json.loads(path.read_text())
        for queue in doc["queues"]:
            queue["arguments"] = durable_arguments(queue["arguments"], queue_type)
        return doc


@pytest.fixture
def rabbit(rabbit_config, rabbit_definitions, request) -> dict:
    """nameko's per-test vhost, plus our topology and users applied to it."""
    from doudi_common.rabbit import apply

    api = request.config.getoption("RABBIT_API_URI")
    apply(rabbit_definitions, api=api, vhost=rabbit_config["vhost"])
    return {**rabbit_config, "api": api}


def amqp_uri_for(rabbit: dict, user: str, password: str | None = None) -> str:
    from doudi_common.rabbit import password_for

    parts = urlsplit(rabbit["AMQP_URI"])
    pw = password if password is not None else password_for(user)
    return f"amqp://{user}:{pw}@{parts.hostname}:{parts.port or 5672}/{rabbit['vhost']}"


def department_envelope(dept: str, event_type: str, data: dict, division: str = "341500",
                        event_id: str | None = None, time_: str = "2026-03-01T09:30:00+08:00"
                        ) -> dict:
    return {"specversion": "1.0", "id": event_id or str(uuid.uuid4()),
            "source": f"{dept}/{division}", "type": event_type, "time": time_,
            "datacontenttype": "application/json", "data": data}


def publish_raw(uri: str, exchange: str, routing_key: str, body: bytes | str, **properties):
    """Publish exactly what a department system would, with a plain kombu client
    and publisher confirms."""
    from kombu import Connection, Exchange, Producer

    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        props = {"content_type": "application/json", "content_encoding": "utf-8",
                 "delivery_mode": 2, **properties}
        producer.publish(body, exchange=Exchange(exchange, type="topic", durable=True,
                                                 no_declare=True),
                         routing_key=routing_key, declare=[], retry=False, **props)


@pytest.fixture
def publish_as(rabbit):
    """``publish_as("cdpf", "certificate.issued", data)`` publishes a contract-true
    message as that department's user; keyword overrides bend any part of it."""

    def publish(dept: str, event_type: str, data: dict | None = None, *,
                envelope: dict | None = None, body: bytes | str | None = None,
                user: str | None = None, exchange: str | None = None,
                **properties) -> dict | None:
        envelope = envelope or (department_envelope(dept, event_type, data) if data is not None
                                else None)
        if body is None:
            body = json.dumps(envelope, ensure_ascii=False)
        user = user or dept
        props = {"message_id": envelope["id"] if envelope else str(uuid.uuid4()),
                 "user_id": user, "type": event_type, **properties}
        props = {k: v for k, v in props.items() if v is not None}
        publish_raw(amqp_uri_for(rabbit, user), exchange or f"{dept}.events", event_type,
                    body, **props)
        return envelope

    return publish


def publish_event(rabbit: dict, source: str, event_type: str, data: dict, *,
                  division: str | None = None, event_id: str | None = None,
                  time: Any = None) -> dict:
    """Publish an event of one of the suite's services (``enrolment.started`` of
    eligibility, ``placement.admitted`` of institutions, …) as its outbox relay
    would: a contract-true envelope (built and checked by the registry) on the
    source's exchange of the test vhost. Returns the envelope."""
    from doudi_contracts.registry import build_envelope

    envelope = build_envelope(source, division or data.get("division_code") or "100000",
                              event_type, data, event_id=event_id or str(uuid.uuid4()),
                              time=time)
    publish_raw(rabbit["AMQP_URI"], f"{source}.events", event_type,
                json.dumps(envelope, ensure_ascii=False), message_id=envelope["id"],
                type=event_type)
    return envelope


def free_port() -> int:
    """A TCP port on localhost that nothing listens on (for a process to bind)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_serving(base: str, timeout: float = 60) -> None:
    """Wait until an HTTP process (the gateway) answers ``/healthz`` with 200."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not start in {timeout} s")


def stop_process(proc: Any, timeout: float = 15) -> None:
    """SIGTERM a process the test started, then SIGKILL it if it lingers."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def _drain(uri: str, queue: str, limit: int = 1000) -> list:
    from kombu import Connection

    out = []
    with Connection(uri) as conn:
        channel = conn.channel()
        for _ in range(limit):
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                break
            out.append(message)
            channel.basic_ack(message.delivery_tag)
    return out


@pytest.fixture
def dead_letters(rabbit):
    """``dead_letters("eligibility")`` -> list of (reason, headers, body) taken
    from ``doudi.dlq.eligibility``."""

    def read(service: str) -> list[tuple[str, dict, bytes]]:
        messages = _drain(rabbit["AMQP_URI"], f"doudi.dlq.{service}")
        return [(m.headers.get("x-doudi-reason"), dict(m.headers), m.body) for m in messages]

    return read


class EventTap:
    """A plain AMQP consumer bound to ``<source>.events`` — what a department's
    system sees. Collects decoded envelopes."""

    def __init__(self, uri: str, source: str, patterns: list[str], prefix: str = "tap"):
        from kombu import Connection, Exchange, Queue, binding

        self.conn = Connection(uri)
        # bind only: the exchange exists (definitions); departments may not declare it
        exchange = Exchange(f"{source}.events", type="topic", durable=True, no_declare=True)
        # a department may only declare queues named after itself
        self.queue = Queue(f"{prefix}.tap.{source}.{uuid.uuid4().hex[:8]}", exclusive=True,
                           bindings=[binding(exchange, routing_key=p) for p in patterns])
        self.channel = self.conn.channel()
        self.queue(self.channel).declare()
        self.received: list[dict] = []
        self.messages: list = []

    def poll(self) -> list[dict]:
        while True:
            message = self.channel.basic_get(self.queue.name, no_ack=True)
            if message is None:
                return self.received
            self.messages.append(message)
            self.received.append(json.loads(message.body))

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        def found():
            return next((e for e in self.poll() if predicate(e)), None)
        return wait_for(found, timeout, message="an event on the tap")

    def close(self) -> None:
        self.conn.release()


@pytest.fixture
def event_tap(rabbit):
    taps: list[EventTap] = []

    def make(source: str, patterns: list[str] | str = "#", user: str | None = None) -> EventTap:
        uri = amqp_uri_for(rabbit, user) if user else rabbit["AMQP_URI"]
        tap = EventTap(uri, source, [patterns] if isinstance(patterns, str) else patterns,
                       prefix=user or "test")
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.close()


# -- services -----------------------------------------------------------------------

@pytest.fixture
def service_config(rabbit, make_db):
    """``service_config("eligibility")`` -> the real config.yaml with a fresh
    database and the test vhost."""

    def build(service: str, db_url: str | None = None, **overrides) -> dict:
        """``db_url`` None: a fresh migrated database."""
        from doudi_common.config import load_config

        key = service.replace("-", "_")
        url = db_url or make_db(f"doudi_{key}")
        return load_config(service=key, AMQP_URI=rabbit["AMQP_URI"], DB_URL=url,
                           AUTO_MIGRATE=True, OUTBOX_POLL_INTERVAL=0.1,
                           RETRY_BACKOFF_MAX=1.0,
                           # many containers share one PostgreSQL (max_connections 100)
                           **{"DB_POOL_SIZE": 3, "DB_MAX_OVERFLOW": 5, **overrides})

    return build


@pytest.fixture
def start_service(container_factory, service_config):
    """Start one real service container (real broker, real PostgreSQL)."""

    def start(service: str, db_url: str | None = None, **config_overrides):
        from doudi_common.runner import service_class, service_key

        key = service_key(service)
        config = service_config(key, db_url=db_url, **config_overrides)
        container = container_factory(service_class(key), config)
        container.start()
        return container

    return start


def db_engine(container):
    """The running container's SQLAlchemy engine (to look at effects in tests)."""
    from doudi_common.db import Database

    for provider in container.dependencies:
        if isinstance(provider, Database):
            return provider.core.engine
    raise LookupError("no Database dependency")


def count_rows(container, table: str, **where) -> int:
    engine = db_engine(container)
    clause = " AND ".join(f"{k} = :{k}" for k in where)
    sql = f"SELECT count(*) FROM {table}" + (f" WHERE {clause}" if clause else "")
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), where).scalar_one()
