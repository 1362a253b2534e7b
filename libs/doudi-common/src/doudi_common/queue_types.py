"""Durable queues as classic (the default: one broker, development) or quorum
queues (replicated over a RabbitMQ cluster: production, ``QUEUE_TYPE`` /
``DOUDI_QUEUE_TYPE=quorum``). Every declaration of a durable queue — the
services' subscriptions and dead-letter queues, the departments' queues, the
generated definitions — takes its arguments from here, so that a consumer's
declaration always matches what the broker already holds.

A quorum queue that dead-letters does so at least once (``x-dead-letter-strategy:
at-least-once``, which needs ``x-overflow: reject-publish``): a message rejected
to ``doudi.dlx`` is not lost if the dead-letter queue's leader is away.

nameko's RPC queues (``rpc-<service>``, the reply queues) are auto-delete and
stay classic: a request lost with a broker node is answered by the caller's
timeout (504 + Retry-After)."""

from __future__ import annotations

from typing import Any

QUEUE_TYPES = ("classic", "quorum")
QUORUM = {"x-queue-type": "quorum"}
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def check_queue_type(queue_type: Any) -> str:
    value = str(queue_type or "classic").strip().lower()
    if value not in QUEUE_TYPES:
        raise ValueError(f"QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}: {queue_type!r}")
    return value


def durable_arguments(arguments: dict[str, Any] | None = None,
                      queue_type: Any = "classic") -> dict[str, Any]:
    """The declare arguments of a durable queue of that type."""
    out = dict(arguments or {})
    if check_queue_type(queue_type) == "quorum":
        out.update(QUORUM)
        if "x-dead-letter-exchange" in out:
            out.update(AT_LEAST_ONCE)
    return out
