"""Server-rendered pages: log-in, clerk console, display board, supervisor dashboard,
and the board's announcement audio. The pages' scripts act through the JSON API (with the
session cookie and the CSRF header) and listen on ``/ws/live`` (`server.web.stream`)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from protocol.text import TicketNumber
from server.http.api import check_login
from server.http.auth import SESSION_COOKIE, csrf_ok, csrf_token, session_user
from server.runtime import ServerRuntime
from server.users import User, issue_token, revoke_token, token_expiry, user_for_token
from server.web import i18n
from server.web.i18n import LANG_COOKIE, Lang, lang_of, text
from server.web.live import CHANNEL_ROLES

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LOGIN_CSRF_COOKIE = "motcua_login_csrf"
_NUMBER: TypeAdapter[str] = TypeAdapter(TicketNumber)

HOME = {"board": "/board", "clerk": "/desk", "supervisor": "/dashboard", "admin": "/dashboard"}
#: Who may open each page: the same roles as its live channel; /reports has none (a
#: clerk sees only their own figures there).
PAGE_ROLES = {**CHANNEL_ROLES, "reports": ("clerk", "supervisor", "admin")}
#: Content-Security-Policy of every page: only this server's scripts, styles and sounds.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _rt(request: Request) -> ServerRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this server (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def render(
    request: Request,
    template: str,
    user: User | None,
    status: int = 200,
    data: dict[str, Any] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    lang: Lang = lang_of(request)
    cfg = _rt(request).config
    session = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(session) if session and user else ""
    page_data = {"lang": lang, "site": cfg.site.code, "csrf": csrf, **(data or {})}
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": lambda key, **v: text(lang, key, **v),
            "user": user,
            "csrf": csrf,
            "site": cfg.site,
            "office": cfg.site.name_en if lang == "en" and cfg.site.name_en else cfg.site.name,
            "path": request.url.path,
            # JSON for the page's script, inert (type="application/json"): no inline code.
            "page_data": Markup(json.dumps(page_data, ensure_ascii=False).replace("</", "<\\/")),
            **ctx,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _gate(request: Request, page: str) -> User | Response:
    """The logged-in user allowed on ``page``, or the response to send instead."""
    user = session_user(request)
    if user is None:
        # the query too: a link to a report's view reproduces it after the log-in
        query = request.url.query
        target = quote(request.url.path + (f"?{query}" if query else ""), safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if user.role not in PAGE_ROLES[page]:
        lang = lang_of(request)
        return render(
            request,
            "forbidden.html",
            user,
            status=403,
            message=text(lang, "forbidden", user=user.username),
            home=HOME[user.role],
        )
    return user


# ---------------------------------------------------------------------- log-in


def _login_form(
    request: Request, next: str | None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The log-in form with its own CSRF token (double submit: cookie + field)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status=status,
        next=_safe_next(next) or "",
        form_csrf=token,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, next)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    lang = lang_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_form(request, next, text(lang, "expired_form"), 403)
    try:
        user = check_login(request, username, password)
    except HTTPException as e:
        if e.status_code == 429:
            wait = (e.headers or {}).get("Retry-After", "60")
            response = _login_form(request, next, text(lang, "too_many", s=wait), 429)
            response.headers["Retry-After"] = wait
            return response
        return _login_form(request, next, text(lang, "bad_login"), 401)
    rt = _rt(request)
    with rt.db.write() as s:
        token, expires = issue_token(s, user)
    response = RedirectResponse(_safe_next(next) or HOME[user.role], status_code=303)
    _set_session(request, response, token, expires)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _set_session(request: Request, response: Response, token: str, expires: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    if session and not csrf_ok(session, csrf_token):
        return Response("CSRF", status_code=403)
    if session:
        with _rt(request).db.write() as s:
            revoke_token(s, session)
        request.app.state.live.sessions_changed()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    response.set_cookie(
        LANG_COOKIE, "en" if code == "en" else "vi", max_age=400 * 86400, samesite="lax"
    )
    return response


# ---------------------------------------------------------------------- pages


@router.get("/desk")
def desk_list(request: Request) -> Response:
    user = _gate(request, "desk")
    if isinstance(user, Response):
        return user
    rt = _rt(request)
    with rt.db.read() as s:
        desks = [rt.engine.desk_state(s, d.id) for d in rt.config.desks]
    mine = next(
        (d.desk_id for d in desks if d.open and d.clerk and d.clerk.id == user.clerk_id), None
    )
    if mine and request.query_params.get("choose") is None:
        return RedirectResponse(f"/desk/{mine}", status_code=303)
    return render(request, "desk_list.html", user, desks=desks)


@router.get("/desk/{desk_id}")
def desk_console(request: Request, desk_id: str) -> Response:
    user = _gate(request, "desk")
    if isinstance(user, Response):
        return user
    cfg = _rt(request).config
    desk = cfg.desk_by_id.get(desk_id)
    if desk is None:
        raise HTTPException(404, "no such desk")
    lang = lang_of(request)
    services = [
        {"code": s.code, "name": s.name_en if lang == "en" and s.name_en else s.name}
        for s in cfg.services
    ]
    data = {
        "desk_id": desk_id,
        "me": {"username": user.username, "role": user.role, "clerk_id": user.clerk_id},
        "services": services,
        "targets": {s.code: s.target_wait_minutes for s in cfg.services},
        "strings": i18n.js_strings(lang, list(i18n.STRINGS)),
        "letters": {
            "signer_title": cfg.letters.signer_title,
            "signer_name": cfg.letters.signer_name,
        },
        "tz": cfg.site.timezone,
    }
    return render(request, "desk.html", user, data=data, desk=desk)


@router.get("/board")
def board(request: Request, token: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    if token:
        # A display opens with its read-only token once; the token becomes its session
        # cookie and leaves the address bar (and the browser's history). Only a board
        # account's token: a link must not log anybody in as a supervisor or an admin.
        with _rt(request).db.read() as s:
            user = user_for_token(s, token)
            expires = token_expiry(s, token)
        if user is None or expires is None or user.role != "board":
            return Response(
                "Mã màn hình không hợp lệ hoặc đã hết hạn / invalid or expired board token",
                status_code=401,
                media_type="text/plain; charset=utf-8",
            )
        response = RedirectResponse("/board", status_code=303)
        _set_session(request, response, token, expires)
        return response
    user = _gate(request, "board")
    if isinstance(user, Response):
        return user
    cfg = _rt(request).config
    lang = lang_of(request)
    data = {
        "desks": [{"id": d.id, "number": d.number, "name": d.name} for d in cfg.desks],
        "strings": i18n.js_strings(
            lang, ["board_title", "number", "desk", "sound_on", "connection_lost", "latest_calls"]
        ),
        "tz": cfg.site.timezone,
    }
    return render(request, "board.html", user, data=data, desks=cfg.desks)


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    user = _gate(request, "dashboard")
    if isinstance(user, Response):
        return user
    rt = _rt(request)
    cfg = rt.config
    lang = lang_of(request)
    today = rt.engine.today()
    data = {
        "services": {
            s.code: {
                "name": s.name_en if lang == "en" and s.name_en else s.name,
                "target_wait_minutes": s.target_wait_minutes,
            }
            for s in cfg.services
        },
        "desks": {d.id: {"name": d.name, "services": d.services} for d in cfg.desks},
        "target_pct": cfg.target_for(today),
        "year": today.year,
        "conduct": i18n.conduct_labels(lang),
        "strings": i18n.js_strings(lang, list(i18n.STRINGS)),
        "tz": cfg.site.timezone,
    }
    return render(request, "dashboard.html", user, data=data)


# ---------------------------------------------------------------------- audio


def _not_board(request: Request) -> Response | None:
    """The refusal for someone who may not hear the board, or None."""
    user = session_user(request)
    if user is None or user.role not in PAGE_ROLES["board"]:
        return Response(status_code=401 if user is None else 403)
    return None


def _audio(body: bytes) -> Response:
    return Response(body, media_type="audio/wav", headers={"Cache-Control": "max-age=3600"})


@router.get("/board/audio/chime.wav")
def chime(request: Request) -> Response:
    refused = _not_board(request)
    return refused or _audio(request.app.state.announcer.chime_wav())


@router.get("/board/audio/call/{number}/{desk_id}.wav")
def call_audio(request: Request, number: str, desk_id: str) -> Response:
    """Chime + "Mời công dân có số A023 đến quầy số 3" (the chime alone without a voice)."""
    refused = _not_board(request)
    if refused is not None:
        return refused
    desk = _rt(request).config.desk_by_id.get(desk_id)
    try:
        _NUMBER.validate_python(number)
    except ValidationError:
        return Response("bad ticket number", status_code=422)
    if desk is None:
        return Response("unknown desk", status_code=404)
    announcer = request.app.state.announcer
    response = _audio(announcer.call_wav(number, desk.number))
    response.headers["X-Voice"] = "vi" if announcer.voice_available else "none"
    return response
