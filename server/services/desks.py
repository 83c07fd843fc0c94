"""A clerk's desk actions: open, close, pause, resume, call, serve, finish, transfer.

Each action is one use case: a transaction, the check that the desk is this clerk's (a
clerk drives only the desk they opened; supervisors and admins may drive any), the queue
engine's transition, the changes published after the commit, and the desk's new state
read back for the answer. The HTTP route only decodes the request and renders the
`DeskOutcome`; nothing here knows about HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.messages import DeskState
from protocol.refusals import Reason
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, TicketRow
from server.queue.engine import QueueEngine
from server.queue.errors import QueueError
from server.readmodels.desk_state import desk_state
from server.services.unit import Publisher, Unit, transaction


class Actor(Protocol):
    """Who asks (a logged-in user): a clerk, a supervisor or an admin."""

    @property
    def role(self) -> str: ...

    @property
    def clerk_id(self) -> str | None: ...


class DeskAction(StrEnum):
    """What a clerk may do at a desk (the last segment of the HTTP route)."""

    OPEN = "open"
    CLOSE = "close"
    CALL_NEXT = "call-next"
    CALL_NUMBER = "call-number"
    RECALL = "recall"
    START = "start"
    DONE = "done"
    NO_SHOW = "no-show"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    DOSSIER = "dossier"


@dataclass(frozen=True)
class DeskRequest:
    """One desk action and what it needs: ``number`` to call a number, ``service`` to
    transfer to, ``reason`` to pause, ``dossier_code`` with "done" or "dossier", and
    ``ticket_id``: for "dossier", the visit the clerk means."""

    action: DeskAction
    number: str | None = None
    service: str | None = None
    reason: str | None = None
    dossier_code: str | None = None
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class DeskOutcome:
    """The desk after the action, and the ticket the action was about (the one called,
    served, finished or transferred; ``None`` for open, close, pause, resume, or a call
    with nobody waiting)."""

    desk: DeskState
    ticket: TicketRow | None = None


def _need(value: str | None, field: str) -> str:
    """``value``, or ``bad_request`` worded for the missing ``field``."""
    if not value:
        raise QueueError(Reason.BAD_REQUEST, variant=field)
    return value


class DeskService:
    """The desk use cases, on one site's database, engine and publisher."""

    def __init__(
        self, config: SiteConfig, db: Database, engine: QueueEngine, publisher: Publisher
    ) -> None:
        self.site = config.site.code
        self.db = db
        self.engine = engine
        self.publisher = publisher

    def ensure_desks(self) -> None:
        """Give every configured desk its row (at start-up, before any action)."""
        with self.db.write() as s:
            self.engine.ensure_desks(s)

    # ------------------------------------------------------------------ dispatch

    def perform(self, actor: Actor, desk_id: str, request: DeskRequest) -> DeskOutcome:
        """Run ``request`` (the HTTP route's single entry point); a refused action
        raises `QueueError`."""
        match request.action:
            case DeskAction.OPEN:
                return self.open(actor, desk_id)
            case DeskAction.CLOSE:
                return self.close(actor, desk_id)
            case DeskAction.PAUSE:
                return self.pause(actor, desk_id, request.reason or "")
            case DeskAction.RESUME:
                return self.resume(actor, desk_id)
            case DeskAction.DOSSIER:
                code = _need(request.dossier_code, "dossier_code")
                return self.set_dossier_code(actor, desk_id, code, request.ticket_id)
        return self._serve(actor, desk_id, request)

    def _serve(self, actor: Actor, desk_id: str, request: DeskRequest) -> DeskOutcome:
        """The actions on the ticket in hand (or the next one)."""
        match request.action:
            case DeskAction.CALL_NEXT:
                return self.call_next(actor, desk_id)
            case DeskAction.CALL_NUMBER:
                number = _need(request.number, "number")
                return self.call_number(actor, desk_id, number)
            case DeskAction.RECALL:
                return self.recall(actor, desk_id)
            case DeskAction.START:
                return self.start(actor, desk_id)
            case DeskAction.DONE:
                return self.done(actor, desk_id, request.dossier_code)
            case DeskAction.NO_SHOW:
                return self.no_show(actor, desk_id)
            case DeskAction.TRANSFER:
                to = _need(request.service, "service")
                return self.transfer(actor, desk_id, to)
        raise AssertionError(f"unhandled desk action {request.action!r}")

    # ------------------------------------------------------------------ desk sessions

    def open(self, actor: Actor, desk_id: str) -> DeskOutcome:
        """A clerk logs in at a desk (only a clerk opens one)."""
        if actor.role != "clerk" or not actor.clerk_id:
            raise QueueError(Reason.CLERK_ONLY)
        with transaction(self.db, self.publisher) as u:
            self.engine.open_desk(u.session, desk_id, actor.clerk_id, u.changes)
        return self._outcome(desk_id)

    def close(self, actor: Actor, desk_id: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            self.engine.close_desk(u.session, desk_id, u.changes)
        return self._outcome(desk_id)

    def pause(self, actor: Actor, desk_id: str, reason: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            self.engine.pause(u.session, desk_id, reason, u.changes)
        return self._outcome(desk_id)

    def resume(self, actor: Actor, desk_id: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            self.engine.resume(u.session, desk_id, u.changes)
        return self._outcome(desk_id)

    # ------------------------------------------------------------------ calling and serving

    def call_next(self, actor: Actor, desk_id: str) -> DeskOutcome:
        """Call the next ticket; the outcome has no ticket if nobody waits."""
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.call_next(u.session, desk_id, u.changes)
        return self._outcome(desk_id, ticket)

    def call_number(self, actor: Actor, desk_id: str, number: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.call_number(u.session, desk_id, number, u.changes)
        return self._outcome(desk_id, ticket)

    def recall(self, actor: Actor, desk_id: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.recall(u.session, desk_id, u.changes)
        return self._outcome(desk_id, ticket)

    def start(self, actor: Actor, desk_id: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.start(u.session, desk_id, u.changes)
        return self._outcome(desk_id, ticket)

    def done(self, actor: Actor, desk_id: str, dossier_code: str | None = None) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.done(u.session, desk_id, u.changes, dossier_code)
        return self._outcome(desk_id, ticket)

    def no_show(self, actor: Actor, desk_id: str) -> DeskOutcome:
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.no_show(u.session, desk_id, u.changes)
        return self._outcome(desk_id, ticket)

    def transfer(self, actor: Actor, desk_id: str, to_service: str) -> DeskOutcome:
        """Send the citizen in hand on to another service; the outcome's ticket is the
        new one, waiting in that service's queue."""
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.transfer(u.session, desk_id, to_service, u.changes)
        return self._outcome(desk_id, ticket)

    def set_dossier_code(
        self,
        actor: Actor,
        desk_id: str,
        dossier_code: str,
        ticket_id: uuid.UUID | None = None,
    ) -> DeskOutcome:
        """Add or correct the dossier code of the visit just finished at the desk."""
        with self._at_desk(actor, desk_id) as u:
            ticket = self.engine.set_dossier_code(
                u.session, desk_id, dossier_code, u.changes, ticket_id
            )
        return self._outcome(desk_id, ticket)

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _at_desk(self, actor: Actor, desk_id: str) -> Iterator[Unit]:
        """A transaction on a desk that must be the actor's, if the actor is a clerk."""
        with transaction(self.db, self.publisher) as u:
            if actor.role == "clerk":
                self._check_own(u.session, actor, desk_id)
            yield u

    def _check_own(self, s: Session, actor: Actor, desk_id: str) -> None:
        """A clerk drives only a desk that is open, and open by them."""
        desk = s.scalar(
            select(DeskRow).where(DeskRow.site == self.site, DeskRow.desk_id == desk_id)
        )
        if desk is None or not desk.open:
            raise QueueError(Reason.DESK_CLOSED, variant="open_first")
        if desk.clerk_id != actor.clerk_id:
            raise QueueError(Reason.NOT_YOUR_DESK)

    def _outcome(self, desk_id: str, ticket: TicketRow | None = None) -> DeskOutcome:
        """The desk's state as committed, with the ticket the action was about."""
        with self.db.read() as s:
            return DeskOutcome(desk_state(self.engine, s, desk_id), ticket)
