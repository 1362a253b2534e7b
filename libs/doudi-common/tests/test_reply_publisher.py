"""An RPC reply the broker cannot take (it went away while the call ran) is
dropped with a warning: raising would stop the whole service — nameko ends the
container when a worker's result handling raises (issue 22: a broker restart
under load stopped eligibility this way)."""

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
