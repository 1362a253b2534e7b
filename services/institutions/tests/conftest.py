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


@pytest.fixture(scope="session")
def rabbit_definitions() -> dict:
    """The generated definitions; when another service's code in the shared
    working tree does not import right now, the committed file (our queues are
    declared by the consumers themselves anyway)."""
    import json
    from pathlib import Path

    from doudi_common.rabbit import generate

    try:
        return generate()
    except ImportError:
        path = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "definitions.json"
        return json.loads(path.read_text())
