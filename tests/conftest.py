"""Fixtures of the suite-level tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(rabbit):
    """``client(dept, as_user=None)``: a department SDK client on the test vhost,
    closed at the end of the test."""
    from doudi_common.testing.fixtures import amqp_uri_for
    from doudi_departments.client import DepartmentClient

    clients = []

    def make(dept: str, as_user: str | None = None) -> DepartmentClient:
        c = DepartmentClient(dept, amqp_uri_for(rabbit, as_user or dept))
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
