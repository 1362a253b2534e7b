"""py-amqp reads ahead (doudi_common.amqp_io._read_ahead): the same frames as
py-amqp's exact reads, from fewer system calls, and nothing lost across a
timeout or a frame split over several TCP segments."""

from __future__ import annotations

import socket
import struct

import doudi_common.amqp_io  # noqa: F401 - installs the read-ahead
import pytest
from amqp.transport import TCPTransport
from doudi_common.amqp_io import READ_AHEAD, _read_ahead


def frame(frame_type: int, channel: int, payload: bytes) -> bytes:
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + b"\xce"


class CountingSocket:
    """A socket end whose ``recv`` calls are counted."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.recv_calls = 0

    def recv(self, n: int) -> bytes:
        self.recv_calls += 1
        return self.sock.recv(n)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.settimeout(2)
    yield a, b
    a.close()
    b.close()


def transport_on(sock: socket.socket) -> tuple[TCPTransport, CountingSocket]:
    transport = TCPTransport.__new__(TCPTransport)
    counting = CountingSocket(sock)
    transport.sock = sock
    transport._quick_recv = counting.recv
    transport._read_buffer = b""
    transport.raise_on_initial_eintr = True
    transport.connected = True
    return transport, counting


def test_installed_for_plain_tcp_connections():
    assert TCPTransport._read is _read_ahead


def test_three_frames_in_one_segment_take_one_recv(pair):
    a, b = pair
    frames = [frame(1, 1, b"method"), frame(2, 1, b"header" * 5), frame(3, 1, "正文".encode())]
    b.sendall(b"".join(frames))
    transport, counting = transport_on(a)
    got = [transport.read_frame() for _ in frames]
    assert got == [(1, 1, b"method"), (2, 1, b"header" * 5), (3, 1, "正文".encode())]
    # py-amqp's exact reads: three per frame (header, payload, end octet)
    assert counting.recv_calls == 1
    assert transport._read_buffer == b""


def test_frame_split_across_segments_and_bigger_than_the_read_ahead(pair):
    a, b = pair
    big = bytes(range(256)) * (READ_AHEAD // 256 * 3 + 7)  # > 3 × READ_AHEAD
    data = frame(3, 2, big) + frame(8, 0, b"")
    transport, _ = transport_on(a)
    b.sendall(data[:5])  # not even the whole frame header yet
    import threading

    sender = threading.Timer(0.05, lambda: b.sendall(data[5:]))
    sender.start()
    try:
        assert transport.read_frame() == (3, 2, big)
        assert transport.read_frame() == (8, 0, b"")
    finally:
        sender.join()


def test_a_timeout_mid_frame_keeps_what_was_read(pair):
    a, b = pair
    data = frame(3, 1, b"x" * 100)
    a.settimeout(0.05)
    transport, _ = transport_on(a)
    b.sendall(data[:40])
    with pytest.raises(socket.timeout):
        transport.read_frame()
    b.sendall(data[40:])
    assert transport.read_frame() == (3, 1, b"x" * 100)


def test_closed_connection_is_an_error(pair):
    a, b = pair
    b.sendall(frame(1, 0, b"abc")[:4])
    b.close()
    transport, _ = transport_on(a)
    with pytest.raises(OSError, match="closed"):
        transport.read_frame()
