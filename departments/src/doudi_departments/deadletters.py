"""Dead-letter tooling for operators: list, replay, discard.

A message the suite refuses is parked in ``doudi.dlq.<service>`` with headers
``x-doudi-reason``, ``x-doudi-detail``, ``x-doudi-queue`` (the subscription queue
it came from), ``x-doudi-exchange``, ``x-doudi-routing-key``, ``x-doudi-user-id``
(who published it) and ``x-doudi-dead-lettered-at``.

* ``list_dead_letters`` looks without taking: every message read is left in
  the queue (unacknowledged reads are returned when the channel closes).
* ``replay`` puts matching messages back into their original subscription
  queue — through the default exchange, routing key = ``x-doudi-queue`` — so
  only the consumer that refused it sees it again. RabbitMQ allows only the
  connection's own user in ``user_id``, so the replay is sent as the operator
  with the marker ``x-doudi-replay`` and the original user in
  ``x-doudi-user-id``; the subscriber accepts the marker only from an
  authorised operator (``REPLAY_OPERATORS``) and then runs *every* check again
  with the original publisher and routing key. A message that still fails is
  dead-lettered again with the same original headers. ``corrections`` replaces
  a message's body (keyed by message id) — the fix for a department's typo —
  and is recorded in ``x-doudi-corrected-by``.
* ``discard`` removes matching messages only with a reason, appending an audit
  record (who, when, why, the message and its body) to a JSON-lines file and
  logging it.

Operators connect as the broker's administrator user (``admin`` in the
definitions; ``DOUDI_OPERATOR_AMQP_URI`` or ``--uri``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from doudi_common.entrypoints import (
    ORIGINAL_ROUTING_KEY_HEADER,
    ORIGINAL_USER_HEADER,
    REASON_HEADER,
    REPLAY_HEADER,
)
from doudi_common.ids import mask_in_text
from kombu import Connection, Exchange, Producer

from doudi_departments.client import uri_user

SERVICES = ("eligibility", "institutions", "funding", "services_log")


def default_operator_uri() -> str:
    env = os.environ.get("DOUDI_OPERATOR_AMQP_URI")
    if env:
        return env
    password = os.environ.get("DOUDI_ADMIN_PASSWORD") or "admin-dev"
    host = os.environ.get("DOUDI_AMQP_HOST", "localhost")
    return f"amqp://admin:{quote(password)}@{host}:5672/"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


@dataclass
class DeadLetter:
    service: str
    message_id: str
    reason: str
    detail: str
    event_type: str
    queue: str
    exchange: str
    routing_key: str
    user_id: str
    dead_lettered_at: str
    replays: int
    body: bytes
    headers: dict = field(repr=False)
    properties: dict = field(repr=False)

    @classmethod
    def from_message(cls, service: str, message) -> DeadLetter:
        headers = dict(message.headers or {})
        props = dict(message.properties or {})
        event_type = _text(props.get("type")) or _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
        return cls(service=service, message_id=_text(props.get("message_id")),
                   reason=_text(headers.get(REASON_HEADER)),
                   detail=_text(headers.get("x-doudi-detail")), event_type=event_type,
                   queue=_text(headers.get("x-doudi-queue")),
                   exchange=_text(headers.get("x-doudi-exchange")),
                   routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY_HEADER)),
                   user_id=_text(headers.get(ORIGINAL_USER_HEADER)),
                   dead_lettered_at=_text(headers.get("x-doudi-dead-lettered-at")),
                   replays=int(headers.get(REPLAY_HEADER) or 0),
                   body=message.body if isinstance(message.body, bytes)
                   else _text(message.body).encode(),
                   headers=headers, properties=props)

    def summary(self) -> dict:
        """For listings: no body, ID numbers masked."""
        return {"service": self.service, "message_id": self.message_id, "reason": self.reason,
                "detail": mask_in_text(self.detail), "type": self.event_type,
                "queue": self.queue, "exchange": self.exchange,
                "routing_key": self.routing_key, "user_id": self.user_id,
                "dead_lettered_at": self.dead_lettered_at, "replays": self.replays}


def matcher(reason: str | None = None, event_type: str | None = None,
            message_ids: list[str] | None = None) -> Callable[[DeadLetter], bool]:
    """Select by reason (``bad_data``; a trailing ``*`` matches a prefix, e.g.
    ``rejected_by_handler:*``), by type, or by message ids; None matches all."""

    def match(letter: DeadLetter) -> bool:
        if reason is not None:
            if reason.endswith("*"):
                if not letter.reason.startswith(reason[:-1]):
                    return False
            elif letter.reason != reason:
                return False
        if event_type is not None and letter.event_type != event_type:
            return False
        return not (message_ids and letter.message_id not in message_ids)

    return match


class DeadLetterQueue:
    """``doudi.dlq.<service>`` seen by an operator."""

    def __init__(self, service: str, uri: str | None = None):
        service = service.replace("-", "_")
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}; one of {SERVICES}")
        self.service = service
        self.name = f"doudi.dlq.{service}"
        self.uri = uri or default_operator_uri()
        self.operator = uri_user(self.uri)

    def _walk(self, conn, limit: int | None = None):
        """Yield (message, DeadLetter) for what is in the queue now (at most the
        count at the start: re-dead-lettered replays are not read twice)."""
        channel = conn.channel()
        _name, count, _consumers = channel.queue_declare(self.name, passive=True)
        if limit is not None:
            count = min(count, limit)
        for _ in range(count):
            message = channel.basic_get(self.name, no_ack=False)
            if message is None:
                break
            yield channel, message, DeadLetter.from_message(self.service, message)

    def count(self) -> int:
        with Connection(self.uri) as conn:
            return conn.channel().queue_declare(self.name, passive=True)[1]

    def list(self, match: Callable[[DeadLetter], bool] | None = None,
             limit: int | None = None) -> list[DeadLetter]:
        """Everything (or what matches) without removing anything."""
        with Connection(self.uri) as conn:
            # nothing is acked: closing the connection puts every message back
            return [letter for _ch, _m, letter in self._walk(conn, limit)
                    if match is None or match(letter)]

    def replay(self, match: Callable[[DeadLetter], bool] | None = None, *,
               corrections: dict[str, bytes | str | dict] | None = None,
               dry_run: bool = False) -> list[DeadLetter]:
        """Send matching messages back to their subscription queues (see module
        doc); returns what was replayed. Each is acked in the dead-letter queue
        only after the broker confirmed the replay."""
        corrections = corrections or {}
        replayed: list[DeadLetter] = []
        with Connection(self.uri, transport_options={"confirm_publish": True}) as conn:
            producer = Producer(conn.channel())
            default = Exchange("", type="direct", no_declare=True)
            for channel, message, letter in self._walk(conn):
                if match is not None and not match(letter):
                    continue
                if not letter.queue:
                    continue   # not ours to replay: no subscription queue recorded
                if dry_run:
                    replayed.append(letter)
                    continue
                body, message_id, event_type = letter.body, letter.message_id, letter.event_type
                headers = {k: v for k, v in letter.headers.items()
                           if not k.startswith("x-doudi-replayed") and k != "x-doudi-corrected-by"}
                routing_key = letter.routing_key
                if letter.message_id in corrections:
                    fixed = corrections[letter.message_id]
                    if isinstance(fixed, dict):
                        fixed = json.dumps(fixed, ensure_ascii=False)
                    body = fixed.encode() if isinstance(fixed, str) else fixed
                    envelope = json.loads(body)
                    message_id = str(envelope.get("id") or message_id)
                    event_type = str(envelope.get("type") or event_type)
                    routing_key = event_type
                    headers["x-doudi-corrected-by"] = self.operator
                headers.update({
                    REPLAY_HEADER: letter.replays + 1,
                    ORIGINAL_USER_HEADER: letter.user_id,
                    ORIGINAL_ROUTING_KEY_HEADER: routing_key,
                    "x-doudi-replayed-by": self.operator,
                    "x-doudi-replayed-at": datetime.now(UTC).isoformat(),
                })
                producer.publish(
                    body, exchange=default, routing_key=letter.queue, headers=headers,
                    content_type=letter.properties.get("content_type") or "application/json",
                    content_encoding=letter.properties.get("content_encoding") or "utf-8",
                    message_id=message_id or None, type=event_type or None,
                    user_id=self.operator, delivery_mode=2, declare=[], retry=False)
                channel.basic_ack(message.delivery_tag)
                replayed.append(letter)
        return replayed

    def discard(self, match: Callable[[DeadLetter], bool], reason: str,
                audit_path: str | os.PathLike | None = None) -> list[DeadLetter]:
        """Remove matching messages for good — only with a reason; each is
        written to the audit file (JSON lines, body included) before the ack."""
        if not reason or not reason.strip():
            raise ValueError("discarding needs a reason")
        path = Path(audit_path or default_audit_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        discarded: list[DeadLetter] = []
        with Connection(self.uri) as conn, path.open("a", encoding="utf-8") as audit:
            for channel, message, letter in self._walk(conn):
                if not match(letter):
                    continue
                record = {**letter.summary(), "action": "discarded", "why": reason,
                          "by": self.operator,
                          "at": datetime.now(UTC).isoformat(),
                          "body_b64": base64.b64encode(letter.body).decode()}
                audit.write(json.dumps(record, ensure_ascii=False) + "\n")
                audit.flush()
                os.fsync(audit.fileno())
                channel.basic_ack(message.delivery_tag)
                _log_discard(record)
                discarded.append(letter)
        return discarded


def default_audit_path() -> Path:
    from doudi_common.config import repo_root

    default = repo_root() / "var" / "dead-letters-discarded.jsonl"
    return Path(os.environ.get("DOUDI_DLQ_AUDIT") or default)


def _log_discard(record: dict) -> None:
    from doudi_common.logs import get_logger

    get_logger("doudi.deadletters").warning(
        "dead letter discarded", service=record["service"], message_id=record["message_id"],
        reason=record["reason"], why=record["why"], by=record["by"])
