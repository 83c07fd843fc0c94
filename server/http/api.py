"""The JSON API (OpenAPI at /docs): health, queues, desks, stats, clerk actions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select

from protocol.messages import DeskState, DeskStats, QueueState
from protocol.text import DossierCode, Reason, TicketNumber
from server.db.tables import DeskRow, RejectedMessageRow
from server.health import health_report
from server.http.auth import SESSION_COOKIE, current_user, require
from server.queue.engine import Changes, QueueError
from server.runtime import ServerRuntime
from server.stats import desk_stats
from server.users import User, authenticate, issue_token, revoke_token
from server.views import DeviceView, device_views

router = APIRouter(prefix="/api")


def runtime(request: Request) -> ServerRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


Runtime = Annotated[ServerRuntime, Depends(runtime)]
LoggedIn = Annotated[User, Depends(current_user)]
Supervisor = Annotated[User, Depends(require("admin", "supervisor"))]
Staff = Annotated[User, Depends(require("clerk", "supervisor", "admin"))]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)


def _check_site(rt: ServerRuntime, site: str) -> None:
    if site != rt.config.site.code:
        raise HTTPException(
            404,
            {
                "code": "unknown_site",
                "message": f"Không có đơn vị “{site}”",
                "message_en": "unknown site",
            },
        )


# ---------------------------------------------------------------------- health


@router.get("/health")
def health(rt: Runtime) -> Any:
    """200 when everything works (database, a really working broker link, the one-box
    broker, ingest); 503 with each problem named otherwise (`server.health`)."""
    body = health_report(rt)
    if body["status"] != "ok":
        return JSONResponse(body, status_code=503)
    return body


# ---------------------------------------------------------------------- log-in


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    token: str
    expires_at: str
    role: str
    clerk_id: str | None


def check_login(request: Request, username: str, password: str) -> User:
    """Authenticate, with failed attempts rate-limited per account and address."""
    limiter = request.app.state.login_limiter
    address = request.client.host if request.client else "?"
    name = username.strip().lower()
    wait = limiter.retry_after(name, address)
    if wait:
        raise HTTPException(
            429,
            {
                "code": "too_many_attempts",
                "message": f"Đăng nhập sai quá nhiều lần: hãy thử lại sau {wait} giây",
                "message_en": f"too many failed log-ins: try again in {wait} s",
            },
            headers={"Retry-After": str(wait)},
        )
    rt: ServerRuntime = request.app.state.runtime
    with rt.db.read() as s:
        user = authenticate(s, username, password)
    if user is None:
        limiter.failed(name, address)
        raise HTTPException(
            401,
            {
                "code": "bad_credentials",
                "message": "Sai tên đăng nhập hoặc mật khẩu",
                "message_en": "wrong username or password",
            },
        )
    limiter.succeeded(name, address)
    return user


@router.post("/login")
def login(body: LoginIn, request: Request, rt: Runtime) -> LoginOut:
    """A bearer token for scripts and devices (12 h). Failed attempts are rate-limited."""
    user = check_login(request, body.username, body.password)
    with rt.db.write() as s:
        token, expires = issue_token(s, user)
    return LoginOut(
        token=token, expires_at=expires.isoformat(), role=user.role, clerk_id=user.clerk_id
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, rt: Runtime, user: LoggedIn) -> None:
    """End the token or session cookie this request came with (a cookie needs the CSRF
    header, as every change does); the live pages of that session are closed."""
    with rt.db.write() as s:
        revoke_token(s, request.state.token)
    if request.state.via_cookie:
        response.delete_cookie(SESSION_COOKIE, path="/")
    request.app.state.live.sessions_changed()


# ---------------------------------------------------------------------- read views


@router.get("/sites/{site}/queues")
def queues(site: str, rt: Runtime) -> list[QueueState]:
    """Live queue per service (public: no personal data)."""
    _check_site(rt, site)
    with rt.db.read() as s:
        return [rt.engine.queue_state(s, svc.code) for svc in rt.config.services]


@router.get("/sites/{site}/desks")
def desks(site: str, rt: Runtime) -> list[DeskState]:
    _check_site(rt, site)
    with rt.db.read() as s:
        return [rt.engine.desk_state(s, d.id) for d in rt.config.desks]


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
    rt: Runtime,
    user: Supervisor,
    day: Annotated[
        date | None, Query(alias="date", description="Local day, YYYY-MM-DD (default today)")
    ] = None,
) -> StatsOut:
    """Per-desk aggregates for a local day: served, ratings, satisfaction %, response
    rate, counts per level, praised item and reason, wait and service times. One day
    only: ``from``/``to`` are refused (a range is `GET /api/sites/{site}/reports`)."""
    _check_site(rt, site)
    if given := [p for p in _RANGE_PARAMS if p in request.query_params]:
        raise HTTPException(
            422,
            {
                "code": "one_day_only",
                "message": f"Thống kê quầy chỉ cho một ngày (date=YYYY-MM-DD), không nhận "
                f"{', '.join(given)}: số liệu nhiều ngày xem ở /api/sites/{site}/reports"
                "?period=2026-11-01..2026-11-30",
                "message_en": f"desk stats are for one day (date=YYYY-MM-DD); {', '.join(given)} "
                f"is not taken: for a range use /api/sites/{site}/reports"
                "?period=2026-11-01..2026-11-30",
            },
        )
    day = day or rt.engine.today()
    with rt.db.read() as s:
        return StatsOut(
            site=site,
            date=day,
            desks=[desk_stats(s, rt.config, d.id, day) for d in rt.config.desks],
        )


@router.get("/sites/{site}/devices")
def devices(site: str, rt: Runtime, user: Supervisor) -> list[DeviceView]:
    """Each configured device: online / offline / never_seen, or unknown while the
    server's own broker link is down; since when, its last health report, and from it
    the printer state and the outbox depth."""
    _check_site(rt, site)
    with rt.db.read() as s:
        return device_views(s, rt.config, presence_known=rt.presence_known())


@router.get("/sites/{site}/rejected")
def rejected(
    site: str,
    rt: Runtime,
    user: Supervisor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The most recent messages the server refused, newest first, with the reason."""
    _check_site(rt, site)
    with rt.db.read() as s:
        rows = s.scalars(
            select(RejectedMessageRow)
            .where(RejectedMessageRow.site == site)
            .order_by(RejectedMessageRow.id.desc())
            .limit(limit)
        )
        return [
            {
                "at": r.received_at.isoformat(),
                "topic": r.topic,
                "reason": r.reason,
                "detail": r.detail,
                "excerpt": r.excerpt,
                "device_id": r.device_id,
                "msg_id": r.msg_id,
            }
            for r in rows
        ]


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


class DeskActionIn(_In):
    #: Typed at the counter: "a023" is A023.
    number: Annotated[TicketNumber | None, BeforeValidator(_upper)] = None
    service: str | None = Field(default=None, max_length=16)
    reason: Reason | None = None
    #: Mã hồ sơ from the appointment slip: with "done", or "dossier" afterwards.
    dossier_code: DossierCode | None = None
    #: "dossier": the visit the clerk means (refused if the desk has finished another).
    ticket_id: uuid.UUID | None = None


class DeskActionOut(BaseModel):
    desk: DeskState
    ticket: dict[str, Any] | None = None
    message: str | None = None


def _error(e: QueueError) -> HTTPException:
    return HTTPException(
        e.status, {"code": e.code, "message": e.message, "message_en": e.message_en}
    )


def _ticket_json(ticket: Any) -> dict[str, Any] | None:
    if ticket is None or not hasattr(ticket, "number"):
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


def _need(value: str | None, message: str, message_en: str) -> str:
    if not value:
        raise QueueError("bad_request", message, message_en, 400)
    return value


#: Each action: (engine call, needs the desk to be this clerk's).
_ACTIONS: dict[str, Any] = {
    "close": lambda e, s, d, b, c: e.close_desk(s, d, c),
    "call-next": lambda e, s, d, b, c: e.call_next(s, d, c),
    "call-number": lambda e, s, d, b, c: e.call_number(
        s, d, _need(b.number, "Hãy nhập số cần gọi", "give `number`"), c
    ),
    "recall": lambda e, s, d, b, c: e.recall(s, d, c),
    "start": lambda e, s, d, b, c: e.start(s, d, c),
    "done": lambda e, s, d, b, c: e.done(s, d, c, b.dossier_code),
    "dossier": lambda e, s, d, b, c: e.set_dossier_code(
        s, d, _need(b.dossier_code, "Hãy nhập mã hồ sơ", "give `dossier_code`"), c, b.ticket_id
    ),
    "no-show": lambda e, s, d, b, c: e.no_show(s, d, c),
    "transfer": lambda e, s, d, b, c: e.transfer(
        s, d, _need(b.service, "Hãy chọn lĩnh vực chuyển đến", "give `service`"), c
    ),
    "pause": lambda e, s, d, b, c: e.pause(s, d, b.reason or "", c),
    "resume": lambda e, s, d, b, c: e.resume(s, d, c),
}


@router.post("/sites/{site}/desks/{desk_id}/{action}")
def desk_action(
    site: str,
    desk_id: str,
    action: Action,
    rt: Runtime,
    user: Staff,
    body: DeskActionIn | None = None,
) -> DeskActionOut:
    """Drive a desk: open (log the clerk in), call-next, call-number, recall, start,
    done (with the dossier code if given), no-show, transfer, pause (with a reason),
    resume, close; dossier: add or correct the dossier code of the visit just finished."""
    _check_site(rt, site)
    body = body or DeskActionIn()
    changes = Changes()
    eng = rt.engine
    try:
        with rt.db.write() as s:
            if action == "open":
                if user.role != "clerk" or not user.clerk_id:
                    raise QueueError(
                        "clerk_only", "Chỉ cán bộ mới mở quầy", "only a clerk opens a desk", 403
                    )
                result = eng.open_desk(s, desk_id, user.clerk_id, changes)
            else:
                if user.role == "clerk":
                    desk = s.scalar(
                        select(DeskRow).where(DeskRow.site == site, DeskRow.desk_id == desk_id)
                    )
                    if desk is None or not desk.open:
                        raise QueueError("desk_closed", "Hãy mở quầy trước", "open the desk first")
                    if desk.clerk_id != user.clerk_id:
                        raise QueueError(
                            "not_your_desk",
                            "Quầy này do cán bộ khác phụ trách",
                            "another clerk is logged in",
                            403,
                        )
                result = _ACTIONS[action](eng, s, desk_id, body, changes)
            ticket = _ticket_json(result)
    except QueueError as e:
        raise _error(e) from None
    rt.publisher.submit(changes)
    with rt.db.read() as s:
        state = eng.desk_state(s, desk_id)
    message = "Không còn ai chờ" if action == "call-next" and ticket is None else None
    return DeskActionOut(desk=state, ticket=ticket, message=message)


class LastVisitOut(BaseModel):
    #: The visit finished last at the desk today (a clerk sees only their own).
    ticket: dict[str, Any] | None = None
    #: Its dossier code may still be added or corrected (``dossier``).
    can_attach: bool = False


@router.get("/sites/{site}/desks/{desk_id}/last-visit")
def last_visit(site: str, desk_id: str, rt: Runtime, user: Staff) -> LastVisitOut:
    """The visit finished last at a desk, with its dossier code (for the console)."""
    _check_site(rt, site)
    try:
        with rt.db.read() as s:
            t, open_ = rt.engine.last_visit(s, desk_id)
            if t is None or (user.role == "clerk" and t.clerk_id != user.clerk_id):
                return LastVisitOut()
            return LastVisitOut(ticket=_ticket_json(t), can_attach=open_)
    except QueueError as e:
        raise _error(e) from None
