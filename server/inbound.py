"""A device message as the gateway holds it, and the refusal of one.

`Inbound` reads the payload's ``msg_id`` and ``device_id`` once, whatever the bytes hold
(a refusal must still name the message and its sender, and a kiosk must be answered).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import paho.mqtt.client as mqtt

from protocol.messages import Refusal


class Refused(Exception):
    """A message the server will not apply. For a ticket request, the kiosk is told why
    (``reply``, or a refusal with ``code``) unless ``answered`` (a duplicate re-sends the
    original answer instead)."""

    def __init__(
        self, code: str, detail: str, *, reply: Refusal | None = None, answered: bool = False
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.reply = reply
        self.answered = answered


def _envelope_of(payload: bytes) -> tuple[uuid.UUID | None, str | None]:
    """The ``msg_id`` and ``device_id`` of a payload, where readable; never raises.
    Integers are kept as text: int() of a 15,000-digit number raises ValueError."""
    try:
        data = json.loads(payload, parse_int=str)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    try:
        msg_id: uuid.UUID | None = uuid.UUID(str(data.get("msg_id")))
    except ValueError:
        msg_id = None
    device = data.get("device_id")
    return msg_id, device if isinstance(device, str) else None


@dataclass
class Inbound:
    topic: str
    payload: bytes
    received_at: datetime
    message: mqtt.MQTTMessage | None = None

    @cached_property
    def envelope(self) -> tuple[uuid.UUID | None, str | None]:
        """The payload's ``msg_id`` and ``device_id``, where readable (parsed once)."""
        return _envelope_of(self.payload)

    @property
    def msg_id(self) -> uuid.UUID | None:
        return self.envelope[0]
