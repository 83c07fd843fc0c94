"""Typed dependencies of the API routes: the server's parts, and who is asking.

The composition root (`server.app.create_app`) puts one `ApiContext` on the application;
the providers below hand its parts to the routes, typed (``db: Db``, ``engine: Engine``,
``user: Staff``…), so that no route imports the runtime and nothing reads an untyped
``app.state``.

Who is asking: a bearer token (devices, scripts) or the browser's session cookie, which
must come with the session's CSRF header on every change (`server.auth.sessions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from protocol.refusals import Reason
from server.auth.ratelimit import LoginLimiter
from server.auth.sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_ok
from server.auth.tokens import user_for_token
from server.auth.users import User
from server.config import SiteConfig
from server.db.database import Database
from server.http.errors import ApiRefusal
from server.queue.engine import QueueEngine
from server.reports.rollup import Rollups
from server.services.desks import DeskService
from server.services.suggestions import SuggestionService


@dataclass(frozen=True)
class ApiContext:
    """What the JSON API uses of the running server."""

    config: SiteConfig
    db: Database
    engine: QueueEngine
    rollups: Rollups
    #: A clerk's desk actions (`server.services.desks`).
    desks: DeskService
    login_limiter: LoginLimiter
    #: The server's health (`server.health.health_report` of the runtime).
    health: Callable[[], dict[str, Any]]
    #: Whether the devices' statuses hold: not while our own broker link is down.
    presence_known: Callable[[], bool]
    #: A session ended in this process (log-out): the live pages check theirs now.
    sessions_changed: Callable[[], None]
    #: The suggestion box: supervisors mark suggestions handled.
    suggestions: SuggestionService


def api_context(conn: HTTPConnection) -> ApiContext:
    context = conn.app.state.api
    if not isinstance(context, ApiContext):
        raise RuntimeError("the API is mounted without its context (server.app.create_app)")
    return context


Context = Annotated[ApiContext, Depends(api_context)]


def _config(context: Context) -> SiteConfig:
    return context.config


def _db(context: Context) -> Database:
    return context.db


def _engine(context: Context) -> QueueEngine:
    return context.engine


Config = Annotated[SiteConfig, Depends(_config)]
Db = Annotated[Database, Depends(_db)]
Engine = Annotated[QueueEngine, Depends(_engine)]


def check_site(config: SiteConfig, site: str) -> None:
    """This server serves one site: any other is a 404."""
    if site != config.site.code:
        raise ApiRefusal(Reason.UNKNOWN_SITE, site=site)


# ---------------------------------------------------------------------- who is asking

_bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request,
    db: Db,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the bearer token, else of the session cookie. The token that
    authenticated the request is kept in ``request.state.token`` (and
    ``request.state.via_cookie``), for the log-out."""
    if creds is not None and creds.credentials:
        with db.read() as s:
            user = user_for_token(s, creds.credentials)
        if user is None:
            raise ApiRefusal(Reason.BAD_TOKEN)
        request.state.token, request.state.via_cookie = creds.credentials, False
        return user
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise ApiRefusal(Reason.NOT_LOGGED_IN)
    with db.read() as s:
        user = user_for_token(s, session)
    if user is None:
        raise ApiRefusal(Reason.BAD_TOKEN, variant="session")
    if request.method not in SAFE_METHODS and not csrf_ok(
        session, request.headers.get(CSRF_HEADER)
    ):
        raise ApiRefusal(Reason.CSRF)
    request.state.token, request.state.via_cookie = session, True
    return user


def require(*roles: str) -> Callable[[User], User]:
    """A dependency: the user, who must have one of ``roles`` (else 403)."""

    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise ApiRefusal(Reason.FORBIDDEN, roles=" or ".join(roles))
        return user

    return check


LoggedIn = Annotated[User, Depends(current_user)]
Supervisor = Annotated[User, Depends(require("admin", "supervisor"))]
Staff = Annotated[User, Depends(require("clerk", "supervisor", "admin"))]
#: Who may read reports and letters (a clerk: their own only).
Reader = Staff
