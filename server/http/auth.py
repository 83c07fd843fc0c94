"""Who is asking: bearer tokens (devices, scripts) or the browser's session cookie.

A browser session is an API token kept in an HttpOnly, SameSite=Strict cookie. Requests
that change something and come with the cookie must also carry the session's CSRF token
(header ``X-CSRF-Token`` or form field ``csrf_token``); bearer requests need none, since
a browser never adds an Authorization header by itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.users import User, user_for_token

SESSION_COOKIE = "motcua_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False)


def csrf_token(session: str) -> str:
    """The CSRF token of a session: derived from the session's secret, so nothing more
    is stored and a page that cannot read the cookie cannot forge it."""
    return hmac.new(session.encode(), b"motcua-csrf", hashlib.sha256).hexdigest()[:40]


def csrf_ok(session: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session), given or "")


def _problem(status: int, code: str, message: str, message_en: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(
        status, {"code": code, "message": message, "message_en": message_en}, headers=headers
    )


def session_user(request: Request) -> User | None:
    """The user of the session cookie, or None (no cookie, expired, revoked)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with request.app.state.runtime.db.read() as s:
        return user_for_token(s, token)


def current_user(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> User:
    """The user of the bearer token, else of the session cookie. The token that
    authenticated the request is kept in ``request.state.token`` (and
    ``request.state.via_cookie``), for the log-out."""
    if creds is not None and creds.credentials:
        with request.app.state.runtime.db.read() as s:
            user = user_for_token(s, creds.credentials)
        if user is None:
            raise _problem(401, "bad_token", "Phiên đăng nhập hết hạn", "invalid or expired token")
        request.state.token, request.state.via_cookie = creds.credentials, False
        return user
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise _problem(401, "not_logged_in", "Cần đăng nhập", "log in first")
    with request.app.state.runtime.db.read() as s:
        user = user_for_token(s, session)
    if user is None:
        raise _problem(401, "bad_token", "Phiên đăng nhập hết hạn", "invalid or expired session")
    if request.method not in SAFE_METHODS and not csrf_ok(
        session, request.headers.get(CSRF_HEADER)
    ):
        raise _problem(
            403,
            "csrf",
            "Yêu cầu không hợp lệ: hãy tải lại trang",
            "missing or wrong CSRF token: reload the page",
        )
    request.state.token, request.state.via_cookie = session, True
    return user


def forbidden(roles: tuple[str, ...]) -> HTTPException:
    return _problem(
        403, "forbidden", "Tài khoản không có quyền này", f"needs role {' or '.join(roles)}"
    )


def require(*roles: str) -> Callable[[User], User]:
    def check(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise forbidden(roles)
        return user

    return check
