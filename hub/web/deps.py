"""Who is looking at the hub's pages, and the hub's parts the pages use.

The contract of every hub page (the overview, the drill-down, the reports across
offices): a route takes ``viewer: Viewer`` (a logged-in hub account; nobody logged in is
sent to the log-in page, or gets a 401 on ``/api/…``), ``db: HubDb`` and ``config:
HubCfg``. What an account may see is `HubViewer.may_see` / `HubViewer.visible`: an
account with ``users.site`` set (an office supervisor) sees that one office, one
without (a hub supervisor or admin) every office.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.requests import HTTPConnection

from hub.config import HubConfig
from hub.web.context import HubContext, hub_context
from server.auth.sessions import SESSION_COOKIE
from server.auth.tokens import user_for_token
from server.db.database import Database
from server.db.tables import UserRow

#: The roles that may use the hub's pages (a clerk or board account of a hub: none).
HUB_ROLES = ("admin", "supervisor")


@dataclass(frozen=True)
class HubViewer:
    """A logged-in hub account: ``site`` None sees every office, a code only that one."""

    username: str
    role: str
    site: str | None

    def may_see(self, code: str) -> bool:
        return self.site is None or self.site == code

    def visible(self, codes: Iterable[str]) -> list[str]:
        """``codes`` this account may see, in their order."""
        return [c for c in codes if self.may_see(c)]


class HubRefused(Exception):
    """A request refused by a guard; ``response`` is what to send instead (the log-in
    redirect, a 401/403 JSON body, the "forbidden" page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def refused_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubRefused)
    return exc.response


Context = Annotated[HubContext, Depends(hub_context)]


def wants_json(conn: HTTPConnection) -> bool:
    return conn.url.path.startswith("/api/")


def json_refusal(status: int, code: str, vi: str, en: str) -> JSONResponse:
    """The office API's error shape: ``{"detail": {"code", "message", "message_en"}}``."""
    body = {"detail": {"code": code, "message": vi, "message_en": en}}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def session_viewer(conn: HTTPConnection) -> HubViewer | None:
    """The hub account of the session cookie, or None (no cookie, expired, revoked,
    or a role the hub does not serve)."""
    token = conn.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with hub_context(conn).db.read() as s:
        user = user_for_token(s, token)
        if user is None or user.role not in HUB_ROLES:
            return None
        site = s.scalar(select(UserRow.site).where(UserRow.id == user.id))
    return HubViewer(user.username, user.role, site)


def current_viewer(request: Request) -> HubViewer:
    viewer = session_viewer(request)
    if viewer is not None:
        return viewer
    if wants_json(request):
        raise HubRefused(json_refusal(401, "not_logged_in", "Cần đăng nhập", "log in first"))
    query = request.url.query
    target = quote(request.url.path + (f"?{query}" if query else ""), safe="/")
    raise HubRefused(RedirectResponse(f"/login?next={target}", status_code=303))


def _db(context: Context) -> Database:
    return context.db


def _config(context: Context) -> HubConfig:
    return context.config


Viewer = Annotated[HubViewer, Depends(current_viewer)]
HubDb = Annotated[Database, Depends(_db)]
HubCfg = Annotated[HubConfig, Depends(_config)]
