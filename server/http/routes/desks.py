"""The clerk console's API: drive a desk (``POST …/desks/{desk_id}/{action}``), the visit
it finished last, and the per-desk figures of one day.

A desk action is a use case of `server.services.desks` (transaction, "this desk is this
clerk's", the engine, publishing); this module only decodes the request and renders the
outcome. A refused action is a `QueueError`, answered by `server.http.errors`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, Field

from protocol.messages import DeskState, DeskStats
from protocol.numbers import TicketNumber
from protocol.refusals import Reason
from protocol.text import DossierCode, ReasonText
from server.db.tables import TicketRow
from server.http.bodies import StrictBody
from server.http.deps import Config, Context, Db, Engine, Staff, Supervisor, check_site
from server.http.errors import ApiRefusal
from server.readmodels.stats import desk_stats
from server.services.desks import DeskAction, DeskRequest, DeskService

router = APIRouter(prefix="/api")


def _desk_service(context: Context) -> DeskService:
    return context.desks


Desks = Annotated[DeskService, Depends(_desk_service)]


# ---------------------------------------------------------------------- stats


class StatsOut(BaseModel):
    site: str
    date: date
    desks: list[DeskStats]


#: Range parameters this endpoint does not take (a range is a report).
_RANGE_PARAMS = ("from", "to", "period")


@router.get("/sites/{site}/desks/stats")
def stats(
    site: str,
    request: Request,
    config: Config,
    db: Db,
    engine: Engine,
    user: Supervisor,
    day: Annotated[
        date | None, Query(alias="date", description="Local day, YYYY-MM-DD (default today)")
    ] = None,
) -> StatsOut:
    """Per-desk aggregates for a local day: served, ratings, satisfaction %, response
    rate, counts per level, praised item and reason, wait and service times. One day
    only: ``from``/``to`` are refused (a range is `GET /api/sites/{site}/reports`)."""
    check_site(config, site)
    if given := [p for p in _RANGE_PARAMS if p in request.query_params]:
        raise ApiRefusal(Reason.ONE_DAY_ONLY, given=", ".join(given), site=site)
    day = day or engine.today()
    with db.read() as s:
        return StatsOut(
            site=site,
            date=day,
            desks=[desk_stats(s, config, d.id, day) for d in config.desks],
        )


# ---------------------------------------------------------------------- clerk actions

Action = Literal[
    "open",
    "close",
    "call-next",
    "call-number",
    "recall",
    "start",
    "done",
    "no-show",
    "transfer",
    "pause",
    "resume",
    "dossier",
]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


class DeskActionIn(StrictBody):
    #: Typed at the counter: "a023" is A023.
    number: Annotated[TicketNumber | None, BeforeValidator(_upper)] = None
    service: str | None = Field(default=None, max_length=16)
    reason: ReasonText | None = None
    #: Mã hồ sơ from the appointment slip: with "done", or "dossier" afterwards.
    dossier_code: DossierCode | None = None
    #: "dossier": the visit the clerk means (refused if the desk has finished another).
    ticket_id: uuid.UUID | None = None


class DeskActionOut(BaseModel):
    desk: DeskState
    ticket: dict[str, Any] | None = None
    message: str | None = None


def _ticket_json(ticket: TicketRow | None) -> dict[str, Any] | None:
    if ticket is None:
        return None
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "service": ticket.service,
        "state": ticket.state,
        "issued_at": ticket.issued_at.isoformat(),
        #: Issued by a kiosk from its reserve while it could not reach the server.
        "offline": bool(ticket.offline),
        "ended_at": ticket.ended_at.isoformat() if ticket.ended_at else None,
        "dossier_code": ticket.dossier_code,
    }


@router.post("/sites/{site}/desks/{desk_id}/{action}")
def desk_action(
    site: str,
    desk_id: str,
    action: Action,
    config: Config,
    desks: Desks,
    user: Staff,
    body: DeskActionIn | None = None,
) -> DeskActionOut:
    """Drive a desk: open (log the clerk in), call-next, call-number, recall, start,
    done (with the dossier code if given), no-show, transfer, pause (with a reason),
    resume, close; dossier: add or correct the dossier code of the visit just finished."""
    check_site(config, site)
    body = body or DeskActionIn()
    request = DeskRequest(
        DeskAction(action),
        number=body.number,
        service=body.service,
        reason=body.reason,
        dossier_code=body.dossier_code,
        ticket_id=body.ticket_id,
    )
    outcome = desks.perform(user, desk_id, request)
    ticket = _ticket_json(outcome.ticket)
    message = "Không còn ai chờ" if action == "call-next" and ticket is None else None
    return DeskActionOut(desk=outcome.desk, ticket=ticket, message=message)


class LastVisitOut(BaseModel):
    #: The visit finished last at the desk today (a clerk sees only their own).
    ticket: dict[str, Any] | None = None
    #: Its dossier code may still be added or corrected (``dossier``).
    can_attach: bool = False


@router.get("/sites/{site}/desks/{desk_id}/last-visit")
def last_visit(
    site: str, desk_id: str, config: Config, db: Db, engine: Engine, user: Staff
) -> LastVisitOut:
    """The visit finished last at a desk, with its dossier code (for the console)."""
    check_site(config, site)
    with db.read() as s:
        t, open_ = engine.last_visit(s, desk_id)
        if t is None or (user.role == "clerk" and t.clerk_id != user.clerk_id):
            return LastVisitOut()
        return LastVisitOut(ticket=_ticket_json(t), can_attach=open_)
