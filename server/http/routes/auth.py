"""``POST /api/login`` and ``POST /api/logout``: bearer tokens for scripts and devices,
and the end of a token or a browser session. The check itself is `server.auth.login`,
shared with the log-in form."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from server.auth.login import check_login
from server.auth.sessions import SESSION_COOKIE
from server.auth.tokens import issue_token, revoke_token
from server.http.bodies import StrictBody
from server.http.deps import Context, LoggedIn

router = APIRouter(prefix="/api")


class LoginIn(StrictBody):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    token: str
    expires_at: str
    role: str
    clerk_id: str | None


@router.post("/login")
def login(body: LoginIn, request: Request, context: Context) -> LoginOut:
    """A bearer token for scripts and devices (12 h). Failed attempts are rate-limited."""
    address = request.client.host if request.client else "?"
    user = check_login(context.db, context.login_limiter, body.username, body.password, address)
    with context.db.write() as s:
        token, expires = issue_token(s, user)
    return LoginOut(
        token=token, expires_at=expires.isoformat(), role=user.role, clerk_id=user.clerk_id
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, context: Context, user: LoggedIn) -> None:
    """End the token or session cookie this request came with (a cookie needs the CSRF
    header, as every change does); the live pages of that session are closed."""
    with context.db.write() as s:
        revoke_token(s, request.state.token)
    if request.state.via_cookie:
        response.delete_cookie(SESSION_COOKIE, path="/")
    context.sessions_changed()
