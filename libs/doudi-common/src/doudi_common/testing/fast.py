"""``make test-fast``: the tests that need neither RabbitMQ nor PostgreSQL.

With ``DOUDI_TEST_FAST=1`` a test that asks for a broker or database fixture
is deselected, and any connection to the broker's or the database's port is
refused — so a test that reaches them some other way fails loudly instead of
slowing the fast run down (or passing only on a machine where they run)."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

#: fixtures that stand for a running broker or database
NEEDS_INFRA = frozenset({
    "rabbit", "rabbit_config", "rabbit_manager", "vhost_pipeline", "container_factory",
    "runner_factory", "start_service", "service_config", "publish_as", "event_tap",
    "dead_letters", "pg_databases", "make_db",
})
INFRA_PORTS = frozenset({5432, 5672, 15672, 6379})


def enabled() -> bool:
    return os.environ.get("DOUDI_TEST_FAST") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not enabled():
        return
    keep, drop = [], []
    for item in items:
        needs = NEEDS_INFRA & set(getattr(item, "fixturenames", ()))
        (drop if needs or item.get_closest_marker("slow") else keep).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


@pytest.fixture(autouse=True)
def _no_infra_in_fast_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    if not enabled():
        return
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in INFRA_PORTS:
            raise AssertionError(f"make test-fast: this test connects to {address}; "
                                 "move it to tests/service or give it the fixture it needs")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
