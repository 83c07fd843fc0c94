"""Admission: what a device message is, and whether its sender may send it.

`Inbound` is a message as the ingest holds it. Its topic is parsed once, on arrival, into
its kind and id; its payload's ``msg_id`` and ``device_id`` are read once, whatever the
bytes hold (a refusal must still name the message and its sender, and a kiosk must be
answered). `Admission` holds the checks every handler runs before it touches the
database: the size, the decoding into the topic's model, and the sender: the id in the
topic, the id in the payload and the device's kind and desk in the site configuration
must agree (`Admission.check_sender`, the one place that says so).

Separate from the handlers so that the rules for "who may say what" are read in one
place, and from the worker so that they are tested without a thread or a broker.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from pydantic import BaseModel

from protocol.decoding import MAX_PAYLOAD_BYTES, InvalidMessage, decode
from protocol.mqtt.message import Message
from protocol.refusals import Reason
from protocol.topics import TopicKind, TopicMatch, Topics
from server.config import SiteConfig
from server.ingest.rejections import Refused

M = TypeVar("M", bound=BaseModel)


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
    """One device message, as received."""

    topic: str
    payload: bytes
    received_at: datetime
    #: The topic's kind and id, parsed once on arrival; ``None``: not a topic we accept.
    route: TopicMatch | None = None
    #: The broker's message, to acknowledge once the batch is committed.
    message: Message | None = field(default=None, repr=False)

    @classmethod
    def arrived(cls, topics: Topics, message: Message, received_at: datetime) -> Inbound:
        return cls(
            message.topic, bytes(message.payload), received_at, topics.parse(message.topic), message
        )

    @property
    def kind(self) -> TopicKind | None:
        return self.route.kind if self.route is not None else None

    @property
    def ident(self) -> str:
        """The id in the topic (kiosk, desk or device), or ``""``."""
        return (self.route.ident if self.route is not None else None) or ""

    @cached_property
    def envelope(self) -> tuple[uuid.UUID | None, str | None]:
        """The payload's ``msg_id`` and ``device_id``, where readable (parsed once)."""
        return _envelope_of(self.payload)

    @property
    def msg_id(self) -> uuid.UUID | None:
        return self.envelope[0]


def check_size(item: Inbound) -> None:
    if len(item.payload) > MAX_PAYLOAD_BYTES:
        raise Refused(Reason.TOO_LARGE, f"{len(item.payload)} bytes > {MAX_PAYLOAD_BYTES}")


def decode_as(model: type[M], item: Inbound) -> M:
    """The payload as ``model`` (UTF-8, JSON, validation), or `Refused`."""
    try:
        return decode(model, item.payload)
    except InvalidMessage as e:
        raise Refused(e.code, e.detail) from None


class Admission:
    """The sender checks of one site."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config

    def check_sender(self, device_id: str, topic_id: str, kind: str | None = None) -> None:
        """The payload's ``device_id`` must be the id in the topic; with ``kind``, the
        topic's id must also be a configured device of that kind (checked first)."""
        if kind is not None:
            self.check_known(topic_id)
            dev = self.config.device_by_id[topic_id]
            if dev.kind != kind:
                raise Refused(
                    Reason.WRONG_DEVICE_KIND, f"{topic_id!r} is a {dev.kind}, not a {kind}"
                )
        if device_id != topic_id:
            raise Refused(
                Reason.DEVICE_MISMATCH, f"payload device_id {device_id!r} ≠ topic id {topic_id!r}"
            )

    def check_known(self, device_id: str) -> None:
        if device_id not in self.config.device_by_id:
            raise Refused(
                Reason.UNKNOWN_DEVICE,
                f"no device {device_id!r} in the site configuration",
                variant="mqtt",
            )

    def check_desk_pad(self, device_id: str, desk_id: str) -> None:
        """A desk's rating comes from the pad bound to that desk, and no other device."""
        if desk_id not in self.config.desk_by_id:
            raise Refused(Reason.UNKNOWN_DESK, f"no desk {desk_id!r}", variant="mqtt")
        if device_id != self.config.pad_of_desk.get(desk_id):
            raise Refused(Reason.NOT_DESK_PAD, f"{device_id!r} is not the pad of desk {desk_id!r}")

    def sender(self, item: Inbound) -> str | None:
        """The device that sent ``item``: the id in its topic; for a desk's rating, that
        desk's pad (or the payload's ``device_id`` if it names a known device)."""
        if item.route is None or item.kind is TopicKind.QUEUE:
            return None
        if item.kind is TopicKind.DESK_RATING:
            pad = self.config.pad_of_desk.get(item.ident)
            device = item.envelope[1]
            return pad or (device if device in self.config.device_by_id else None)
        return item.route.ident
