"""Writing simulated history through the engine's own code paths.

Each planned day is replayed in one write transaction: a `QueueEngine` on a simulated
clock opens the desks, issues the numbers, calls, recalls, serves, transfers, pauses and
closes exactly as the plan says (it checks that ``call_next`` picks the planned ticket),
the ratings go through `server.ratings.rules.apply_ratings` like a gateway batch (a
phone's with source ``phone`` and its comment, as `server.services.phone` stores them),
the suggestion box's notes are stored as `server.services.suggestions` stores them, and
``close_previous_days`` cancels what was left waiting at midnight.

Desks' current state (the ``desks`` rows: who is logged in, the ticket in hand) belongs to
the live office: it is put aside at the start of each day's transaction and restored at
its end, so a running server never sees a simulated clerk at its desks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from protocol.codes import RatingSource
from protocol.conduct import RawLevel
from protocol.errors import MotcuaError
from protocol.messages import DeskRating, VisitRating
from protocol.refusals import Reason
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, SuggestionRow, TicketRow
from server.queue.changes import Changes
from server.queue.engine import QueueEngine
from server.queue.estimates import QueueSnapshot
from server.ratings.rules import RatingIn, RatingRefused, apply_ratings
from server.simulation.citizens import suggestion_values
from server.simulation.model import DayPlan, Step
from server.simulation.plan import plan_history

MAX_DAYS = 3660
_DESK_STATE = ("open", "paused", "pause_reason", "clerk_id", "ticket_id", "rating_ticket_id")


class HistoryRefused(MotcuaError):
    """Nothing was written; ``message`` in Vietnamese, ``message_en`` in English."""


class SimulationMismatch(RuntimeError):
    """The engine did something other than the plan says (a bug in one of them)."""


@dataclass
class Summary:
    first: date
    last: date
    #: Days the office was open (days with visits).
    days: int = 0
    visits: int = 0
    tickets: int = 0
    ratings: int = 0
    #: Of the ratings, those given on a phone; and the suggestion box's notes.
    phone: int = 0
    suggestions: int = 0
    satisfied: int = 0
    seconds: float = 0.0

    def add(self, plan: DayPlan) -> None:
        if plan.legs:
            self.days += 1
        self.visits += plan.visits
        self.tickets += len(plan.legs)
        self.ratings += len(plan.ratings)
        self.phone += sum(r.source == "phone" for r in plan.ratings)
        self.suggestions += len(plan.suggestions)
        self.satisfied += sum(RawLevel(r.level_raw).official.positive for r in plan.ratings)

    @property
    def satisfaction_pct(self) -> float | None:
        return round(100 * self.satisfied / self.ratings, 1) if self.ratings else None

    def text(self) -> str:
        pct = self.satisfaction_pct
        pct_en = "—" if pct is None else f"{pct:.1f} %"
        span = f"{self.first:%d/%m/%Y}–{self.last:%d/%m/%Y}"
        seconds = f"{self.seconds:.1f}"
        return (
            f"Đã tạo lịch sử {span}: {self.days} ngày làm việc, {self.visits} lượt, "
            f"{self.ratings} đánh giá ({self.phone} qua điện thoại), {self.suggestions} góp ý, "
            f"hài lòng {pct_en.replace('.', ',')} ({seconds.replace('.', ',')} giây)\n"
            f"history {span} written: {self.days} working days, {self.visits} visits, "
            f"{self.ratings} ratings ({self.phone} by phone), {self.suggestions} suggestions, "
            f"{pct_en} satisfied ({seconds} s)"
        )


def history_range(days: int, end: date | None, today: date) -> tuple[date, date]:
    """``days`` days ending on ``end`` (default: yesterday); only past days."""
    end = end or today - timedelta(days=1)
    if not 1 <= days <= MAX_DAYS:
        raise HistoryRefused(Reason.BAD_DAYS, max=MAX_DAYS)
    if end >= today:
        raise HistoryRefused(Reason.NOT_PAST, yesterday=today - timedelta(days=1))
    return end - timedelta(days=days - 1), end


def check_days_free(db: Database, site: str, first: date, last: date) -> None:
    """Refuse days that already hold tickets of ``site``: history is never written twice."""
    t = TicketRow.__table__.c
    with db.read() as s:
        row = s.execute(
            select(func.count(), func.min(t.day), func.max(t.day)).where(
                t.site == site, t.day >= first, t.day <= last
            )
        ).one()
    count, low, high = row
    if count:
        raise HistoryRefused(Reason.HISTORY_EXISTS, site=site, count=count, low=low, high=high)


def simulate_history(
    db: Database,
    config: SiteConfig,
    *,
    first: date,
    last: date,
    seed: int,
    visits_per_day: float | None = None,
    on_day: Callable[[DayPlan], None] | None = None,
) -> Summary:
    """Plan and write ``first`` … ``last`` through the engine, one transaction a day."""
    check_days_free(db, config.site.code, first, last)
    return write_plans(
        db,
        config,
        plan_history(config, first, last, seed=seed, visits_per_day=visits_per_day),
        Summary(first, last),
        on_day,
    )


def write_plans(
    db: Database,
    config: SiteConfig,
    plans: Iterable[DayPlan],
    summary: Summary,
    on_day: Callable[[DayPlan], None] | None = None,
) -> Summary:
    started = time.perf_counter()
    for plan in plans:
        if plan.legs:
            write_day(db, config, plan)
        summary.add(plan)
        if on_day is not None:
            on_day(plan)
    summary.seconds = time.perf_counter() - started
    return summary


class _SimClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write_day(db: Database, config: SiteConfig, plan: DayPlan) -> None:
    if plan.site != config.site.code:
        raise ValueError(f"the engine writes its own site {config.site.code!r}, not {plan.site!r}")
    assert plan.close_at is not None
    clock = _SimClock(plan.close_at)
    with db.write() as s:
        _Replay(QueueEngine(config, clock=clock), s, plan, clock).run()


class _Replay:
    def __init__(self, engine: QueueEngine, s: Session, plan: DayPlan, clock: _SimClock) -> None:
        self.engine, self.s, self.plan, self.clock = engine, s, plan, clock
        self.changes = Changes()  # nothing is published: these days are over
        self.ids: dict[int, uuid.UUID] = {}
        #: Queue snapshots kept in memory for the day, as a gateway batch does (only the
        #: people-ahead estimate returned to the kiosk reads them, and nobody reads it).
        self.snapshots: dict[str, QueueSnapshot] = {}

    def run(self) -> None:
        saved = self._park_desks()
        for step in self.plan.steps:
            self.clock.now = step.at
            getattr(self, f"_{step.action}")(step)
        self._rate()
        self._suggestions()
        assert self.plan.close_at is not None
        self.clock.now = self.plan.close_at
        self.engine.close_previous_days(self.s, self.changes)
        self._restore_desks(saved)

    # ------------------------------------------------------------------ desks rows

    def _park_desks(self) -> dict[str, tuple[Any, ...]]:
        """Put the live desks' state aside and start the day with every desk closed."""
        self.engine.ensure_desks(self.s)
        rows = self.s.scalars(select(DeskRow).where(DeskRow.site == self.engine.site)).all()
        saved = {r.desk_id: (*(getattr(r, c) for c in _DESK_STATE), r.updated_at) for r in rows}
        for r in rows:
            r.open, r.paused, r.pause_reason = False, False, None
            r.clerk_id, r.ticket_id, r.rating_ticket_id = None, None, None
        return saved

    def _restore_desks(self, saved: dict[str, tuple[Any, ...]]) -> None:
        for r in self.s.scalars(select(DeskRow).where(DeskRow.site == self.engine.site)):
            for column, value in zip((*_DESK_STATE, "updated_at"), saved[r.desk_id], strict=True):
                setattr(r, column, value)

    # ------------------------------------------------------------------ steps

    def _expect(self, step: Step, row: TicketRow | None) -> None:
        leg = self.plan.legs[_leg(step)]
        if row is None or row.id != self.ids[leg.key]:
            got = row.number if row is not None else "nobody"
            raise SimulationMismatch(
                f"{self.plan.day} {step.at:%H:%M:%S}Z {step.desk_id}: planned {leg.number} "
                f"({leg.service}), the engine called {got}"
            )

    def _open(self, step: Step) -> None:
        self.engine.open_desk(self.s, _desk(step), _arg(step), self.changes)

    def _pause(self, step: Step) -> None:
        self.engine.pause(self.s, _desk(step), _arg(step), self.changes)

    def _resume(self, step: Step) -> None:
        self.engine.resume(self.s, _desk(step), self.changes)

    def _close(self, step: Step) -> None:
        self.engine.close_desk(self.s, _desk(step), self.changes)

    def _issue(self, step: Step) -> None:
        leg = self.plan.legs[_leg(step)]
        issued = self.engine.issue(
            self.s,
            leg.service,
            leg.priority,
            kiosk_id=leg.kiosk_id,
            changes=self.changes,
            snapshots=self.snapshots,
        )
        if issued.number != leg.number:
            raise SimulationMismatch(f"{self.plan.day}: planned {leg.number}, got {issued.number}")
        self.ids[leg.key] = issued.ticket_id

    def _call_next(self, step: Step) -> None:
        self._expect(step, self.engine.call_next(self.s, _desk(step), self.changes))

    def _call_number(self, step: Step) -> None:
        number = self.plan.legs[_leg(step)].number
        self._expect(step, self.engine.call_number(self.s, _desk(step), number, self.changes))

    def _recall(self, step: Step) -> None:
        self.engine.recall(self.s, _desk(step), self.changes)

    def _start(self, step: Step) -> None:
        self.engine.start(self.s, _desk(step), self.changes)

    def _no_show(self, step: Step) -> None:
        self.engine.no_show(self.s, _desk(step), self.changes)

    def _done(self, step: Step) -> None:
        code = self.plan.legs[_leg(step)].dossier_code
        self.engine.done(self.s, _desk(step), self.changes, dossier_code=code)

    def _transfer(self, step: Step) -> None:
        new = self.engine.transfer(self.s, _desk(step), _arg(step), self.changes)
        self.ids[_leg(step)] = new.id

    # ------------------------------------------------------------------ ratings

    def _rate(self) -> None:
        """The day's ratings as one batch through the rating rules (as the gateway
        stores a burst); any refusal is a mismatch between plan and rules."""
        items = []
        for r in self.plan.ratings:
            leg = self.plan.legs[r.leg]
            body: dict[str, Any] = {
                "msg_id": r.msg_id,
                "device_id": r.device_id,
                "sent_at": r.sent_at,
                "ticket_id": self.ids[r.leg],
                "level": r.level_raw,
                "praised": list(r.praised),
                "reasons": list(r.reasons),
                "partial": r.partial,
            }
            if r.source == "pad":
                items.append(RatingIn(DeskRating(**body), leg.desk_id, r.received_at))
            elif r.source == "phone":  # as `server.services.phone.PhoneService` stores it
                phone = RatingSource.PHONE
                item = RatingIn(VisitRating(**body), None, r.received_at, phone, r.comment)
                items.append(item)
            else:
                items.append(RatingIn(VisitRating(**body), None, r.received_at))
        refused = [
            x
            for x in apply_ratings(self.s, self.engine.config, items)
            if isinstance(x, RatingRefused)
        ]
        if refused:
            raise SimulationMismatch(f"{self.plan.day}: ratings refused: {refused[:3]}")

    def _suggestions(self) -> None:
        """The day's suggestion box (`SuggestionService` stamps the live clock, so the
        rows are written from the plan, as it would have stored them)."""
        rows = [suggestion_values(self.plan, sg) for sg in self.plan.suggestions]
        if rows:
            self.s.execute(insert(cast(Table, SuggestionRow.__table__)), rows)


def _desk(step: Step) -> str:
    assert step.desk_id is not None, step
    return step.desk_id


def _leg(step: Step) -> int:
    assert step.leg is not None, step
    return step.leg


def _arg(step: Step) -> str:
    assert step.arg is not None, step
    return step.arg
