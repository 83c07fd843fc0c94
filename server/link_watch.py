"""Is the server's broker link really working, and is this the only server of the site?

A TCP connection alone proves little: a broker can drop a client's subscriptions and
keep the connection, and a second server logged in with the same account takes the
session over. `LinkWatch` reports what the devices would notice, for ``/api/health`` and
the dashboard:

* **the connection**: connected or not, since when, how often it was lost and why;
* **a self-check**: every ``heartbeat_s`` the server publishes ``server/heartbeat`` to
  itself. If the echo stops coming while connected, the broker no longer delivers to the
  server: health says "subscriptions lost" and the link subscribes again;
* **one server per site.** Each server announces ``server/status`` (retained, with its
  boot id, start time, host and pid) only after its subscriptions are acknowledged, so
  on every (re)connect it first sees the status the broker held before. If that status
  belongs to another server and this link had to reconnect, someone else logged in with
  the server's account meanwhile. The one that started later gives up with a clear
  message; the first one stays. (A status seen at the very first connect may be stale
  after a power cut, so it is only logged.) With one connection per account
  (``use_username_as_clientid``) the first server is off the broker for about a second
  twice, then the pair settles: nobody is knocked off every second.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from protocol.link import MqttLink
from protocol.messages import ServerHeartbeat, ServerStatus
from protocol.mqtt.message import Message
from protocol.topics import TopicKind, Topics
from server.timeutil import now_utc

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
#: Heartbeats missed in a row before the subscriptions count as lost.
MISSED = 3

LinkStateName = Literal[
    "ok", "connecting", "disconnected", "refused", "subscriptions_lost", "another_server"
]


@dataclass(frozen=True)
class LinkReport:
    state: LinkStateName
    connected: bool
    connected_since: datetime | None
    disconnects: int
    last_disconnect_at: datetime | None
    last_disconnect_reason: str | None
    #: Seconds since the server last heard its own heartbeat (None: not yet).
    heartbeat_age_s: float | None
    #: Other servers that logged in with this server's account while it ran.
    takeover_attempts: int
    last_takeover: str | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "connected": self.connected,
            "connected_since": self.connected_since.isoformat() if self.connected_since else None,
            "disconnects": self.disconnects,
            "last_disconnect_at": (
                self.last_disconnect_at.isoformat() if self.last_disconnect_at else None
            ),
            "last_disconnect_reason": self.last_disconnect_reason,
            "heartbeat_age_s": (
                round(self.heartbeat_age_s, 1) if self.heartbeat_age_s is not None else None
            ),
            "takeover_attempts": self.takeover_attempts,
            "last_takeover": self.last_takeover,
            "problem": self.problem,
        }


def server_auth_hint(password_env: str, embedded: bool) -> str:
    """What to check when the broker refuses the server's own account."""
    if embedded:
        return (
            "the one-box broker's password file is not the server's: stop the server, "
            "check nothing else writes to server.data_dir, start it again"
        )
    return (
        f"the password in {password_env} does not match server.broker.password_hash in the "
        "site YAML, or Mosquitto still has an older passwd file (run `motcua broker-config "
        "write` and reload Mosquitto)"
    )


def describe(status: ServerStatus) -> str:
    where = f"pid {status.pid} on {status.host}" if status.pid else "unknown process"
    return f"{where}, started {status.since.isoformat(timespec='seconds')}"


class LinkWatch:
    def __init__(
        self,
        link: MqttLink,
        topics: Topics,
        boot_id: uuid.UUID,
        started_at: datetime,
        on_fatal: Callable[[str], None],
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.link = link
        self.topics = topics
        self.boot_id = boot_id
        self.started_at = started_at
        self.on_fatal = on_fatal
        self.heartbeat_s = heartbeat_s
        #: Called (from the watch thread) when the state changes.
        self.listeners: list[Callable[[LinkReport], None]] = []
        self._lock = threading.Lock()
        self._connects = 0
        #: Our own status came back on this connection / at least once since start.
        self._own_seen = False
        self._announced = False
        self._connected_since: datetime | None = None
        self._connected_mono: float | None = None
        self._disconnects = 0
        self._last_disconnect_at: datetime | None = None
        self._last_disconnect_reason: str | None = None
        self._last_echo: float | None = None
        self._last_sent = 0.0
        self._last_resubscribe = 0.0
        self._takeovers = 0
        self._last_takeover: str | None = None
        self.fatal: str | None = None
        self._fatal_reported = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def attach(self) -> None:
        """Subscribe and hook into the link; call before ``link.start()``."""
        self.link.subscribe(self.topics.server_status(), self._on_status)
        self.link.subscribe(self.topics.server_heartbeat(), self._on_heartbeat)
        self.link.on_connected(self._on_connected)
        self.link.on_disconnected(self._on_disconnected)
        self._thread = threading.Thread(target=self._run, name="link-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # ------------------------------------------------------------------ paho's thread

    def _on_connected(self) -> None:
        with self._lock:
            self._connects += 1
            self._own_seen = False
            self._connected_since = now_utc()
            self._connected_mono = time.monotonic()
            self._last_echo = None
            self._last_sent = 0.0
        self._wake.set()

    def _on_disconnected(self, reason: str) -> None:
        with self._lock:
            self._disconnects += 1
            self._last_disconnect_at = now_utc()
            self._last_disconnect_reason = reason
            self._connected_since = None
            self._connected_mono = None
        self._wake.set()

    def _on_status(self, msg: Message) -> None:
        # The link acknowledges by hand (device events after their commit): status and
        # heartbeat need no commit, and unacknowledged they pile up at the broker until
        # it stops delivering anything to the server (tests/server/test_server_acks.py).
        self.link.ack(msg)
        try:
            status = ServerStatus.model_validate_json(msg.payload)
        except ValidationError:
            return
        if status.boot_id == self.boot_id:
            self._own_seen = self._announced = True
            return
        other = describe(status)
        if not self._announced:
            # What the broker held before our first announcement: maybe a server that
            # still runs, maybe a stale status after a power cut. Only the next
            # reconnect can tell.
            if status.state == "online":
                log.warning(
                    "the broker's last server status says online (%s): if that server still "
                    "runs, the one started later will stop",
                    other,
                )
            return
        if self._own_seen and status.state != "online":
            return  # another server's Last Will or clean stop while we hold the site
        # Another server announced itself after we did: it logged in with our account.
        if status.since < self.started_at:
            self.link.silenced = True  # the first server holds the site: never announce again
            self.fatal = (
                "một máy chủ motcua khác đang dùng tài khoản MQTT của máy chủ / another motcua "
                f"server is using this site's server account on the broker ({other}); this "
                "one stops. Run one server per site (or give each site its own broker)."
            )
        else:
            with self._lock:
                self._takeovers += 1
                self._last_takeover = other
            log.warning(
                "another server logged in with this server's broker account (%s); "
                "it started later and will stop",
                other,
            )
        self._wake.set()

    def _on_heartbeat(self, msg: Message) -> None:
        self.link.ack(msg)  # as in _on_status
        try:
            beat = ServerHeartbeat.model_validate_json(msg.payload)
        except ValidationError:
            return
        if beat.boot_id == self.boot_id:
            with self._lock:
                overdue = self._overdue_locked(time.monotonic())
                self._last_echo = time.monotonic()
            if overdue:
                self._wake.set()

    # ------------------------------------------------------------------ state

    def _overdue_locked(self, now: float) -> bool:
        if self._connected_mono is None or not self.link.connected.is_set():
            return False
        since = self._last_echo if self._last_echo is not None else self._connected_mono
        return now - since > self.heartbeat_s * MISSED

    def report(self) -> LinkReport:
        now = time.monotonic()
        with self._lock:
            connected = self.link.connected.is_set()
            if self.fatal:
                state: LinkStateName = "another_server"
                problem: str | None = self.fatal
            elif not connected and self._refusal() is not None:
                # The broker answers but refuses the log-in: say why, every retry alike.
                state, problem = "refused", self._refusal()
            elif not connected:
                state = "disconnected" if self._connects else "connecting"
                problem = (
                    f"no connection to the broker ({self._last_disconnect_reason})"
                    if self._connects
                    else "connecting to the broker"
                )
            elif self._overdue_locked(now):
                state = "subscriptions_lost"
                problem = (
                    "connected, but the broker no longer delivers the server's own "
                    "heartbeat: its subscriptions are lost"
                )
            elif not self.link.wait_connected(0):
                state, problem = "connecting", "waiting for the broker to confirm subscriptions"
            else:
                state, problem = "ok", None
            return LinkReport(
                state=state,
                connected=connected,
                connected_since=self._connected_since,
                disconnects=self._disconnects,
                last_disconnect_at=self._last_disconnect_at,
                last_disconnect_reason=self._last_disconnect_reason,
                heartbeat_age_s=now - self._last_echo if self._last_echo is not None else None,
                takeover_attempts=self._takeovers,
                last_takeover=self._last_takeover,
                problem=problem,
            )

    def _refusal(self) -> str | None:
        """Why the broker refuses the server's log-in, while it does."""
        refusals = self.link.connection.refusals
        reason = refusals.current
        if reason is None:
            return None
        if refusals.account_refused:
            hint = refusals.auth_hint or "check the server's broker password"
            return f"the broker refuses the server's log-in ({reason}): {hint}"
        return f"the broker refuses the server's connection ({reason})"

    # ------------------------------------------------------------------ watch thread

    def _run(self) -> None:
        last: LinkStateName | None = None
        while not self._stop.is_set():
            self._wake.wait(min(1.0, self.heartbeat_s / 2))
            self._wake.clear()
            if self._stop.is_set():
                return
            if self.fatal and not self._fatal_reported:
                self._fatal_reported = True
                log.error("%s", self.fatal)
                self.on_fatal(self.fatal)
            now = time.monotonic()
            beat_due = now - self._last_sent >= self.heartbeat_s
            if beat_due and self.link.connected.is_set() and not self.fatal:
                self._last_sent = now
                beat = ServerHeartbeat(boot_id=self.boot_id, sent_at=now_utc())
                self.link.send(TopicKind.SERVER_HEARTBEAT, self.topics.server_heartbeat(), beat)
            report = self.report()
            if (
                report.state == "subscriptions_lost"
                and now - self._last_resubscribe >= self.heartbeat_s * MISSED
            ):
                self._last_resubscribe = now
                log.error("broker link: %s; subscribing again", report.problem)
                self.link.resubscribe()
            if report.state != last:
                last = report.state
                for listener in list(self.listeners):
                    try:
                        listener(report)
                    except Exception:
                        log.exception("link state listener failed")
