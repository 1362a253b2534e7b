"""Dead letters: a message that cannot be handled is published, with its reason,
to the dead-letter exchange ``doudi.dlx`` (queue ``doudi.dlq.<service>``) and
acked — never lost, never retried forever. The header names are the
operators' contract (``doudi-dept dlq list/replay`` reads them)."""

from __future__ import annotations

from datetime import UTC, datetime

from kombu import Connection, Exchange, Queue
from kombu.pools import producers
from nameko.extensions import SharedExtension

from doudi_common.logs import get_logger
from doudi_common.queue_types import durable_arguments

log = get_logger(__name__)

DLX = "doudi.dlx"
REASON_HEADER = "x-doudi-reason"
DETAIL_HEADER = "x-doudi-detail"
REPLAY_HEADER = "x-doudi-replay"
ORIGINAL_USER_HEADER = "x-doudi-user-id"
ORIGINAL_ROUTING_KEY_HEADER = "x-doudi-routing-key"
ORIGINAL_EXCHANGE_HEADER = "x-doudi-exchange"
DEFAULT_REPLAY_OPERATORS = ("admin",)


class Rejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


class DeadLetters(SharedExtension):
    """Publishes refused messages to ``doudi.dlx`` with publisher confirms."""

    exchange = Exchange(DLX, type="direct", durable=True, auto_delete=False)

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.service = self.container.service_name
        self.queue = dead_letter_queue(self.service, self.container.config.get("QUEUE_TYPE"))
        with Connection(self.amqp_uri) as conn:
            self.queue(conn.channel()).declare()
        self.connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
        self.count = 0

    def stop(self):
        self.connection.release()

    def publish(self, message, reason: str, detail: str, queue_name: str,
                origin: dict | None = None) -> None:
        """``origin``: the original exchange/routing key/user of an authorised
        replay, kept instead of the replay's own (default exchange, operator)."""
        props = message.properties
        headers = dict(message.headers or {})
        headers.update({
            REASON_HEADER: reason,
            DETAIL_HEADER: detail[:1000],
            "x-doudi-service": self.service,
            "x-doudi-queue": queue_name,
            "x-doudi-exchange": message.delivery_info.get("exchange", ""),
            "x-doudi-routing-key": message.delivery_info.get("routing_key", ""),
            "x-doudi-user-id": props.get("user_id") or "",
            "x-doudi-dead-lettered-at": datetime.now(UTC).isoformat(),
        })
        if origin:
            headers.update({ORIGINAL_EXCHANGE_HEADER: origin.get("exchange") or "",
                            ORIGINAL_ROUTING_KEY_HEADER: origin.get("routing_key") or "",
                            ORIGINAL_USER_HEADER: origin.get("user_id") or ""})
        with producers[self.connection].acquire(block=True, timeout=10) as producer:
            # user_id is dropped: the broker only accepts our own user there
            producer.publish(
                message.body, exchange=self.exchange, routing_key=self.service,
                headers=headers, content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                message_id=props.get("message_id"), type=props.get("type"),
                delivery_mode=2, declare=[self.queue], retry=True,
                retry_policy={"max_retries": 3})
        self.count += 1
        log.warning("message dead-lettered", reason=reason, detail=detail,
                    message_id=props.get("message_id"), queue=queue_name)


def dead_letter_queue(service: str, queue_type: str | None = "classic") -> Queue:
    return Queue(f"doudi.dlq.{service}", exchange=DeadLetters.exchange, routing_key=service,
                 durable=True, auto_delete=False,
                 queue_arguments=durable_arguments(None, queue_type))
