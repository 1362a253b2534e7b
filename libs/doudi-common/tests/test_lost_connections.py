"""A connection lost under a service's feet is no reason to stop the service:
nameko ends the whole container when a worker's result handling or a managed
thread raises (issue 22: a broker restart under load stopped eligibility
twice this way). An RPC reply the broker cannot take is dropped with a
warning (the caller has its 503/504); an ack or requeue lost with the
connection is left to the broker, which delivers the message again."""

from __future__ import annotations

from types import SimpleNamespace

from doudi_common.entrypoints.rpc import DirectReplies, ReplyPublisher
from doudi_common.testing.fixtures import free_port
from kombu import Exchange


def test_a_reply_the_broker_cannot_take_is_dropped_not_raised():
    publisher = ReplyPublisher(f"pyamqp://guest:guest@127.0.0.1:{free_port()}/")
    publisher.retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0,
                              "interval_max": 0}
    # returns: nothing listens on that port
    publisher.send('{"result": 1, "error": null}', "application/json", "utf-8",
                   Exchange("nameko-rpc", type="topic"), "reply-queue", "call-1")


def test_a_direct_reply_line_that_cannot_connect_hands_over_to_the_pool():
    """The direct line reconnects on its first reply after the broker went
    away; when it cannot, the reply goes to the pool (which drops it) rather
    than raising."""
    uri = f"pyamqp://guest:guest@127.0.0.1:{free_port()}/"
    direct = DirectReplies()
    direct.container = SimpleNamespace(config={"AMQP_URI": uri})
    direct.setup()
    publisher = ReplyPublisher(uri, direct=direct)
    publisher.retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0,
                              "interval_max": 0}
    publisher.send('{"result": 1, "error": null}', "application/json", "utf-8",
                   Exchange("nameko-rpc", type="topic"), "reply-queue", "call-2")


def test_an_ack_or_requeue_lost_with_the_connection_does_not_raise():
    from doudi_common.entrypoints.subscribe import EventSubscriber

    class Gone:
        def ack_message(self, message):
            raise ConnectionResetError(104, "Connection reset by peer")

        requeue_message = ack_message

    subscription = EventSubscriber.__new__(EventSubscriber)
    subscription.queue_consumer = Gone()
    subscription.container = SimpleNamespace(service_name="probe")
    subscription._ack(object())
    subscription._requeue(object())
    # and the operator sees it
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("doudi_connection_errors_total",
                                     {"service": "probe", "dependency": "broker"}) == 2
