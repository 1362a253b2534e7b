"""Fixtures for the funding service tests: a running service on a fresh
PostgreSQL database and RabbitMQ vhost, its clock set to the settlement day."""

from __future__ import annotations

import pytest
from funding_testing import TODAY


@pytest.fixture
def funding(start_service):
    """The funding container, its clock at ``TODAY`` (the 3rd: March settles)."""
    from doudi_common.clock import clock_of

    container = start_service("funding")
    clock_of(container).set(TODAY)
    return container
