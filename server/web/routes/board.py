"""``/board``: the waiting-room display, and its announcement audio.

A display opens once with its read-only token in the address (``/board?token=…``); the
token becomes its session cookie and leaves the address bar. The audio endpoints answer
only those who may see the board: the chime, and each call spoken (`server.voice`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from protocol.i18n import localized
from protocol.numbers import TicketNumber
from server.auth.tokens import token_expiry, user_for_token
from server.db.database import Database
from server.web import i18n
from server.web.cookies import session_user, set_session
from server.web.deps import Config, Context, Db
from server.web.guards import PAGE_ROLES, page_user
from server.web.i18n import lang_of
from server.web.render import render
from server.web.routes.suggestions import suggestion_url

router = APIRouter(include_in_schema=False)
_NUMBER: TypeAdapter[str] = TypeAdapter(TicketNumber)


def _exchange(request: Request, db: Database, token: str) -> Response:
    """A board's token for its session cookie. Only a board account's token: a link must
    not log anybody in as a supervisor or an admin."""
    with db.read() as s:
        user = user_for_token(s, token)
        expires = token_expiry(s, token)
    if user is None or expires is None or user.role != "board":
        return Response(
            "Mã màn hình không hợp lệ hoặc đã hết hạn / invalid or expired board token",
            status_code=401,
            media_type="text/plain; charset=utf-8",
        )
    response = RedirectResponse("/board", status_code=303)
    set_session(request, response, token, expires)
    return response


@router.get("/board")
def board(
    request: Request,
    config: Config,
    db: Db,
    token: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    if token:
        # A display opens with its read-only token once; the token becomes its session
        # cookie and leaves the address bar (and the browser's history).
        return _exchange(request, db, token)
    user = page_user(request, "board")
    lang = lang_of(request)
    desks = [
        {"id": d.id, "number": d.number, "name": localized(d.name, d.name_en, lang)}
        for d in config.desks
    ]
    data = {
        "desks": desks,
        "strings": i18n.js_strings(
            lang, ["board_title", "number", "desk", "sound_on", "connection_lost", "latest_calls"]
        ),
        "tz": config.site.timezone,
    }
    return render(
        request, "board.html", user, data=data, desks=desks, suggest=suggestion_url(config)
    )


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
def chime(request: Request, context: Context) -> Response:
    refused = _not_board(request)
    return refused or _audio(context.announcer.chime_wav())


@router.get("/board/audio/call/{number}/{desk_id}.wav")
def call_audio(request: Request, number: str, desk_id: str, context: Context) -> Response:
    """Chime + "Mời công dân có số A023 đến quầy số 3" (the chime alone without a voice)."""
    refused = _not_board(request)
    if refused is not None:
        return refused
    desk = context.config.desk_by_id.get(desk_id)
    try:
        _NUMBER.validate_python(number)
    except ValidationError:
        return Response("bad ticket number", status_code=422)
    if desk is None:
        return Response("unknown desk", status_code=404)
    announcer = context.announcer
    response = _audio(announcer.call_wav(number, desk.number))
    response.headers["X-Voice"] = "vi" if announcer.voice_available else "none"
    return response
