"""Real MQTT device clients for tests (the same `MqttLink` kiosks and pads use)."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from protocol.link import MqttLink
from protocol.messages import DeskRating, TicketRequest, TicketResponse
from protocol.mqtt.message import Message
from protocol.settings import BrokerSettings
from server.config import SiteConfig
from tests.support.services import Broker
from tests.support.sites import device_password
from tests.support.waiting import eventually


def now() -> datetime:
    return datetime.now(UTC)


def settings_for(
    broker: Broker, site: SiteConfig, username: str, password: str | None = None
) -> BrokerSettings:
    return BrokerSettings(
        host=broker.host,
        port=broker.port,
        username=username,
        password=SecretStr(password if password is not None else device_password(username)),
        prefix=site.server.broker.prefix,
        reconnect_min_s=1,
        reconnect_max_s=2,
    )


def device_link(
    site: SiteConfig, broker: Broker, device_id: str, outbox_dir: Path | None = None, **kwargs: Any
) -> MqttLink:
    outbox = outbox_dir / f"{device_id}.outbox.db" if outbox_dir is not None else None
    link = MqttLink(
        settings_for(broker, site, device_id),
        site.site.code,
        device_id,
        outbox_path=outbox,
        **kwargs,
    )
    return link


def started(link: MqttLink, timeout: float = 10.0) -> MqttLink:
    link.start()
    assert link.wait_connected(timeout), f"{link.device_id} could not connect"
    return link


def request_ticket(
    link: MqttLink, service: str, priority: str | None = None, timeout: float = 10.0
) -> TicketResponse:
    topics = link.topics
    req = TicketRequest(device_id=link.device_id, sent_at=now(), service=service, priority=priority)
    return link.request(
        topics.ticket_request(link.device_id),
        req,
        topics.ticket_response(link.device_id),
        TicketResponse,
        timeout,
    )


def rating(
    pad_id: str, ticket_id: uuid.UUID, level: str = "very_satisfied", **kw: Any
) -> DeskRating:
    return DeskRating(device_id=pad_id, sent_at=now(), ticket_id=ticket_id, level=level, **kw)


class Watcher:
    """A monitor-account subscriber that records every message on a topic filter."""

    def __init__(
        self,
        site: SiteConfig,
        broker: Broker,
        topic_filter: str,
        device_id: str = "monitor-1",
        password: str | None = None,
    ) -> None:
        """``device_id``/``password``: the account (the broker keeps one connection per
        account, so two watchers at once need two accounts, e.g. a test-tool one)."""
        self._seen: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self.link = MqttLink(
            settings_for(broker, site, device_id, password),
            site.site.code,
            device_id,
            clean_session=True,
            client_id=f"{device_id}-{uuid.uuid4().hex[:6]}",
            announce_status=False,
        )
        self.link.subscribe(topic_filter, self._on)
        started(self.link)

    def _on(self, msg: Message) -> None:
        item = (msg.topic, bytes(msg.payload), bool(msg.retain))
        with self._lock:
            self._seen.append(item)

    def wait_for(
        self, predicate: Callable[[str, dict[str, Any]], bool], timeout: float = 10.0
    ) -> tuple[str, dict[str, Any]]:
        """The first message (seen before or after the call) for which ``predicate`` holds.

        Each message is offered to ``predicate`` once, in order (a predicate may count)."""
        checked = 0

        def next_match() -> tuple[str, dict[str, Any]] | None:
            nonlocal checked
            while True:
                with self._lock:
                    if checked >= len(self._seen):
                        return None
                    topic, payload, _retain = self._seen[checked]
                checked += 1
                data = _json_or_none(payload)
                if data is not None and predicate(topic, data):
                    return topic, data

        return eventually(next_match, "a matching message", timeout)

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        """Every JSON message seen so far (others, e.g. a device's bad input, are skipped)."""
        with self._lock:
            seen = list(self._seen)
        out = []
        for topic, payload, _retain in seen:
            if not payload:
                continue
            with contextlib.suppress(ValueError, RecursionError):
                out.append((topic, json.loads(payload)))
        return out

    def stop(self) -> None:
        self.link.stop(announce_offline=False)


def _json_or_none(payload: bytes) -> dict[str, Any] | None:
    """An empty payload as ``{}``; None for one that is not JSON (e.g. a device's bad input)."""
    try:
        return json.loads(payload) if payload else {}
    except (ValueError, RecursionError):
        return None
