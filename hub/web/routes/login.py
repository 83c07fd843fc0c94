"""``/login``, ``/logout`` and ``/lang/{code}`` on the hub: the office server's log-in
(`server.auth.login`: argon2 passwords, failures rate-limited per account and address,
a session cookie holding an API token), for the hub's accounts (admin, supervisor)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.web.deps import HUB_ROLES, Context
from hub.web.i18n import text
from hub.web.render import render
from server.auth.login import LoginRefused, check_login
from server.auth.sessions import SESSION_COOKIE, csrf_ok
from server.auth.tokens import issue_token, revoke_token
from server.web.cookies import is_secure, set_session
from server.web.i18n import LANG_COOKIE, lang_of
from server.web.routes.login import LOGIN_CSRF_COOKIE
from server.web.routes.login import _safe_next as safe_next

router = APIRouter(include_in_schema=False)


def _login_form(
    request: Request, next: str | None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The form with its own CSRF token (double submit: cookie + field)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status=status,
        next=safe_next(next) or "",
        form_csrf=token,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, next)


@router.post("/login")
def login_submit(
    request: Request,
    context: Context,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    lang = lang_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_form(request, next, text(lang, "expired_form"), 403)
    address = request.client.host if request.client else "?"
    try:
        user = check_login(context.db, context.login_limiter, username, password, address)
    except LoginRefused as e:
        if e.retry_after:
            wait = str(e.retry_after)
            response = _login_form(request, next, text(lang, "too_many", s=wait), 429)
            response.headers["Retry-After"] = wait
            return response
        return _login_form(request, next, text(lang, "bad_login"), 401)
    if user.role not in HUB_ROLES:
        return _login_form(request, next, text(lang, "hub_not_hub_role", user=user.username), 403)
    with context.db.write() as s:
        token, expires = issue_token(s, user)
    home = RedirectResponse(safe_next(next) or "/", status_code=303)
    set_session(request, home, token, expires)
    home.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return home


@router.post("/logout")
def logout(
    request: Request, context: Context, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    if session and not csrf_ok(session, csrf_token):
        return Response("CSRF", status_code=403)
    if session:
        with context.db.write() as s:
            revoke_token(s, session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    response.set_cookie(
        LANG_COOKIE, "en" if code == "en" else "vi", max_age=400 * 86400, samesite="lax"
    )
    return response
