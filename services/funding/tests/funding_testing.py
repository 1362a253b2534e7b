"""Helpers of the funding tests (test data only)."""

from __future__ import annotations

from datetime import date

from nameko.testing.services import entrypoint_hook

TODAY = date(2026, 4, 3)


def call(container, method, *args, **kwargs):
    """Call one RPC of a running container."""
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)
