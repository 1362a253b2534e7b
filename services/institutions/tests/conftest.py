"""Fixtures for the institutions service tests: a running service with a frozen
clock and an RPC proxy."""

from __future__ import annotations

import pytest
from doudi_institutions.testing import TODAY


@pytest.fixture
def institutions(start_service):
    """``(container, rpc)``: the institutions service on fresh PostgreSQL and vhost,
    its clock frozen at ``TODAY``."""
    from doudi_common.clock import clock_of
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("institutions")
    clock_of(container).set(TODAY)
    with ServiceRpcProxy("institutions", container.config, timeout=20) as proxy:
        yield container, proxy
