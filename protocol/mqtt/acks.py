"""Sending a batch of packets at once (a hub worker's receipts and acknowledgements,
after its commit).

paho wakes its network thread (one byte on an internal socket pair) for every packet
queued from another thread: for a batch of a thousand PUBACKs that is a thousand
system calls and as many turns of its loop. Inside `one_wakeup` the packets are queued
with the wake-up held back; the thread is woken once at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from protocol.mqtt.connection import Connection
from protocol.mqtt.message import Message


@contextlib.contextmanager
def one_wakeup(connection: Connection) -> Iterator[None]:
    client = connection.client
    wake = client._sockpairW
    client._sockpairW = None
    try:
        yield
    finally:
        client._sockpairW = wake
        if wake is not None:
            with contextlib.suppress(OSError):
                wake.send(b"0")


def ack_all(connection: Connection, messages: Sequence[Message]) -> None:
    """Acknowledge ``messages`` (received with manual acknowledgement)."""
    client = connection.client
    for msg in messages:
        if msg.qos > 0:
            client.ack(msg.mid, msg.qos)
