"""Live push to the browser pages over a WebSocket (``/ws/live?channel=…``).

The state publisher calls `LiveHub.on_publish` (from its own thread) with everything it
publishes after a commit: board calls, queues, desks, statistics, and the device and
rating views only the pages want. The hub hands each event to the pages subscribed to
a channel:

- ``board``: calls (the display board);
- ``desk:{id}``: that desk's state and statistics, and the queues of its services;
- ``dashboard``: everything, the suggestion box too, plus the alerts, recomputed after
  each change and every ALERTS_EVERY_S (a wait grows past its target without any event).

On connecting, a page first gets a snapshot of what it shows. The board also sends
``since`` (the time of the last call it saw), and the snapshot carries every call after
it, so a board that reconnects announces what it missed.

A page's stream lives only as long as its session: every SESSION_CHECK_S (and at once
after a log-out in this process) one query checks the sessions of all open pages, and
a page whose session was logged out, revoked (``motcua user revoke``, another process)
or expired is closed with SESSION_ENDED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.websockets import WebSocket, WebSocketDisconnect

from protocol.messages import BoardCall, DeskState, DeskStats, QueueState
from server.auth.tokens import live_tokens, token_digest
from server.config import SiteConfig
from server.db.database import Database
from server.link_watch import LinkReport
from server.queue.engine import QueueEngine
from server.readmodels.alerts import current_alerts
from server.readmodels.board_calls import call_json, calls_since, latest_calls
from server.readmodels.desk_state import desk_state
from server.readmodels.devices import DeviceView, device_views
from server.readmodels.queue_state import queue_state
from server.readmodels.ratings import RatingView, rating_views
from server.readmodels.stats import desk_stats
from server.readmodels.suggestions import SuggestionView, open_count, suggestion_views
from server.timeutil import now_utc

log = logging.getLogger(__name__)

ALERTS_EVERY_S = 5.0
PING_EVERY_S = 20.0
#: A page that falls this many events behind is dropped (it reconnects and resyncs).
MAX_BACKLOG = 2000
#: How often the open pages' sessions are checked (a page outlives its session by at
#: most this much, plus one query).
SESSION_CHECK_S = 0.5
#: Close code and reason of a page whose session ended (the page goes to the log-in).
SESSION_ENDED = (4401, "Phiên đăng nhập đã kết thúc / session ended")


def dump(message: BaseModel) -> dict[str, Any]:
    return message.model_dump(mode="json", by_alias=True)


@dataclass(eq=False)
class _Client:
    channel: str
    #: SHA-256 of the session token, as stored (`server.auth.tokens.token_digest`).
    session: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(MAX_BACKLOG))
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    """The pages' streams. The composition root (`server.app`) connects `on_publish` to
    the state publisher and `on_link_change` to the link watch; ``health`` is the
    server's health report, ``presence_known`` whether the devices' statuses hold."""

    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        engine: QueueEngine,
        health: Callable[[], dict[str, Any]],
        presence_known: Callable[[], bool],
    ) -> None:
        self.config = config
        self.db = db
        self.engine = engine
        self.health = health
        self.presence_known = presence_known
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[_Client] = set()
        self.alerts: list[dict[str, Any]] = []
        self._alerts_due = asyncio.Event()
        self._sessions_due = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        #: The server's own health as the dashboard last showed it (`server.health`).
        self.server: dict[str, Any] | None = None
        #: Display-board pages open now, when one last opened or closed, and whether the
        #: dashboards' device rows must be sent again (a board row shows them).
        self.board_pages = 0
        self.board_seen: datetime | None = None
        self._devices_due = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._alerts_due = asyncio.Event()
        self._sessions_due = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._alert_loop()),
            asyncio.create_task(self._session_loop()),
        ]

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Not a bare await: Python 3.11's wait_for may swallow a cancellation.
            await asyncio.wait(self._tasks, timeout=2)

    # ------------------------------------------------------------------ events

    def on_publish(self, topic: str, message: BaseModel) -> None:
        """From the publisher's thread: route one published message to the pages."""
        event = self.event(message)
        if event is not None and self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._dispatch, event)

    def event(self, message: BaseModel) -> dict[str, Any] | None:
        if isinstance(message, BoardCall):
            return {"type": "call", "call": call_json(self.config, message)}
        if isinstance(message, QueueState):
            return {"type": "queue", "queue": dump(message)}
        if isinstance(message, DeskState):
            return {"type": "desk", "desk": dump(message)}
        if isinstance(message, DeskStats):
            return {"type": "stats", "stats": dump(message)}
        if isinstance(message, DeviceView):
            return {"type": "device", "device": dump(message)}
        if isinstance(message, RatingView):
            return {"type": "rating", "rating": dump(message)}
        if isinstance(message, SuggestionView):
            return {"type": "suggestion", "suggestion": dump(message)}
        return None

    def on_suggestion(self, view: SuggestionView) -> None:
        """Any thread: a suggestion was received or handled (dashboards only)."""
        self.on_publish("suggestion", view)

    def _wants(self, channel: str, event: dict[str, Any]) -> bool:
        kind: str = event["type"]
        if channel == "dashboard":
            return kind != "call"
        if channel == "board":
            return kind == "call"
        desk_id = channel.removeprefix("desk:")
        if kind in ("desk", "stats"):
            return bool(event[kind]["desk_id"] == desk_id)
        if kind == "queue":
            desk = self.config.desk_by_id.get(desk_id)
            return desk is not None and event["queue"]["service"] in desk.services
        return False

    def _dispatch(self, event: dict[str, Any]) -> None:
        if event["type"] in ("rating", "device", "queue", "desk"):
            self._alerts_due.set()
        for client in list(self.clients):
            if not self._wants(client.channel, event):
                continue
            try:
                client.queue.put_nowait(event)
            except asyncio.QueueFull:
                # Too far behind: drop its backlog and tell it to reconnect (it gets a
                # fresh snapshot, and a board asks for the calls since its last one).
                log.warning("live page on %s fell behind; told to resync", client.channel)
                self.clients.discard(client)
                while not client.queue.empty():
                    client.queue.get_nowait()
                client.queue.put_nowait({"type": "resync"})

    async def _alert_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ALERTS_EVERY_S):
                    await self._alerts_due.wait()
            self._alerts_due.clear()
            if not any(c.channel == "dashboard" for c in self.clients):
                continue
            try:
                alerts = await asyncio.to_thread(self.compute_alerts)
                server = await asyncio.to_thread(self.server_summary)
            except Exception:
                log.exception("computing alerts failed")
                await asyncio.sleep(ALERTS_EVERY_S)
                continue
            if alerts != self.alerts:
                self.alerts = alerts
                self._dispatch({"type": "alerts", "alerts": alerts})
            if server != self.server:
                presence_changed = (
                    self.server is None or server["presence_known"] != self.server["presence_known"]
                )
                self.server = server
                self._dispatch({"type": "server", "server": server})
                # every device row is known again, or unknown now
                self._devices_due = self._devices_due or presence_changed
            if self._devices_due:
                self._devices_due = False
                devices = await asyncio.to_thread(self._device_views)
                self._dispatch({"type": "devices", "devices": devices})
            await asyncio.sleep(0.3)  # at most ~3 recomputations a second under load

    def on_link_change(self, report: LinkReport) -> None:
        """From the link watch's thread: the broker link changed; tell the dashboards."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._alerts_due.set)

    def server_summary(self) -> dict[str, Any]:
        """What the dashboard's status line shows: overall state and each problem."""
        report = self.health()
        return {
            "status": report["status"],
            "problems": report["problems"],
            "presence_known": self.presence_known(),
        }

    def _device_views(self, s: Session | None = None) -> list[dict[str, Any]]:
        """Every device as the dashboard shows it (unknown while our link is down)."""
        if s is None:
            with self.db.read() as s:
                return self._device_views(s)
        known = self.presence_known()
        views = [dump(v) for v in device_views(s, self.config, presence_known=known)]
        seen = self.board_seen.isoformat() if self.board_seen else None
        for v in views:
            if v["status"] == "web_page":
                v["pages_open"], v["page_seen"] = self.board_pages, seen
        return views

    def _board_page(self, change: int) -> None:
        """A display-board page opened (+1) or closed (-1): the board rows say so."""
        self.board_pages += change
        self.board_seen = now_utc()
        self._devices_due = True
        self._alerts_due.set()

    # ------------------------------------------------------------------ sessions

    def sessions_changed(self) -> None:
        """A session ended in this process (log-out): check the open pages now. Any
        thread."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._sessions_due.set)

    async def _session_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SESSION_CHECK_S):
                    await self._sessions_due.wait()
            self._sessions_due.clear()
            sessions = {c.session for c in self.clients}
            if not sessions:
                continue
            try:
                live = await asyncio.to_thread(self._live_sessions, sessions)
            except Exception:
                log.exception("checking the live pages' sessions failed")
                continue
            for client in list(self.clients):
                # Only the sessions asked about: a page may have connected meanwhile.
                if client.session in sessions and client.session not in live:
                    client.ended.set()

    def _live_sessions(self, sessions: set[str]) -> set[str]:
        with self.db.read() as s:
            return live_tokens(s, sessions)

    def compute_alerts(self, s: Session | None = None) -> list[dict[str, Any]]:
        if s is None:
            with self.db.read() as s:
                return self.compute_alerts(s)
        return [dump(a) for a in current_alerts(s, self.config, self.engine)]

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, channel: str, since: datetime | None = None) -> dict[str, Any]:
        cfg, eng = self.config, self.engine
        with self.db.read() as s:
            if channel == "board":
                return {
                    "type": "snapshot",
                    "now": now_utc().isoformat(),
                    "latest": latest_calls(s, cfg, eng.today()),
                    "missed": calls_since(s, cfg, since) if since else [],
                }
            if channel == "dashboard":
                day = eng.today()
                return {
                    "type": "snapshot",
                    "queues": [dump(queue_state(eng, s, svc.code)) for svc in cfg.services],
                    "desks": [dump(desk_state(eng, s, d.id)) for d in cfg.desks],
                    "stats": [dump(desk_stats(s, cfg, d.id, day)) for d in cfg.desks],
                    "devices": self._device_views(s),
                    "ratings": [dump(v) for v in rating_views(s, cfg, limit=30)],
                    "suggestions": [dump(v) for v in suggestion_views(s, cfg, "open")],
                    "suggestions_open": open_count(s, cfg.site.code),
                    "alerts": self.compute_alerts(s),
                    "server": self.server_summary(),
                }
            desk_id = channel.removeprefix("desk:")
            desk = cfg.desk_by_id[desk_id]
            return {
                "type": "snapshot",
                "desk": dump(desk_state(eng, s, desk_id)),
                "queues": [dump(queue_state(eng, s, svc)) for svc in desk.services],
                "stats": dump(desk_stats(s, cfg, desk_id, eng.today())),
            }

    # ------------------------------------------------------------------ a page

    async def serve(
        self, ws: WebSocket, channel: str, since: datetime | None, session: str
    ) -> None:
        """Stream ``channel`` to an accepted socket until it closes or ``session`` (the
        token of its log-in) ends."""
        client = _Client(channel, token_digest(session))
        self.clients.add(client)  # before the snapshot: nothing falls in between
        if channel == "board":
            self._board_page(+1)
        try:
            snap = await asyncio.to_thread(self.snapshot, channel, since)
            await ws.send_json(snap)
            sender = asyncio.create_task(self._send_loop(ws, client))
            receiver = asyncio.create_task(self._receive_loop(ws))
            ended = asyncio.create_task(client.ended.wait())
            done, pending = await asyncio.wait(
                {sender, receiver, ended}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)  # no send of the sender's left half-way
            for task in done:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    task.result()
            if ended in done:
                code, reason = SESSION_ENDED
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await ws.close(code, reason)
        finally:
            self.clients.discard(client)
            if channel == "board":
                self._board_page(-1)

    async def _send_loop(self, ws: WebSocket, client: _Client) -> None:
        while True:
            event = {"type": "ping"}
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PING_EVERY_S):
                    event = await client.queue.get()
            await ws.send_json(event)
            if event["type"] == "resync":
                await ws.close(1013)
                return

    async def _receive_loop(self, ws: WebSocket) -> None:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
