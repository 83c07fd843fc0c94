"""Wires one server process together: database, queue engine, use cases, broker, link,
MQTT ingest, and the periodic housekeeping.

``motcua server`` builds a `ServerRuntime`, starts it, then serves HTTP. Tests build
the same object in-process (or run the command as a subprocess to kill it).

Start-up order matters: the database lock first (a second server on the same database
is refused before it touches anything), then the migrations, then the one-box broker
(a Mosquitto the server supervises, `server.broker.embedded`), then the link.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from protocol.hub import PULSE_QOS
from protocol.link import MqttLink
from protocol.messages import ServerStatus
from protocol.mqtt.connection import PresenceState
from protocol.settings import BrokerSettings
from protocol.version import VERSION
from server.broker.embedded import BrokerError, EmbeddedBroker
from server.config import ConfigError, SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.server_lock import AlreadyRunning, ServerLock
from server.ingest.worker import IngestWorker
from server.link_watch import HEARTBEAT_S, LinkReport, LinkWatch, server_auth_hint
from server.publisher import StatePublisher
from server.queue.engine import QueueEngine
from server.reports.rollup import Rollups, Warmer
from server.services.desks import DeskService
from server.services.housekeeping import HOUSEKEEPING_EVERY_S, Housekeeping
from server.services.ratings import RatingService
from server.services.tickets import TicketService
from server.timeutil import now_utc
from server.uplink.forwarder import Forwarder
from server.uplink.pulse import build_pulse

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


class Periodic:
    """Runs ``job`` on a thread of its own: once at start, then every ``every_s``.
    A failure is logged and the job runs again next time."""

    def __init__(self, name: str, every_s: float, job: Callable[[], None]) -> None:
        self.name = name
        self.every_s = every_s
        self.job = job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.job()
            except Exception:
                log.exception("%s failed; tried again in %.0f s", self.name, self.every_s)
            self._stop.wait(self.every_s)


@dataclass
class ServerRuntime:
    config: SiteConfig
    database_url: str | None = None
    #: Start the one-box broker (default: as configured).
    embedded_broker: bool | None = None
    broker_port: int | None = None
    mqtt_password: str | None = None
    migrate: bool = True
    #: How often the server checks that the broker still delivers to it.
    heartbeat_s: float = HEARTBEAT_S
    started_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        cfg = self.config
        self.db = Database(self.database_url or cfg.database_url())
        self.engine = QueueEngine(cfg)
        placement = cfg.server.broker
        self.use_embedded = (
            placement.embedded if self.embedded_broker is None else self.embedded_broker
        )
        self.port = self.broker_port or placement.port
        self.broker: EmbeddedBroker | None = None
        self.link: MqttLink | None = None
        self.watch: LinkWatch | None = None
        self.lock = ServerLock(self.db, cfg.site.code)
        self.boot_id = uuid.uuid4()
        self.boot_at = now_utc()
        self.publisher = StatePublisher(cfg, self.db, self.engine, None)
        #: The use cases (`server.services`), shared by the HTTP API and the MQTT ingest.
        self.desks = DeskService(cfg, self.db, self.engine, self.publisher)
        self.tickets = TicketService(self.engine)
        self.ratings = RatingService(cfg)
        self.housekeeping = Housekeeping(cfg, self.db, self.engine, self.publisher)
        self.ingest = IngestWorker(cfg, self.db, self.publisher, None, self.tickets, self.ratings)
        self._housekeeping = Periodic("housekeeping", HOUSEKEEPING_EVERY_S, self.housekeeping.run)
        #: Why this server gave up on its own (another server holds the site), if it did.
        self.fatal: str | None = None
        #: Called with ``fatal`` (from a background thread), e.g. to stop serving HTTP.
        self.fatal_hooks: list[Callable[[str], None]] = []
        #: Called (from the link watch's thread) when the broker link's state changes.
        self.link_listeners: list[Callable[[LinkReport], None]] = []
        self.publisher.presence_known = self.presence_known
        #: Daily report roll-ups, kept built in the background once the server runs.
        self.rollups = Rollups(self.db, cfg)
        self.rollup_warmer = Warmer(self.rollups)
        #: Forwarding committed facts to the hub (site YAML ``hub:``), and the pulse.
        self.uplink = Forwarder(cfg, self.db) if cfg.hub is not None else None
        self._pulse = (
            Periodic("hub-pulse", cfg.hub.pulse_every_s, self._send_pulse)
            if cfg.hub is not None
            else None
        )

    def start(self) -> None:
        cfg = self.config
        try:
            self.lock.acquire(self.boot_at)
        except AlreadyRunning as e:
            raise StartupError(str(e)) from None
        if self.migrate:
            upgrade(self.db)
        password: str | None = self.mqtt_password
        if self.use_embedded:
            placement = cfg.server.broker
            self.broker = EmbeddedBroker(
                cfg,
                placement.bind,
                self.port,
                data_dir=cfg.server.data_dir,
                mosquitto=placement.mosquitto,
            )
            try:
                self.broker.start()
            except (BrokerError, ConfigError) as e:  # ConfigError: the hub bridge's password
                raise StartupError(str(e)) from None
            password = self.broker.server_password
        if password is None:
            secret = cfg.server_password()
            if secret is None:
                raise StartupError(
                    "the server's broker password is missing: set "
                    f"{cfg.server.broker.password_env} (or use the one-box broker)"
                )
            password = secret.get_secret_value()
        placement = cfg.server.broker
        port, ca_file = placement.link_endpoint(self.broker_port)
        settings = BrokerSettings(
            host=placement.host,
            port=port,
            username=placement.username,
            password=SecretStr(password),
            tls_ca_file=ca_file,
            prefix=placement.prefix,
        )
        link = MqttLink(
            settings,
            cfg.site.code,
            placement.username,
            manual_ack=True,  # acknowledged after the commit: redelivered if we die first
            clean_session=False,
            client_id=f"motcua-server-{cfg.site.code}",
            status_topic=cfg.topics.server_status(),
            status_payload=self._status_payload,
            max_inflight=1000,
            announce_after_subscribe=True,
        )
        link.connection.refusals.auth_hint = server_auth_hint(
            placement.password_env, self.use_embedded
        )
        self.link = link
        self.publisher.link = link
        self.ingest.link = link
        if self.uplink is not None:
            self.uplink.attach(link)
        self.watch = LinkWatch(
            link, cfg.topics, self.boot_id, self.boot_at, self._give_up, self.heartbeat_s
        )
        self.watch.listeners = self.link_listeners
        self.watch.attach()
        self.publisher.start()
        self.desks.ensure_desks()
        self.ingest.start()
        self._housekeeping.start()
        link.start()
        self.rollup_warmer.start()
        if self.uplink is not None and self._pulse is not None:
            self.uplink.start()
            self._pulse.start()

    def _send_pulse(self) -> None:
        """Tell the hub this office is alive (not while the bridge says the WAN is down:
        a pulse is only worth its freshness)."""
        up, link = self.uplink, self.link
        if up is None or link is None or not link.connected.is_set() or up.link_up is False:
            return
        pulse = build_pulse(self.config, self.db, self.engine, self.boot_id, up.backlog())
        link.publish(up.topics.topic("pulse"), pulse.to_json(), qos=PULSE_QOS)

    def _status_payload(self, state: PresenceState) -> bytes:
        return ServerStatus(
            state=state,
            boot_id=self.boot_id,
            version=VERSION,
            since=self.boot_at,
            host=socket.gethostname()[:40],
            pid=os.getpid(),
        ).to_json()

    def _give_up(self, reason: str) -> None:
        """Another server holds the site: leave the broker and tell whoever runs us."""
        self.fatal = reason
        if self.link is not None:
            self.link.stop(announce_offline=False)
        for hook in list(self.fatal_hooks):
            try:
                hook(reason)
            except Exception:
                log.exception("fatal hook failed")

    def wait_ready(self, timeout: float = 15.0) -> bool:
        return self.link is not None and self.link.wait_connected(timeout)

    def link_report(self) -> LinkReport | None:
        return self.watch.report() if self.watch is not None else None

    def presence_known(self) -> bool:
        """Do the devices' statuses still hold? Not while our own broker link is down:
        their Last Wills and new statuses would not reach us."""
        report = self.link_report()
        return report is not None and report.ok

    def broker_report(self) -> dict[str, Any]:
        """The one-box broker's process, or that the broker is someone else's."""
        if self.broker is None:
            return {"kind": "external", "running": None, "restarts": 0, "last_exit": None}
        return {
            "kind": "embedded",
            "running": self.broker.running,
            "restarts": self.broker.restarts,
            "last_exit": self.broker.last_exit,
        }

    def stop(self) -> None:
        if self._pulse is not None:
            self._pulse.stop()
        if self.uplink is not None:
            self.uplink.stop()
        self.rollup_warmer.stop()
        self._housekeeping.stop()
        if self.watch is not None:
            self.watch.stop()
        self.ingest.stop()
        self.publisher.stop()
        if self.link is not None and not self.fatal:
            self.link.stop()
        if self.broker is not None:
            self.broker.stop()
        self.lock.release()
        self.db.dispose()

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at
