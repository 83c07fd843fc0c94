"""What every touch device does without Kivy: its MQTT link with the durable outbox,
change listeners, the retained health report, decoding retained state, and its clock's
offset from the server's (from ``server/heartbeat``; every event is stamped with it).

Subclasses subscribe in ``subscribe()``, add to the health report in ``health()`` and
look at their hardware in ``check_hardware()`` (called before each health report).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from protocol.clock import ServerClock, now_utc
from protocol.decoding import InvalidMessage, decode
from protocol.link import MqttLink
from protocol.messages import DeviceHealth, ServerHeartbeat
from protocol.mqtt.message import Message
from protocol.topics import DEVICE_HEARTBEAT_QOS, TopicKind
from protocol.version import VERSION
from touch_ui.device_config import DeviceConfig

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class DeviceCore:
    def __init__(
        self,
        config: DeviceConfig,
        *,
        health_every_s: float = 30,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.config = config
        self.clock = clock
        self.health_every_s = health_every_s
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.link = MqttLink(
            config.broker,
            config.site,
            config.device_id,
            outbox_path=config.state_dir / f"{config.device_id}.outbox.db",
        )
        self.topics = self.link.topics
        self.server_clock = ServerClock()
        self._listeners: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._health_wake = threading.Event()
        self._health_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def subscribe(self) -> None:
        """Subscribe to what the device shows (subclasses)."""

    def close(self) -> None:
        """Release the device's own resources after the link stopped (subclasses)."""

    def start(self) -> None:
        self.link.subscribe(
            self.topics.server_heartbeat(), self._on_heartbeat, DEVICE_HEARTBEAT_QOS
        )
        self.subscribe()
        self.link.on_connected(self._health_wake.set)
        self.link.start()
        self._health_thread = threading.Thread(
            target=self._health_loop, name=f"{self.config.device_id}-health", daemon=True
        )
        self._health_thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._health_wake.set()
        if self._health_thread is not None:
            self._health_thread.join(timeout=5)
        self.link.stop()
        self.close()

    # ------------------------------------------------------------------ changes

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the MQTT thread) when what the device shows changes."""
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("%s: listener failed", self.config.device_id)

    @property
    def online(self) -> bool:
        """The broker is connected and the server says it is online."""
        return self.link.connected.is_set() and self.link.server_online.is_set()

    @staticmethod
    def decoded(model: type[M], msg: Message) -> M | None:
        """The message, or None for a cleared retained topic or an invalid payload."""
        if not msg.payload:
            return None
        try:
            return decode(model, msg.payload)
        except InvalidMessage as e:
            log.warning("ignored an invalid message on %s: %s", msg.topic, e)
            return None

    # ------------------------------------------------------------------ clock

    def _on_heartbeat(self, msg: Message) -> None:
        if msg.retain:
            return  # of unknown age
        beat = self.decoded(ServerHeartbeat, msg)
        if beat is not None:
            self.server_clock.observe(beat.sent_at, self.clock())

    def clock_offset(self) -> float | None:
        """Server − device clock in seconds, for the events the device sends."""
        return self.server_clock.offset_s

    def server_now(self) -> datetime:
        """The server's time by the latest heartbeat (the device's own if none yet)."""
        return self.server_clock.server_time(self.clock())

    # ------------------------------------------------------------------ health

    def health(self, **extra: Any) -> DeviceHealth:
        return DeviceHealth(
            device_id=self.config.device_id,
            sent_at=self.clock(),
            clock_offset_s=self.clock_offset(),
            app_version=VERSION,
            boot_id=self.link.boot_id,
            outbox_depth=self.link.outbox_depth(),
            **extra,
        )

    def report_health_now(self) -> None:
        self._health_wake.set()

    def check_hardware(self) -> None:
        """Look at attached hardware before a health report (subclasses)."""

    def _health_loop(self) -> None:
        while not self._stop.is_set():
            self._health_wake.wait(self.health_every_s)
            self._health_wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check_hardware()
            except Exception:
                log.exception("%s: hardware check failed", self.config.device_id)
            if self.link.connected.is_set():
                topic = self.topics.device_health(self.config.device_id)
                self.link.send(TopicKind.DEVICE_HEALTH, topic, self.health())
