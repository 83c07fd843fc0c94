"""The citizens' phones following their tickets live (``/ws/ticket/{id}``).

The state publisher calls `TicketHub.on_publish` (from its own thread) after each
commit it publishes. A queue, desk, call or rating message marks the views "due"; one
task then recomputes the views of every followed ticket at once, in a worker thread
(one read session, `ticket_views`), and hands each phone its view only when it
changed. Without any event the views are recomputed every REFRESH_S too: the ETA
drifts and a rating window ends on their own.

Every message to a phone is ``{"type": "ticket", "ticket": <TicketView>}``, the first
one at once (its snapshot). A phone that is slow to read gets only the latest view
(one slot per phone, never a backlog). Bounded: at most MAX_PER_TICKET sockets per
ticket and MAX_TOTAL in all; a refused phone polls ``/t/{id}/state`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketDisconnect

from protocol.messages import BoardCall, DeskState, QueueState
from server.config import SiteConfig
from server.db.database import Database
from server.readmodels.ratings import RatingView
from server.readmodels.ticket_view import TicketView, ticket_views
from server.timeutil import now_utc

log = logging.getLogger(__name__)

#: Views are recomputed at least this often (ETA drift, rating windows ending).
REFRESH_S = 20.0
#: After a recomputation, wait this long before the next (a burst of events is one).
MIN_GAP_S = 0.05
MAX_PER_TICKET = 8
MAX_TOTAL = 5000
#: Close code and reason of a socket over the bounds (the page polls instead).
TOO_MANY = (1013, "Quá nhiều kết nối / too many connections")
_EVENTS = (QueueState, DeskState, BoardCall, RatingView)


@dataclass(eq=False)
class _Phone:
    """One open socket: the latest view not sent yet, and the last one sent."""

    ticket_id: uuid.UUID
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: dict[str, Any] | None = None
    #: The view last handed over, without ``updated_at`` (to send only changes).
    last_key: dict[str, Any] | None = None
    #: The recomputation it came from (an older one never replaces a newer one).
    generation: int = -1

    def offer(self, data: dict[str, Any], key: dict[str, Any], generation: int) -> None:
        if generation < self.generation or key == self.last_key:
            return
        self.generation = generation
        self.last_key = key
        self.pending = data
        self.wake.set()


def _json(view: TicketView) -> tuple[dict[str, Any], dict[str, Any]]:
    data = view.model_dump(mode="json")
    key = {k: v for k, v in data.items() if k != "updated_at"}
    return data, key


class TicketHub:
    """The phones' streams. The composition root (`server.app`) connects `on_publish`
    to the state publisher and starts and stops it with the application."""

    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        clock: Callable[[], datetime] = now_utc,
        max_per_ticket: int = MAX_PER_TICKET,
        max_total: int = MAX_TOTAL,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.max_per_ticket = max_per_ticket
        self.max_total = max_total
        self.phones: dict[uuid.UUID, set[_Phone]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._generation = 0
        self._stopping = False
        #: Recomputations done (for tests and the benchmark's curiosity).
        self.rounds = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._due = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._refresh_loop())

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=2)

    # ------------------------------------------------------------------ events

    def on_publish(self, topic: str, message: BaseModel) -> None:
        """From the publisher's thread: something a phone may show changed."""
        if isinstance(message, _EVENTS) and self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._due.set)

    def views(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, TicketView]:
        """The current views of ``ids`` (one read session). Any thread."""
        with self.db.read() as s:
            return ticket_views(s, self.config, ids, self.clock())

    async def _refresh_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_S):
                    await self._due.wait()
            self._due.clear()
            if not self.phones:
                continue
            try:
                await self.refresh()
            except Exception:
                log.exception("recomputing the phones' views failed")
                await asyncio.sleep(1.0)
                continue
            await asyncio.sleep(MIN_GAP_S)

    async def refresh(self) -> None:
        """Recompute every followed ticket's view and hand out the changed ones."""
        self._generation += 1
        generation = self._generation
        views = await asyncio.to_thread(self.views, list(self.phones))
        self.rounds += 1
        for tid, view in views.items():
            phones = self.phones.get(tid)
            if not phones:
                continue
            data, key = _json(view)
            for phone in phones:
                phone.offer(data, key, generation)

    # ------------------------------------------------------------------ a phone

    def count(self) -> int:
        return sum(len(p) for p in self.phones.values())

    def admits(self, ticket_id: uuid.UUID) -> bool:
        """Whether one more socket for ``ticket_id`` is within the bounds."""
        return len(self.phones.get(ticket_id, ())) < self.max_per_ticket and (
            self.count() < self.max_total
        )

    async def serve(self, ws: WebSocket, ticket_id: uuid.UUID) -> None:
        """Stream ``ticket_id``'s view to an accepted socket until it closes."""
        if not self.admits(ticket_id):
            await ws.close(*TOO_MANY)
            return
        phone = _Phone(ticket_id)
        self.phones.setdefault(ticket_id, set()).add(phone)  # before the snapshot
        try:
            self._generation += 1
            generation = self._generation
            views = await asyncio.to_thread(self.views, [ticket_id])
            phone.offer(*_json(views[ticket_id]), generation)
            sender = asyncio.create_task(self._send_loop(ws, phone))
            receiver = asyncio.create_task(self._receive_loop(ws))
            done, pending = await asyncio.wait(
                {sender, receiver}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
            for task in done:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    task.result()
        finally:
            followers = self.phones.get(ticket_id)
            if followers is not None:
                followers.discard(phone)
                if not followers:
                    del self.phones[ticket_id]

    async def _send_loop(self, ws: WebSocket, phone: _Phone) -> None:
        while True:
            await phone.wake.wait()
            phone.wake.clear()
            data, phone.pending = phone.pending, None
            if data is not None:
                await ws.send_json({"type": "ticket", "ticket": data})

    async def _receive_loop(self, ws: WebSocket) -> None:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
