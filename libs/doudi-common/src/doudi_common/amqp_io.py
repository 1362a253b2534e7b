"""How the suite's processes use their AMQP sockets (py-amqp), installed on import.

* ``install_read_ahead()`` (run when this module is first imported): every
  plain-TCP py-amqp connection in the process reads ahead (``_read_ahead``)
  instead of three exact reads per frame. Every module that opens AMQP
  connections imports this one — the services' entrypoints and relay, the
  gateway's RPC client, the departments' SDK, the test fixtures and the bench —
  so they all run the same reads.
* ``no_poll_before_publish(connection)``: no socket read before every publish.
* ``corked(connection)``: the frames of a block (a batch's publishes, a
  batch's acks) go out in one socket write at its end.
* ``BROKER_ERRORS``: what a dead or unreachable broker raises.

Nothing else of the suite is imported here.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError

#: what a dead or unreachable broker raises on the way to a publish or a call
#: (sockets: OSError; connections and channels: AMQPError; kombu's ensure and
#: pools: OperationalError)
BROKER_ERRORS = (OSError, AMQPError, OperationalError)


def no_poll_before_publish(connection: Any) -> None:
    """Stop py-amqp reading the socket before every publish on ``connection``
    (an ``amqp.Connection``): it does so (a read with timeout 0: more system
    calls and an exception each time) when the broker announced
    ``connection.blocked``, to hear of a broker alarm at once. For connections
    whose owner reads the socket anyway soon after publishing (a reply, a
    batch's confirms, a periodic poll). The broker still sends the notice."""
    props = connection.client_properties or {}
    connection.client_properties = {**props, "capabilities": {
        **props.get("capabilities", {}), "connection.blocked": False}}


class _Cork:
    """A connection's frame writer whose writes are held in a buffer (py-amqp's
    own ``frame_writer``, given this object as its transport)."""

    def __init__(self, connection: Any):
        from amqp.method_framing import frame_writer

        self.transport = connection.transport
        self.held: bytearray | None = None
        self.writer = frame_writer(connection, self)

    def write(self, data: Any) -> None:
        # py-amqp hands over a view of a buffer it reuses: copied here
        assert self.held is not None, "written outside corked()"
        self.held += data


@contextmanager
def corked(connection: Any) -> Iterator[None]:
    """Hold every frame written on ``connection`` (an ``amqp.Connection``)
    inside the block and send them in one socket write when it ends — for a
    loop of asynchronous methods (``basic_publish``, ``basic_ack``): one system
    call and one broker read for a batch instead of one per message, the same
    frames in the same order. Nothing inside may wait for the broker's answer
    (its request would still be held). A block that raises still sends the
    whole frames written before; a nested block is part of the outer one."""
    cork = getattr(connection, "_doudi_cork", None)
    if cork is None or cork.transport is not connection.transport:
        cork = connection._doudi_cork = _Cork(connection)
    if cork.held is not None:
        yield
        return
    plain, cork.held = connection.frame_writer, bytearray()
    connection.frame_writer = cork.writer
    try:
        yield
    finally:
        held, cork.held = cork.held, None
        connection.frame_writer = plain
        if held:
            connection.transport.write(bytes(held))


READ_AHEAD = 16 * 1024


def _read_ahead(self: Any, n: int, initial: bool = False,
                _errnos: tuple[int, ...] = (errno.EAGAIN, errno.EINTR)) -> bytes:
    """``TCPTransport._read`` that asks the socket for up to ``READ_AHEAD`` bytes
    instead of exactly the ``n`` still missing. py-amqp reads every frame in
    three exact reads (header, payload, end octet), each a ``poll`` and a
    ``recv`` on a socket with a timeout: nine pairs of system calls for one
    message, each releasing the GIL (a thread switch under load), where one
    usually brings all of it. The rest stays in ``_read_buffer``, which py-amqp
    consults first, so semantics are unchanged; nothing in the suite polls the
    socket's file descriptor for readiness instead of reading through py-amqp.
    The cap keeps the per-read slice of the buffer cheap."""
    rbuf = self._read_buffer
    if len(rbuf) < n:
        recv = self._quick_recv
        try:
            while len(rbuf) < n:
                try:
                    s = recv(max(n - len(rbuf), READ_AHEAD))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise TimeoutError() from None
                        continue
                    raise
                if not s:
                    raise OSError("Server unexpectedly closed connection")
                rbuf += s
        except:
            self._read_buffer = rbuf
            raise
    result, self._read_buffer = rbuf[:n], rbuf[n:]
    return result


def install_read_ahead() -> None:
    """Make every plain-TCP py-amqp connection in this process read ahead
    (``_read_ahead``). TLS connections keep py-amqp's own reads."""
    from amqp.transport import TCPTransport

    TCPTransport._read = _read_ahead


install_read_ahead()
