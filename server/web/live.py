"""Live push to the browser pages over a WebSocket (``/ws/live?channel=…``).

The state publisher calls `LiveHub.on_publish` (from its own thread) with everything it
publishes after a commit: board calls, queues, desks, statistics, and the device and
rating views only the pages want. The hub hands each event to the pages subscribed to
a channel:

- ``board``: calls (the display board);
- ``desk:{id}``: that desk's state and statistics, and the queues of its services;
- ``dashboard``: everything, plus the alerts, recomputed after each change and every
  ALERTS_EVERY_S (a wait grows past its target without any event).

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocket, WebSocketDisconnect

from protocol.messages import BoardCall, DeskState, DeskStats, QueueState
from server.alerts import current_alerts
from server.db.tables import TicketEventRow, TicketRow
from server.health import health_report
from server.link_watch import LinkReport
from server.runtime import ServerRuntime
from server.stats import desk_stats
from server.timeutil import day_bounds_utc, now_utc
from server.users import live_tokens, token_digest
from server.views import DeviceView, RatingView, device_views, rating_views

log = logging.getLogger(__name__)

ALERTS_EVERY_S = 5.0
PING_EVERY_S = 20.0
#: A page that falls this many events behind is dropped (it reconnects and resyncs).
MAX_BACKLOG = 2000
#: Calls a reconnecting board may ask for, at most.
MAX_MISSED = 50
#: How often the open pages' sessions are checked (a page outlives its session by at
#: most this much, plus one query).
SESSION_CHECK_S = 0.5
#: Close code and reason of a page whose session ended (the page goes to the log-in).
SESSION_ENDED = (4401, "Phiên đăng nhập đã kết thúc / session ended")

CHANNEL_ROLES: dict[str, tuple[str, ...]] = {
    "board": ("board", "supervisor", "admin"),
    "desk": ("clerk", "supervisor", "admin"),
    "dashboard": ("supervisor", "admin"),
}


def dump(message: BaseModel) -> dict[str, Any]:
    return message.model_dump(mode="json", by_alias=True)


@dataclass(eq=False)
class _Client:
    channel: str
    #: SHA-256 of the session token, as stored (`server.users.token_digest`).
    session: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(MAX_BACKLOG))
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    def __init__(self, rt: ServerRuntime) -> None:
        self.rt = rt
        self.config = rt.config
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[_Client] = set()
        self.alerts: list[dict[str, Any]] = []
        self._alerts_due = asyncio.Event()
        self._sessions_due = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        #: The server's own health as the dashboard last showed it (`server.health`).
        self.server: dict[str, Any] | None = None
        rt.publisher.listeners.append(self.on_publish)
        rt.link_listeners.append(self.on_link_change)

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
        if self.on_publish in self.rt.publisher.listeners:
            self.rt.publisher.listeners.remove(self.on_publish)
        if self.on_link_change in self.rt.link_listeners:
            self.rt.link_listeners.remove(self.on_link_change)
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
            return {"type": "call", "call": self.call_json(message)}
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
        return None

    def call_json(self, call: BoardCall) -> dict[str, Any]:
        out = dump(call)
        desk = self.config.desk_by_id.get(call.desk_id)
        out["desk_number"] = desk.number if desk else None
        #: One call: a recall is a new call of the same ticket.
        out["key"] = f"{call.ticket_id}@{out['called_at']}"
        return out

    def _wants(self, channel: str, event: dict[str, Any]) -> bool:
        kind = event["type"]
        if channel == "dashboard":
            return kind != "call"
        if channel == "board":
            return kind == "call"
        desk_id = channel.removeprefix("desk:")
        if kind in ("desk", "stats"):
            return event[kind]["desk_id"] == desk_id
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
                if presence_changed:  # every device row is known again, or unknown now
                    devices = await asyncio.to_thread(self._device_views)
                    self._dispatch({"type": "devices", "devices": devices})
            await asyncio.sleep(0.3)  # at most ~3 recomputations a second under load

    def on_link_change(self, report: LinkReport) -> None:
        """From the link watch's thread: the broker link changed; tell the dashboards."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._alerts_due.set)

    def server_summary(self) -> dict[str, Any]:
        """What the dashboard's status line shows: overall state and each problem."""
        report = health_report(self.rt)
        return {
            "status": report["status"],
            "problems": report["problems"],
            "presence_known": self.rt.presence_known(),
        }

    def _device_views(self, s: Session | None = None) -> list[dict[str, Any]]:
        """Every device as the dashboard shows it (unknown while our link is down)."""
        if s is None:
            with self.rt.db.read() as s:
                return self._device_views(s)
        known = self.rt.presence_known()
        return [dump(v) for v in device_views(s, self.config, presence_known=known)]

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
        with self.rt.db.read() as s:
            return live_tokens(s, sessions)

    def compute_alerts(self, s: Session | None = None) -> list[dict[str, Any]]:
        if s is None:
            with self.rt.db.read() as s:
                return self.compute_alerts(s)
        return [dump(a) for a in current_alerts(s, self.config, self.rt.engine)]

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, channel: str, since: datetime | None = None) -> dict[str, Any]:
        rt, cfg = self.rt, self.config
        eng = rt.engine
        with rt.db.read() as s:
            if channel == "board":
                return {
                    "type": "snapshot",
                    "now": now_utc().isoformat(),
                    "latest": self._latest_calls(s),
                    "missed": self._calls_since(s, since) if since else [],
                }
            if channel == "dashboard":
                day = eng.today()
                return {
                    "type": "snapshot",
                    "queues": [dump(eng.queue_state(s, svc.code)) for svc in cfg.services],
                    "desks": [dump(eng.desk_state(s, d.id)) for d in cfg.desks],
                    "stats": [dump(desk_stats(s, cfg, d.id, day)) for d in cfg.desks],
                    "devices": self._device_views(s),
                    "ratings": [dump(v) for v in rating_views(s, cfg, limit=30)],
                    "alerts": self.compute_alerts(s),
                    "server": self.server_summary(),
                }
            desk_id = channel.removeprefix("desk:")
            desk = cfg.desk_by_id[desk_id]
            return {
                "type": "snapshot",
                "desk": dump(eng.desk_state(s, desk_id)),
                "queues": [dump(eng.queue_state(s, svc)) for svc in desk.services],
                "stats": dump(desk_stats(s, cfg, desk_id, eng.today())),
            }

    def _calls(
        self, s: Session, where: list[Any], newest_first: bool, limit: int
    ) -> list[BoardCall]:
        order = TicketEventRow.at.desc() if newest_first else TicketEventRow.at
        rows = s.execute(
            select(TicketEventRow, TicketRow)
            .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
            .where(
                TicketEventRow.site == self.config.site.code,
                TicketEventRow.kind.in_(("called", "recalled")),
                TicketEventRow.desk_id.is_not(None),
                *where,
            )
            .order_by(order, TicketEventRow.id)
            .limit(limit)
        ).all()
        out = []
        for ev, t in rows:
            desk = self.config.desk_by_id.get(ev.desk_id)
            if desk is None:
                continue
            recalls = int((ev.data or {}).get("recall", 0)) if ev.kind == "recalled" else 0
            out.append(
                BoardCall(
                    ticket_id=t.id,
                    number=t.number,
                    desk_id=desk.id,
                    desk_name=desk.name,
                    service=t.service,
                    called_at=ev.at,
                    recall_count=recalls,
                )
            )
        return out

    def _latest_calls(self, s: Session) -> list[dict[str, Any]]:
        """Today's latest call of each desk, newest first."""
        start, _ = day_bounds_utc(self.rt.engine.today(), self.config.tz)
        seen: dict[str, dict[str, Any]] = {}
        for call in self._calls(s, [TicketEventRow.at >= start], True, 200):
            seen.setdefault(call.desk_id, self.call_json(call))
        return list(seen.values())

    def _calls_since(self, s: Session, since: datetime) -> list[dict[str, Any]]:
        floor = max(since, now_utc() - timedelta(hours=12))
        calls = self._calls(s, [TicketEventRow.at > floor], False, MAX_MISSED)
        return [self.call_json(c) for c in calls]

    # ------------------------------------------------------------------ a page

    async def serve(
        self, ws: WebSocket, channel: str, since: datetime | None, session: str
    ) -> None:
        """Stream ``channel`` to an accepted socket until it closes or ``session`` (the
        token of its log-in) ends."""
        client = _Client(channel, token_digest(session))
        self.clients.add(client)  # before the snapshot: nothing falls in between
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
