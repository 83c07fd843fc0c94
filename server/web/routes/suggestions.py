"""The suggestion box, public: ``GET /gop-y`` (the form, for a phone), ``POST /gop-y``
(JSON, from the form's script) and ``GET /gop-y/qr.svg`` (its QR code, on the board).

No log-in. A post must be JSON (``Content-Type: application/json``, else 415: a
cross-site HTML form cannot send that), at most `MAX_BODY` bytes (413), well-formed with
only the known fields (422), and from an address that has not just sent several (429
with ``Retry-After``). Every refusal answers ``{"detail": {"code", "message",
"message_en"}}`` for the page to show, and is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from protocol.i18n import localized
from server.config import SiteConfig
from server.public_url import public_base
from server.services.suggestions import (
    CONTACT_MAX,
    TEXT_MAX,
    TEXT_MIN,
    SuggestionRefused,
    SuggestionService,
)
from server.web import suggest_i18n
from server.web.deps import Config, Context
from server.web.i18n import lang_of
from server.web.public_posts import bounded_body, client_address, is_json
from server.web.qr import qr_svg
from server.web.render import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PATH = "/gop-y"
#: The largest body taken: 2000 characters escaped as ``\\uXXXX`` (6 bytes each, more
#: for decomposed letters) plus a contact, with room to spare.
MAX_BODY = 32 * 1024


def _service(context: Context) -> SuggestionService:
    return context.suggestions


Suggestions = Annotated[SuggestionService, Depends(_service)]


class SuggestionBody(BaseModel):
    """What the form sends. Bounds on what is sent (before NFC and trimming): the
    service checks the real ones and words its refusals."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4 * TEXT_MAX)
    service: str | None = Field(default=None, max_length=64)
    contact: str | None = Field(default=None, max_length=4 * CONTACT_MAX)


def suggestion_url(config: SiteConfig) -> str:
    """The address phones open (the board's QR code)."""
    return public_base(config) + PATH


@router.get(PATH)
def suggestion_page(request: Request, config: Config) -> Response:
    lang = lang_of(request)
    services = [(s.code, localized(s.name, s.name_en, lang)) for s in config.services]
    data = {
        "strings": {k: suggest_i18n.text(lang, k) for k in suggest_i18n.JS_KEYS},
        "min": TEXT_MIN,
        "max": TEXT_MAX,
    }
    response = render(
        request,
        "suggestion.html",
        None,
        data=data,
        s=lambda key, **v: suggest_i18n.text(lang, key, **v),
        services=services,
        text_max=TEXT_MAX,
        contact_max=CONTACT_MAX,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refusal(request: Request, status: int, code: str, key: str, **values: object) -> Response:
    address = client_address(request)
    log.info("suggestion from %s refused: %s (%d)", address, code, status)
    detail = {
        "code": code,
        "message": suggest_i18n.text("vi", key, **values),
        "message_en": suggest_i18n.text("en", key, **values),
    }
    return JSONResponse({"detail": detail}, status_code=status)


@router.post(PATH)
async def send_suggestion(request: Request, suggestions: Suggestions) -> Response:
    if not is_json(request):
        return _refusal(request, 415, "content_type", "content_type")
    raw = await bounded_body(request, MAX_BODY)
    if raw is None:
        return _refusal(request, 413, "too_large", "too_large")
    address = client_address(request)
    wait = suggestions.throttle.take(f"address:{address}")
    if wait:
        refused = _refusal(request, 429, "too_many_attempts", "too_many", s=wait)
        refused.headers["Retry-After"] = str(wait)
        return refused
    try:
        body = SuggestionBody.model_validate(json.loads(raw))
    except (ValueError, RecursionError, ValidationError):  # not UTF-8, JSON, the fields
        return _refusal(request, 422, "invalid", "malformed")
    try:  # a database write: off the event loop
        view = await run_in_threadpool(suggestions.receive, body.text, body.service, body.contact)
    except SuggestionRefused as e:
        log.info("suggestion from %s refused: %s", address, e.detail)
        detail = {"code": e.code, "message": e.message, "message_en": e.message_en}
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"id": str(view.id), "contact": view.contact is not None}, 201)


@router.get(PATH + "/qr.svg")
def suggestion_qr(config: Config) -> Response:
    """The QR code of the suggestion box's public address (the board shows it; an office
    may print it too)."""
    return Response(
        qr_svg(suggestion_url(config)),
        media_type="image/svg+xml",
        headers={"Cache-Control": "max-age=300"},
    )
