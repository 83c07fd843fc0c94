"""Reading a worker's batch of messages: facts, pulses and link notifications, each
checked against its topic (an office writes only under its own site, the hub broker's
ACL sees to it, and the worker checks the payload says the same); the rest refused."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from hub.store import Batch
from protocol.decoding import InvalidMessage, decode, excerpt
from protocol.hub import HubFact, HubTopics, OfficePulse
from protocol.mqtt.message import Message
from protocol.refusals import Reason
from server.db.tables import RejectedMessageRow
from server.timeutil import now_utc

log = logging.getLogger(__name__)


def read_batch(
    inbox: queue.Queue[Message], most: int, wait_s: float, stop: threading.Event
) -> list[Message]:
    """Up to ``most`` messages: the first one waited for (while not stopping), then
    whatever else comes within ``wait_s`` of it."""
    try:
        first = inbox.get(timeout=0.2)
    except queue.Empty:
        return []
    messages = [first]
    deadline = time.monotonic() + wait_s
    while len(messages) < most and not stop.is_set():
        try:
            messages.append(inbox.get_nowait())
            continue
        except queue.Empty:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            messages.append(inbox.get(timeout=left))
        except queue.Empty:
            break
    return messages


@dataclass
class Intake:
    topics: HubTopics
    batch: Batch = field(default_factory=Batch)
    pulses: dict[str, OfficePulse] = field(default_factory=dict)
    links: dict[str, bool] = field(default_factory=dict)
    rejected: list[RejectedMessageRow] = field(default_factory=list)

    def add(self, msg: Message) -> None:
        site = self.topics.site_of(msg.topic)
        kind = self.topics.kind_of(msg.topic)
        try:
            if site is None or kind is None:
                raise InvalidMessage(Reason.INVALID, "not a hub topic")
            if kind == "link":
                self.links[site] = _link_state(msg.payload)
            elif kind == "pulse":
                self._pulse(site, decode(OfficePulse, msg.payload))
            elif kind == "facts":
                fact = decode(HubFact, msg.payload)
                _same_site(site, fact.site)
                self.batch.add(fact)
            else:
                raise InvalidMessage(Reason.INVALID, f"{kind} is not for the hub")
        except InvalidMessage as e:
            self.refuse(msg, site, e)

    def _pulse(self, site: str, pulse: OfficePulse) -> None:
        _same_site(site, pulse.site)
        known = self.pulses.get(site)
        if known is None or known.sent_at <= pulse.sent_at:
            self.pulses[site] = pulse

    def refuse(self, msg: Message, site: str | None, e: InvalidMessage) -> None:
        log.warning("refused a message on %s: %s (%s)", msg.topic, e.code, e.detail)
        self.rejected.append(
            RejectedMessageRow(
                site=(site or "?")[:32],
                received_at=now_utc(),
                topic=msg.topic[:300],
                reason=str(e.code)[:32],
                detail=str(e.detail)[:500],
                excerpt=excerpt(msg.payload),
                device_id=None,
                msg_id=None,
            )
        )


def _link_state(payload: bytes) -> bool:
    if payload in (b"1", b"0"):
        return payload == b"1"
    raise InvalidMessage(Reason.INVALID, "a bridge notification is 1 or 0")


def _same_site(topic_site: str, payload_site: str) -> None:
    if topic_site != payload_site:
        raise InvalidMessage(
            Reason.INVALID, f"site {payload_site!r} in a message on site {topic_site!r}'s topic"
        )
