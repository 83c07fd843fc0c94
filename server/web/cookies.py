"""The browser's side of a session: which user its cookie names, and setting it.

The cookie holds an API token (`server.auth.tokens`), HttpOnly and SameSite=Strict, and
Secure when the page came over HTTPS. Used by the log-in form, the board's token
exchange, the page guards and the live stream.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response
from starlette.requests import HTTPConnection

from server.auth.sessions import SESSION_COOKIE
from server.auth.tokens import user_for_token
from server.auth.users import User
from server.web.deps import web_context


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def session_user(conn: HTTPConnection) -> User | None:
    """The user of the session cookie, or None (no cookie, expired, revoked)."""
    token = conn.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with web_context(conn).db.read() as s:
        return user_for_token(s, token)


def set_session(request: Request, response: Response, token: str, expires: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/",
    )
