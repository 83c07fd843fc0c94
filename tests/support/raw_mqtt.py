"""MQTT 3.1.1 packets written by hand, for attack tests.

paho reconnects by itself and never sends what a broker should refuse; an attacker does
both. These helpers open plain sockets, send exactly the packets a test describes and
read what the broker answers, so a test sees the broker's own behaviour.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
from dataclasses import dataclass, field

from tests.support.waiting import eventually

CONNACK_ACCEPTED = 0

#: How long one look at the socket blocks while a read waits for the broker.
POLL_S = 0.05


class _Closed(Exception):
    """The broker closed the connection. Not an `OSError` (as `ConnectionError` is), so
    `eventually` stops at once instead of taking it for "not yet"."""


def varint(n: int) -> bytes:
    """MQTT's variable-length "remaining length"."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def connect_packet(
    client_id: str,
    username: str | None = None,
    password: str | None = None,
    *,
    clean: bool = True,
    keepalive: int = 60,
    will: tuple[str, bytes, int, bool] | None = None,
) -> bytes:
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will is not None:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(message)
    if username is not None:
        flags |= 0x80
        payload += _str(username)
    if password is not None:
        flags |= 0x40
        payload += _str(password)
    body = _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    return b"\x10" + varint(len(body)) + body


def subscribe_packet(packet_id: int, topic_filter: str, qos: int = 1) -> bytes:
    body = struct.pack("!H", packet_id) + _str(topic_filter) + bytes([qos])
    return b"\x82" + varint(len(body)) + body


def publish_header(topic: str, payload_len: int, *, qos: int = 0, retain: bool = False) -> bytes:
    """A PUBLISH's fixed header and topic, announcing ``payload_len`` bytes to follow."""
    head = _str(topic) + (b"\x00\x01" if qos else b"")
    return bytes([0x30 | (qos << 1) | int(retain)]) + varint(len(head) + payload_len) + head


@dataclass
class Packet:
    type: int
    body: bytes

    @property
    def topic(self) -> str:
        (n,) = struct.unpack("!H", self.body[:2])
        return self.body[2 : 2 + n].decode()


@dataclass
class RawConnection:
    sock: socket.socket
    connack: int | None = None
    _buf: bytearray = field(default_factory=bytearray)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, wait: float) -> bool:
        """Add what the broker sent within ``wait`` seconds to the buffer; False if nothing
        came, `_Closed` if the broker closed the connection."""
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return False
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            raise _Closed
        self._buf += chunk
        return True

    def read(self, timeout: float = 10.0) -> Packet:
        """The next packet from the broker; `TimeoutError` if none, `ConnectionError` if
        the broker closed the connection."""

        def next_packet() -> Packet | None:
            if (packet := self._parse()) is None and self._fill(POLL_S):
                packet = self._parse()
            return packet

        try:
            return eventually(next_packet, "a packet from the broker", timeout, interval=0)
        except _Closed:
            raise ConnectionError("closed by the broker") from None
        except AssertionError:
            raise TimeoutError("no packet from the broker") from None

    def _parse(self) -> Packet | None:
        buf = self._buf
        if len(buf) < 2:
            return None
        length, mult, i = 0, 1, 1
        while True:
            if i >= len(buf):
                return None
            byte = buf[i]
            length += (byte & 0x7F) * mult
            mult *= 128
            i += 1
            if not byte & 0x80:
                break
        if len(buf) < i + length:
            return None
        packet = Packet(buf[0] >> 4, bytes(buf[i : i + length]))
        del buf[: i + length]
        return packet

    def closed_by_broker(self, timeout: float = 0.0) -> bool:
        """True once the broker has closed the connection (within ``timeout``)."""

        def closed() -> bool:
            try:
                while self._fill(0):  # what it sent before closing
                    pass
            except _Closed:
                return True
            return False

        try:
            return eventually(closed, "the broker to close the connection", timeout, POLL_S)
        except AssertionError:
            return False

    def close(self) -> None:
        """Drop the socket without DISCONNECT: for the broker, an abnormal end (Last Will)."""
        with contextlib.suppress(OSError):
            self.sock.close()


def raw_connect(
    host: str,
    port: int,
    client_id: str,
    username: str | None = None,
    password: str | None = None,
    *,
    timeout: float = 10.0,
    **kwargs: object,
) -> RawConnection:
    """Open a socket, send CONNECT, read the CONNACK: ``connack`` is its return code
    (0 accepted, 4 bad user name or password, 5 not authorised), or None if the broker
    closed the connection instead."""
    sock = socket.create_connection((host, port), timeout=timeout)
    conn = RawConnection(sock)
    conn.send(connect_packet(client_id, username, password, **kwargs))  # type: ignore[arg-type]
    try:
        packet = conn.read(timeout)
    except ConnectionError:
        return conn
    assert packet.type == 2, f"expected CONNACK, got packet type {packet.type}"
    conn.connack = packet.body[1]
    return conn
