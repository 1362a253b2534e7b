"""nameko entrypoints with our delivery rules, one module per mechanism:
``rpc``, ``timer``, ``subscribe`` (with ``deadletters``), ``outcomes``.

* ``rpc`` and ``timer``: like nameko's, but the worker's unit of work is
  committed *before* the reply goes out, so a failed commit is the caller's
  error instead of a silent loss; database outages surface as ``TransientError``.
* ``subscribe(source, patterns)``: consumes ``<source>.events`` through a durable
  queue ``<service>.<source>.<method>``. Before a worker runs, the message is
  checked — publisher (AMQP ``user_id``) allowed for that source, JSON body,
  CloudEvents envelope, known type and ``data`` contract (doudi-contracts). A
  message failing any check goes to the dead-letter exchange ``doudi.dlx``
  (queue ``doudi.dlq.<service>``) with the reason in headers and is acked — never
  lost, never retried forever. The handler runs once per (event id, handler)
  thanks to the inbox claim in the same transaction; a transient failure
  (database down) is requeued after back-off; a handler's ``Invalid``/``Conflict``
  or an unexpected error dead-letters the message with that reason.
* Replays: an operator's tool (``doudi-dept dlq replay``) puts a dead-lettered
  message straight back into its subscription queue (default exchange, routing
  key = ``x-doudi-queue``) with the header ``x-doudi-replay``. RabbitMQ only
  lets the operator set its *own* ``user_id``, so the department's original
  user travels in ``x-doudi-user-id`` (and the original routing key in
  ``x-doudi-routing-key``). Such a message is accepted as a replay only when
  its ``user_id`` is an authorised operator (config ``REPLAY_OPERATORS``,
  default ``["admin"]``); the publisher and routing-key checks then apply to the
  original values, and every other check is the same. Anyone else sending the
  marker is dead-lettered as ``forbidden_replay``.
"""

from __future__ import annotations

from doudi_common.entrypoints.deadletters import (
    DEFAULT_REPLAY_OPERATORS,
    DETAIL_HEADER,
    DLX,
    ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    ORIGINAL_USER_HEADER,
    REASON_HEADER,
    REPLAY_HEADER,
    DeadLetters,
    Rejected,
    dead_letter_queue,
)
from doudi_common.entrypoints.http_rpc import HttpRead, read_over_http
from doudi_common.entrypoints.outcomes import is_transient
from doudi_common.entrypoints.rpc import Rpc, rpc
from doudi_common.entrypoints.subscribe import (
    EventSubscriber,
    each_event,
    subscribe,
    subscription_queue,
)
from doudi_common.entrypoints.timer import ConfigTimer, Timer, config_timer, timer

__all__ = [
    "DEFAULT_REPLAY_OPERATORS", "DETAIL_HEADER", "DLX", "ORIGINAL_EXCHANGE_HEADER",
    "ORIGINAL_ROUTING_KEY_HEADER", "ORIGINAL_USER_HEADER", "REASON_HEADER", "REPLAY_HEADER",
    "ConfigTimer", "DeadLetters", "EventSubscriber", "HttpRead", "Rejected", "Rpc", "Timer",
    "config_timer", "dead_letter_queue", "each_event", "is_transient", "read_over_http", "rpc",
    "subscribe",
    "subscription_queue", "timer",
]
