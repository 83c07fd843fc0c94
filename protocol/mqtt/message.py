"""`Message`: what a subscriber's handler receives, so no paho type leaves ``protocol``.

Devices and the server subscribe through `protocol.link.MqttLink` with a `Handler`; they
see this small immutable value instead of paho's ``MQTTMessage``, and never import paho.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One message received on a subscription."""

    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 0
    #: The broker's packet id, needed to acknowledge it by hand (``manual_ack`` links).
    mid: int = 0


#: A subscriber's callback. It runs on paho's network thread: hand work off only.
Handler = Callable[[Message], None]


def unshared(topic_filter: str) -> str:
    """The filter a shared subscription (``$share/{group}/{filter}``) matches topics by."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
