"""The citizen's phone page, public (no log-in): the QR code on every ticket leads to
``/t/{ticket_id}``.

- ``GET /t/{id}``: the page (HTML); a malformed id gets a friendly 404 page;
- ``GET /t/{id}/state``: the ticket's view as JSON (the page's polling fallback);
- ``POST /t/{id}/rating``: the rating form (JSON only, bounded, rate-limited);
- ``WS /ws/ticket/{id}``: the view, pushed when it changes (`server.web.ticket_live`).

The ticket id (a random UUID) is the only key; the view never shows other citizens'
numbers. Every answer carries ``Referrer-Policy: no-referrer`` and ``X-Robots-Tag:
noindex`` (the id is in the address) and is never cached.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from protocol.i18n import Lang
from server.services.phone import PhoneRated, PhoneRating, PhoneRefused
from server.web.deps import Context
from server.web.i18n import lang_of
from server.web.phone_i18n import PHONE, phone_strings, rating_choices
from server.web.public_posts import bounded_body, client_address, is_json
from server.web.render import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

#: The largest rating body taken (a 500-character comment, escaped, and every item).
MAX_BODY = 8192
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def parse_id(raw: str) -> uuid.UUID | None:
    """The ticket id in an address, or None for anything but a UUID."""
    if len(raw) > 45:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _private(response: Response) -> Response:
    response.headers.update(_HEADERS)
    return response


def refusal(code: str, key: str, status: int, **values: object) -> JSONResponse:
    """A refusal the page shows as it is: both sentences and a stable code."""
    both = PHONE.both(key, **values)
    body = {"ok": False, "code": code, "message": both.vi, "message_en": both.en}
    response = JSONResponse(body, status_code=status)
    _private(response)
    return response


def _missing_page(request: Request) -> Response:
    return _private(render(request, "ticket_missing.html", None, status=404, p=PHONE))


@router.get("/t/{ticket_id}")
def ticket_page(request: Request, ticket_id: str, context: Context) -> Response:
    tid = parse_id(ticket_id)
    if tid is None:
        return _missing_page(request)
    lang: Lang = lang_of(request)
    view = context.phone_hub.views([tid])[tid]
    data: dict[str, Any] = {
        "ticket_id": str(tid),
        "view": view.model_dump(mode="json"),
        "strings": phone_strings(lang),
        "rating": rating_choices(lang, context.config.rating.levels),
        "window_minutes": context.config.rating.window_minutes,
        "tz": context.config.site.timezone,
    }
    response = render(request, "ticket.html", None, data=data, view=view, p=phone_strings(lang))
    return _private(response)


@router.get("/t/{ticket_id}/state")
def ticket_state(ticket_id: str, context: Context) -> Response:
    tid = parse_id(ticket_id)
    if tid is None:
        return refusal("not_found", "err_not_found", 404)
    view = context.phone_hub.views([tid])[tid]
    return _private(JSONResponse(view.model_dump(mode="json")))


def _form(body: bytes) -> PhoneRating | JSONResponse:
    """The rating form, or the 422 answer saying why not."""
    try:
        raw = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return refusal("bad_json", "err_json", 422)
    try:
        return PhoneRating.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "body"
        detail = f"{where}: {first['msg']}"[:200]
        log.info("phone rating refused: %s", detail)
        if first["loc"][:1] == ("comment",):  # what the citizen typed: say what to fix
            return refusal("invalid", "err_comment", 422)
        return refusal("invalid", "err_invalid", 422, d=detail)


@router.post("/t/{ticket_id}/rating")
async def rate(request: Request, ticket_id: str, context: Context) -> Response:
    address = client_address(request)
    tid = parse_id(ticket_id)
    if tid is None:
        return refusal("not_found", "err_not_found", 404)
    if not is_json(request):
        log.info("phone rating from %s refused: not JSON", address)
        return refusal("wrong_type", "err_type", 415)
    body = await bounded_body(request, MAX_BODY)
    if body is None:
        log.info("phone rating from %s refused: body too large", address)
        return refusal("too_large", "err_too_large", 413)
    wait = context.phone.wait_s(address, tid)
    if wait:
        log.info("phone rating from %s for %s refused: rate limit", address, tid)
        response = refusal("too_many", "err_too_many", 429, s=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    form = _form(body)
    if isinstance(form, JSONResponse):
        log.info("phone rating from %s refused: %s", address, form.body[:300])
        return form
    try:
        rated: PhoneRated = await run_in_threadpool(context.phone.rate, tid, form)
    except PhoneRefused as e:
        return refusal(e.code, e.key, e.status)
    view = await run_in_threadpool(context.phone_hub.views, [tid])
    body_out = {"ok": True, "replay": rated.replay, "ticket": view[tid].model_dump(mode="json")}
    return _private(JSONResponse(body_out))


@router.get("/t/{rest:path}")
def not_a_ticket(request: Request, rest: str) -> Response:
    """Any other address under /t/: the friendly not-found page."""
    return _missing_page(request)


@router.websocket("/ws/ticket/{ticket_id}")
async def follow(websocket: WebSocket, ticket_id: str, context: Context) -> None:
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    tid = parse_id(ticket_id)
    await websocket.accept()  # then close with a reason (a refused handshake is a bare 1006)
    if origin is not None and origin.split("://", 1)[-1] != host:
        await websocket.close(1008, "Trang của nơi khác / cross-site request")
        return
    if tid is None:
        await websocket.close(1008, "Mã phiếu không đúng / malformed ticket id")
        return
    await context.phone_hub.serve(websocket, tid)
