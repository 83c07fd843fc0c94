"""Wires one server process together: database, queue engine, broker link, gateway.

``motcua server`` builds a `ServerRuntime`, starts it, then serves HTTP. Tests build
the same object in-process (or run the command as a subprocess to kill it).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from pydantic import SecretStr

from protocol.link import MqttLink
from protocol.messages import ServerStatus
from protocol.settings import BrokerSettings
from server import __version__
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.embedded_broker import EmbeddedBroker
from server.gateway import Gateway
from server.publisher import StatePublisher
from server.queue.engine import QueueEngine
from server.timeutil import now_utc

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


@dataclass
class ServerRuntime:
    config: SiteConfig
    database_url: str | None = None
    #: Start the embedded broker (default: as configured).
    embedded_broker: bool | None = None
    broker_port: int | None = None
    mqtt_password: str | None = None
    migrate: bool = True
    #: Acknowledge messages only after their commit. Default: yes with Mosquitto/EMQX, which
    #: redeliver unacknowledged messages; no with amqtt, which drops a message whose PUBACK
    #: takes over 5 s (hard-coded) — there the devices' receipts carry the guarantee.
    ack_after_commit: bool | None = None
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
        self.boot_id = uuid.uuid4()
        self.boot_at = now_utc()
        self.publisher = StatePublisher(cfg, self.db, self.engine, None)
        self.gateway = Gateway(cfg, self.db, self.engine, self.publisher, None)

    def start(self) -> None:
        cfg = self.config
        if self.migrate:
            upgrade(self.db)
        password: str | None = self.mqtt_password
        if self.use_embedded:
            self.broker = EmbeddedBroker(cfg, cfg.server.broker.bind, self.port)
            self.broker.start()
            password = self.broker.server_password
        if password is None:
            secret = cfg.server_password()
            if secret is None:
                raise StartupError(
                    "the server's broker password is missing: set "
                    f"{cfg.server.broker.password_env} (or use the embedded broker)"
                )
            password = secret.get_secret_value()
        placement = cfg.server.broker
        settings = BrokerSettings(
            host=placement.host,
            port=self.port,
            username=placement.username,
            password=SecretStr(password),
            tls_ca_file=placement.tls_ca_file,
            prefix=placement.prefix,
        )
        link = MqttLink(
            settings,
            cfg.site.code,
            placement.username,
            manual_ack=self.ack_after_commit
            if self.ack_after_commit is not None
            else not self.use_embedded,
            clean_session=False,
            client_id=f"motcua-server-{cfg.site.code}",
            status_topic=cfg.topics.server_status(),
            status_payload=self._status_payload,
            max_inflight=1000,
        )
        self.link = link
        self.publisher.link = link
        self.gateway.link = link
        self.publisher.start()
        self.gateway.start()
        link.start()

    def _status_payload(self, state: str) -> bytes:
        return ServerStatus(
            state=state,  # type: ignore[arg-type]
            boot_id=self.boot_id,
            version=__version__,
            since=self.boot_at,
        ).to_json()

    def wait_ready(self, timeout: float = 15.0) -> bool:
        return self.link is not None and self.link.wait_connected(timeout)

    def stop(self) -> None:
        self.gateway.stop()
        self.publisher.stop()
        if self.link is not None:
            self.link.stop()
        if self.broker is not None:
            self.broker.stop()
        self.db.dispose()

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at
