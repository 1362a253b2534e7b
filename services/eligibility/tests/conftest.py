"""Fixtures for the eligibility service tests: a running service (fresh
PostgreSQL database and vhost) with its clock frozen at ``TODAY`` and an RPC proxy."""

from __future__ import annotations

import pytest
from doudi_eligibility.testing import TODAY


@pytest.fixture
def eligibility(start_service):
    """``(container, rpc)``."""
    from doudi_common.clock import clock_of
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("eligibility")
    clock_of(container).set(TODAY)
    with ServiceRpcProxy("eligibility", container.config, timeout=20) as proxy:
        yield container, proxy


