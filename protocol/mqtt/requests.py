"""Request/response over MQTT 3.1.1: the reply carries the request's ``msg_id`` as its
``request_id`` in the payload, so no response-topic property is needed.

Separate from durable delivery on purpose: a request is never stored nor replayed. One
nobody answers in time is abandoned, and the caller decides what to do instead (e.g. the
kiosk issues an offline number).
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from pydantic import BaseModel

from protocol.decoding import InvalidMessage, decode
from protocol.messages import Event
from protocol.mqtt.connection import Connection
from protocol.mqtt.errors import LinkError, NotConnected, RequestTimeout
from protocol.mqtt.message import Message

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)


class Requests:
    """The requests of one link waiting for their reply, by ``msg_id``."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._replies: dict[str, Future[bytes]] = {}
        self._reply_topics: set[str] = set()

    def request(
        self,
        topic: str,
        request: Event,
        reply_topic: str,
        reply_model: type[R],
        timeout: float = 5.0,
    ) -> R:
        """Publish ``request`` and wait for the reply whose ``request_id`` is its ``msg_id``.

        Not durable: a request nobody answers in time is abandoned (the caller decides
        what to do instead, e.g. issue an offline number), never replayed later.
        """
        conn = self._conn
        if not conn.connected.is_set():
            raise NotConnected("broker unreachable")
        if reply_topic not in self._reply_topics:
            self._reply_topics.add(reply_topic)
            conn.subscribe(reply_topic, self._on_reply)
            if not conn.subs_ready.wait(timeout):
                raise RequestTimeout("subscription to the reply topic not acknowledged")
        key = str(request.msg_id)
        fut: Future[bytes] = Future()
        self._replies[key] = fut
        try:
            conn.publish(topic, request.to_json(), qos=1)
            try:
                payload = fut.result(timeout)
            except FutureTimeout:
                raise RequestTimeout(f"no reply within {timeout:.1f} s") from None
        finally:
            self._replies.pop(key, None)
        try:
            return decode(reply_model, payload)
        except InvalidMessage as e:
            raise LinkError(f"invalid reply: {e}") from None

    def _on_reply(self, msg: Message) -> None:
        try:
            key = str(json.loads(msg.payload).get("request_id"))
        except (ValueError, AttributeError):
            log.warning("unreadable reply on %s", msg.topic)
            return
        fut = self._replies.get(key)
        if fut is not None and not fut.done():
            fut.set_result(msg.payload)
