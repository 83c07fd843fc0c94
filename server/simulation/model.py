"""What a simulated day produces: the engine actions in order (`Step`), for the engine
writer to replay, and the rows they leave (`Leg` and its events, `PlannedRating`,
`DeskEvent`, `PlannedSuggestion`, the counters), for the bulk writer to insert."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple


class TicketEvent(NamedTuple):
    kind: str
    at: datetime
    desk_id: str | None
    clerk_id: str | None
    data: dict[str, Any] | None


class DeskEvent(NamedTuple):
    desk_id: str
    kind: str
    at: datetime
    clerk_id: str | None
    reason: str | None


class Step(NamedTuple):
    """One engine action. ``leg``: the ticket it concerns (for ``transfer``, the ticket
    the transfer creates); ``arg``: clerk (open), reason (pause), service (transfer)."""

    at: datetime
    action: str
    desk_id: str | None
    leg: int | None
    arg: str | None = None


@dataclass(slots=True)
class Leg:
    """One ticket row: a visit, or the part of it after a transfer."""

    key: int
    service: str
    number: str
    seq: int | None
    priority: str | None
    kiosk_id: str | None
    issued_at: datetime
    rng: random.Random
    transferred_from: int | None = None
    state: str = "issued"
    first_called_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    desk_id: str | None = None
    clerk_id: str | None = None
    recall_count: int = 0
    dossier_code: str | None = None
    events: list[TicketEvent] = field(default_factory=list)

    @property
    def is_priority(self) -> bool:
        return self.priority is not None

    def event(self, kind: str, at: datetime, data: dict[str, Any] | None = None) -> None:
        self.events.append(TicketEvent(kind, at, self.desk_id, self.clerk_id, data))


@dataclass(frozen=True)
class PlannedRating:
    leg: int
    msg_id: uuid.UUID
    device_id: str
    #: ``pad`` (the desk's pad), ``kiosk`` ("rate a visit" by the ticket's QR) or
    #: ``phone`` (the citizen's own phone).
    source: str
    level_raw: str
    praised: tuple[str, ...]
    reasons: tuple[str, ...]
    partial: bool
    sent_at: datetime
    received_at: datetime
    #: The citizen's words (phone ratings only).
    comment: str | None = None


@dataclass(frozen=True)
class PlannedSuggestion:
    """A note in the suggestion box (the ``suggestions`` row it leaves)."""

    id: uuid.UUID
    received_at: datetime
    text: str
    service: str | None
    contact: str | None
    handled_at: datetime | None
    handled_by: str | None
    handled_note: str | None


@dataclass
class DayPlan:
    site: str
    day: date
    legs: list[Leg] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    ratings: list[PlannedRating] = field(default_factory=list)
    desk_events: list[DeskEvent] = field(default_factory=list)
    suggestions: list[PlannedSuggestion] = field(default_factory=list)
    #: Last number issued per service (the ``counters`` rows).
    counters: dict[str, int] = field(default_factory=dict)
    #: When tickets left waiting are cancelled: the next local midnight.
    close_at: datetime | None = None

    @property
    def visits(self) -> int:
        return sum(1 for leg in self.legs if leg.transferred_from is None)
