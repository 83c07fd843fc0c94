"""The embedded MQTT broker (amqtt, MQTT 3.1.1) for the one-box deployment.

amqtt's defaults listen on 0.0.0.0 with anonymous access; here it binds the configured
address, requires every device's password (the same ``$7$`` hashes Mosquitto uses),
and enforces the per-device ACLs of `server.acl`. The server itself logs in with a
random password made at each start, so the one-box setup needs no server secret.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import Action, BaseContext
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from server.acl import Rule, may_publish, may_receive, may_subscribe, rules_for
from server.config import SiteConfig
from server.passwords import verify_device_password

log = logging.getLogger(__name__)


@dataclass
class _Accounts:
    hashes: dict[str, str]
    plain: dict[str, str]
    rules: dict[str, list[Rule]]

    def check(self, username: str | None, password: str | None) -> bool:
        if not username or password is None:
            return False
        if username in self.plain:
            return secrets.compare_digest(self.plain[username], password)
        stored = self.hashes.get(username)
        return stored is not None and verify_device_password(password, stored)


class _SnapshotDict(dict[str, Any]):
    """amqtt 0.12 walks its subscription table across ``await``s (broadcast, retained
    messages on connect); a client subscribing or leaving meanwhile changes the dict,
    the walk raises RuntimeError and the message is lost for every subscriber after the
    publisher was already acknowledged. Iterating a snapshot keeps delivery whole."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(super().keys()))

    def keys(self):  # type: ignore[no-untyped-def, override]
        return list(super().keys())

    def items(self):  # type: ignore[no-untyped-def, override]
        return list(super().items())


class _TrackingBroker(Broker):
    """amqtt's broker, remembering client connections so `EmbeddedBroker.stop` can drop
    them; amqtt keeps no list of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_writers: set[asyncio.StreamWriter] = set()

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        self.client_writers.add(writer)
        try:
            await super().stream_connected(reader, writer, listener_name)
        finally:
            self.client_writers.discard(writer)


#: Plugin configs can only carry plain data, so plugins find their accounts here by key.
_REGISTRY: dict[str, _Accounts] = {}


class DeviceAuthPlugin(BaseAuthPlugin):
    """Username + password per device; no anonymous access."""

    @dataclass
    class Config:
        registry_key: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self._accounts = _REGISTRY[self.config.registry_key]

    async def authenticate(self, *, session: Session) -> bool:
        ok = self._accounts.check(session.username, session.password)
        if not ok:
            log.warning(
                "broker: refused connection of client %r (user %r)",
                session.client_id,
                session.username,
            )
        return ok


class DeviceAclPlugin(BaseTopicPlugin):
    """Per-device publish/subscribe rules (see `server.acl`)."""

    @dataclass
    class Config:
        registry_key: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self._accounts = _REGISTRY[self.config.registry_key]

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool:
        if session is None or topic is None or not session.username:
            return False
        rules = self._accounts.rules.get(session.username, [])
        if action == Action.PUBLISH:
            allowed = may_publish(rules, topic)
        elif action == Action.SUBSCRIBE:
            allowed = may_subscribe(rules, topic)
        else:
            allowed = may_receive(rules, topic)
        if not allowed and action != Action.RECEIVE:
            log.warning("broker: %s denied to %r on %s", action, session.username, topic)
        return allowed


@dataclass
class EmbeddedBroker:
    config: SiteConfig
    bind: str
    port: int
    server_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        self._key = uuid.uuid4().hex
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: _TrackingBroker | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _accounts(self) -> _Accounts:
        cfg = self.config
        users = [cfg.server.broker.username, *(d.id for d in cfg.devices)]
        hashes = {d.id: d.password_hash for d in cfg.devices}
        if cfg.server.broker.password_hash:
            hashes[cfg.server.broker.username] = cfg.server.broker.password_hash
        plain = {cfg.server.broker.username: self.server_password}
        return _Accounts(hashes, plain, {u: rules_for(cfg, u) for u in users})

    def _broker_config(self) -> dict[str, Any]:
        return {
            "listeners": {
                "default": {
                    "type": "tcp",
                    "bind": f"{self.bind}:{self.port}",
                    "max_connections": 500,
                }
            },
            "timeout_disconnect_delay": 0,
            "plugins": {
                f"{__name__}.DeviceAuthPlugin": {"registry_key": self._key},
                f"{__name__}.DeviceAclPlugin": {"registry_key": self._key},
            },
        }

    def start(self, timeout: float = 15.0) -> None:
        _REGISTRY[self._key] = self._accounts()
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("embedded broker did not start in time")
        if self._error is not None:
            raise RuntimeError(
                f"embedded broker failed to start on {self.bind}:{self.port}: {self._error}"
            )
        log.info("embedded MQTT broker listening on %s:%s", self.bind, self.port)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._broker = _TrackingBroker(self._broker_config(), loop=loop)
            self._broker._subscriptions = _SnapshotDict()  # see _SnapshotDict
            loop.run_until_complete(self._broker.start())
        except BaseException as e:  # reported to the starting thread
            self._error = e
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def stop(self) -> None:
        """Stop within a few seconds, even on a busy broker.

        amqtt's own shutdown can hang: on Python 3.11 a client reader waiting in
        ``asyncio.wait_for`` may swallow the cancel that arrives with a packet. So first
        close the listeners (nobody reconnects to a broker going away), abort every client
        connection (devices notice the drop at once), then shut down with a bound,
        cancelling again whatever is still running.
        """
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or not loop.is_running():
            return

        async def shutdown() -> None:
            for server in list(broker._servers.values()):
                await server.close_instance()
            for writer in list(broker.client_writers):
                writer.transport.abort()
            task = asyncio.ensure_future(broker.shutdown())
            for _ in range(10):
                await asyncio.wait({task}, timeout=0.5)
                if task.done():
                    break
                for t in asyncio.all_tasks():
                    if t is not task and t is not asyncio.current_task():
                        t.cancel()
            if not task.done():
                task.cancel()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=15)
        except Exception:
            log.exception("embedded broker shutdown incomplete")
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        _REGISTRY.pop(self._key, None)
