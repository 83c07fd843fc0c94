"""The ticket lifecycle as data, and the one helper that moves a ticket along it.

``issued → called (recalls counted) → serving → done | no_show | transferred | cancelled``

Every step a desk makes a ticket take is a `Transition` in `LIFECYCLE`: the event it
records, the states it may start from (anything else is refused as ``bad_state``, with
the transition's wording), the state it leads to, what it does to the desk's hand (take
the ticket, keep it, release it) and what it changes for the publisher. `advance` applies
one, always in the same order: state guard → clock → the step's own mutation → state →
the desk's hand → event → `Changes`; `advance_in_hand` first finds the working desk and
the ticket in its hand, as every step but a call does.

Every transition appends a `TicketEventRow` (`record_event`); the `TicketRow` holds the
current state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from protocol.codes import EventKind, TicketState
from protocol.refusals import Reason
from server.db.tables import DeskRow, TicketEventRow, TicketRow
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.desks import in_hand, working_desk
from server.queue.errors import QueueError

#: Waiting in the queue.
WAITING = TicketState.ISSUED
#: At a desk: called, or being served.
IN_HAND = frozenset({TicketState.CALLED, TicketState.SERVING})

#: What a step does to the desk: take the ticket in hand, keep it there, or release it
#: (the visit at the desk ends: the ticket gets its ``ended_at``).
Hand = Literal["take", "keep", "release"]
#: What a step changes for the publisher: the ticket's service queue, the desk's state,
#: the desk's statistics, the call boards (the ticket was called).
Publish = Literal["services", "desks", "stats", "calls"]

#: A step's own mutation of the desk and ticket at the step's time; it returns the
#: event's ``data`` and may refuse (`QueueError`) before changing anything.
Mutate = Callable[[DeskRow, TicketRow, datetime], dict[str, Any] | None]


@dataclass(frozen=True)
class Transition:
    """One step of the lifecycle."""

    event: EventKind
    sources: frozenset[TicketState]
    target: TicketState
    hand: Hand
    publishes: frozenset[Publish]
    #: How the ``bad_state`` refusal is worded when the ticket is in another state: a
    #: variant in `protocol.refusals.REFUSALS` (None: the plain wording).
    refusal: str | None = None


CALL = Transition(
    EventKind.CALLED,
    frozenset({WAITING, TicketState.NO_SHOW}),  # a no-show who came back may be called
    TicketState.CALLED,
    "take",
    frozenset({"services", "desks", "calls"}),
)
RECALL = Transition(
    EventKind.RECALLED,
    frozenset({TicketState.CALLED}),
    TicketState.CALLED,
    "keep",
    frozenset({"desks", "calls"}),
    "recall",
)
START = Transition(
    EventKind.STARTED,
    frozenset({TicketState.CALLED}),
    TicketState.SERVING,
    "keep",
    frozenset({"desks"}),
    "start",
)
DONE = Transition(
    EventKind.DONE,
    IN_HAND,  # from "called": the clerk skipped "start"
    TicketState.DONE,
    "release",
    frozenset({"desks", "stats", "services"}),
)
NO_SHOW = Transition(
    EventKind.NO_SHOW,
    frozenset({TicketState.CALLED}),
    TicketState.NO_SHOW,
    "release",
    frozenset({"desks", "stats"}),
    "no_show",
)
TRANSFER = Transition(
    EventKind.TRANSFERRED,
    IN_HAND,  # the citizen rejoins another service's queue as a new visit
    TicketState.TRANSFERRED,
    "release",
    frozenset({"desks", "stats", "services"}),
)
#: Closing a day cancels what is still open (the numbering restarts each day); no desk
#: makes this step (`server.queue.tickets.close_previous_days`).
CANCEL = Transition(
    EventKind.CANCELLED,
    frozenset({WAITING, *IN_HAND}),
    TicketState.CANCELLED,
    "release",
    frozenset({"services", "desks"}),
)

#: Every step of the lifecycle, by the event it records.
LIFECYCLE: dict[EventKind, Transition] = {
    t.event: t for t in (CALL, RECALL, START, DONE, NO_SHOW, TRANSFER, CANCEL)
}


def record_event(
    ctx: QueueContext,
    s: Session,
    t: TicketRow,
    kind: EventKind,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Append the ticket's event, with the desk and clerk it is at now."""
    s.add(
        TicketEventRow(
            ticket=t,
            site=ctx.site,
            kind=kind,
            at=at,
            desk_id=t.desk_id,
            clerk_id=t.clerk_id,
            data=data,
        )
    )


def advance(
    ctx: QueueContext,
    s: Session,
    desk: DeskRow,
    t: TicketRow,
    step: Transition,
    changes: Changes,
    mutate: Mutate | None = None,
) -> datetime:
    """Make ``t`` take ``step`` at ``desk``: guard → clock → mutate → state → hand →
    event → changes. Returns the step's time."""
    if t.state not in step.sources:
        raise QueueError(Reason.BAD_STATE, variant=step.refusal)
    at = ctx.clock()
    data = mutate(desk, t, at) if mutate is not None else None
    t.state = step.target
    if step.hand == "take":
        t.ended_at = None
        desk.ticket_id = t.id
        desk.updated_at = at
    elif step.hand == "release":
        t.ended_at = at
        desk.ticket_id = None
        desk.updated_at = at
    record_event(ctx, s, t, step.event, at, data)
    _publish(step.publishes, desk, t, changes)
    return at


def advance_in_hand(
    ctx: QueueContext,
    s: Session,
    desk_id: str,
    step: Transition,
    changes: Changes,
    mutate: Mutate | None = None,
) -> TicketRow:
    """`advance` the ticket in the hand of a working desk (``desk_closed`` /
    ``no_ticket`` otherwise)."""
    desk = working_desk(ctx, s, desk_id)
    t = in_hand(s, desk)
    advance(ctx, s, desk, t, step, changes, mutate)
    return t


def _publish(what: frozenset[Publish], desk: DeskRow, t: TicketRow, changes: Changes) -> None:
    if "services" in what:
        changes.services.add(t.service)
    if "desks" in what:
        changes.desks.add(desk.desk_id)
    if "stats" in what:
        changes.stats.add(desk.desk_id)
    if "calls" in what:
        changes.calls.append(t.id)
