"""Shared helpers for the queue-engine tests: a controllable clock and a small "office"
that runs each engine action in its own write transaction, as the server does."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from protocol.messages import DeskRating, VisitRating
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import (
    CounterRow,
    DeskEventRow,
    DeskRow,
    RatingRow,
    ReportDayRow,
    TicketEventRow,
    TicketRow,
)
from server.queue.changes import Changes
from server.queue.engine import QueueEngine
from server.queue.errors import QueueError
from server.ratings.rules import apply_rating
from server.readmodels.desk_state import desk_state
from server.readmodels.queue_state import queue_state

#: Monday 10 March 2025, 09:00 in Hà Nội (UTC+7): an ordinary working morning.
T0 = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
#: The local day of `T0`.
DAY0 = date(2025, 3, 10)


class Clock:
    """A clock the test moves by hand; the engine reads it through ``clock=``."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, at: datetime) -> datetime:
        self.now = at
        return self.now


@dataclass
class Office:
    """A site, its database and an engine on a test clock.

    ``office.act("call_next", "q1")`` runs ``engine.call_next(s, "q1", changes=…)`` in one
    write transaction and returns the result; the `Changes` of the last action are in
    ``office.changes``.
    """

    config: SiteConfig
    db: Database
    clock: Clock = field(default_factory=Clock)
    changes: Changes = field(default_factory=Changes)

    def __post_init__(self) -> None:
        self.engine = QueueEngine(self.config, clock=self.clock)

    def act(self, action: str, *args: Any, **kwargs: Any) -> Any:
        self.changes = Changes()
        with self.db.write() as s:
            return getattr(self.engine, action)(s, *args, changes=self.changes, **kwargs)

    # Shorthands for the common actions --------------------------------------------

    def issue(self, service: str, priority: str | None = None) -> Any:
        return self.act("issue", service, priority)

    def open(self, desk: str, clerk: str | None = None) -> None:
        self.act("open_desk", desk, clerk or f"c0{desk.removeprefix('q')}")

    def call_next(self, desk: str) -> TicketRow | None:
        return self.act("call_next", desk)

    def serve(self, desk: str, minutes: float = 0) -> TicketRow:
        """Start the ticket in hand, spend ``minutes`` on it, finish it."""
        self.act("start", desk)
        self.clock.advance(minutes=minutes)
        return self.act("done", desk)

    def queue_state(self, service: str) -> Any:
        with self.db.read() as s:
            return queue_state(self.engine, s, service)

    def desk_state(self, desk: str) -> Any:
        with self.db.read() as s:
            return desk_state(self.engine, s, desk)

    def rate(
        self,
        rating: DeskRating | VisitRating,
        desk: str | None,
        received_at: datetime | None = None,
    ) -> RatingRow:
        """Apply ``rating`` as received from the pad of ``desk`` (``None``: a kiosk);
        the row as stored, or `RatingRefused`."""
        with self.db.write() as s:
            apply_rating(
                s, self.config, rating, desk_id=desk, received_at=received_at or self.clock()
            )
        with self.db.read() as s:
            row = s.scalar(select(RatingRow).where(RatingRow.msg_id == rating.msg_id))
            assert row is not None, "the rating was accepted but not stored"
            return row

    def tickets(self, *where: Any) -> list[TicketRow]:
        with self.db.read() as s:
            return list(s.scalars(select(TicketRow).where(*where).order_by(TicketRow.issued_at)))

    def ticket(self, ticket_id: uuid.UUID) -> TicketRow:
        with self.db.read() as s:
            t = s.get(TicketRow, ticket_id)
            assert t is not None
            return t

    def events(self, ticket_id: uuid.UUID) -> list[str]:
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(TicketEventRow.kind)
                    .where(TicketEventRow.ticket_id == ticket_id)
                    .order_by(TicketEventRow.id)
                )
            )

    def desk_row(self, desk: str) -> DeskRow:
        with self.db.read() as s:
            row = s.scalar(select(DeskRow).where(DeskRow.desk_id == desk))
            assert row is not None
            return row


def desk_rating(
    ticket_id: uuid.UUID, level: str, at: datetime, pad: str = "pad-q1", **kwargs: Any
) -> DeskRating:
    """What a pad sends after a visit (``desk/{id}/rating``)."""
    return DeskRating(device_id=pad, sent_at=at, ticket_id=ticket_id, level=level, **kwargs)


@contextlib.contextmanager
def refused(code: str) -> Iterator[None]:
    """Expect the engine to refuse with ``code`` (the stable code the clerk UI maps) and
    a Vietnamese message for the clerk."""
    with pytest.raises(QueueError) as exc:
        yield
    assert exc.value.code == code, f"expected {code}, got {exc.value.code}: {exc.value}"
    assert exc.value.message


def numbers(rows: Iterable[Any]) -> list[str]:
    return [r.number for r in rows]


def wipe(db: Database) -> None:
    """Empty the tables the engine writes (between hypothesis examples)."""
    with db.write() as s:
        for table in (
            RatingRow,
            TicketEventRow,
            TicketRow,
            CounterRow,
            DeskEventRow,
            DeskRow,
            ReportDayRow,
        ):
            s.execute(delete(table))
