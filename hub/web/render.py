"""Rendering a hub page: the hub's templates first, then the office pages' (the log-in
form, the "forbidden" page are the office's, under the hub's ``base.html``), with the
same CSP and no caching as the office pages (`server.web.render`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup

import server.web.render as office_render
from hub.web.context import hub_context
from hub.web.deps import HubViewer
from hub.web.i18n import text
from protocol.i18n import Lang
from server.auth.sessions import SESSION_COOKIE, csrf_token
from server.web.i18n import lang_of

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(
    env=office_render.templates.env.overlay(
        loader=ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                FileSystemLoader(Path(office_render.__file__).parent / "templates"),
            ]
        )
    )
)


def page_json(lang: Lang, csrf: str, tz: str, data: dict[str, Any] | None) -> Markup:
    """What the page's script gets, inert JSON inside ``<script type="application/json">``."""
    merged = {"lang": lang, "csrf": csrf, "tz": tz, **(data or {})}
    return Markup(json.dumps(merged, ensure_ascii=False, default=str).replace("</", "<\\/"))


def render(
    request: Request,
    template: str,
    viewer: HubViewer | None,
    status: int = 200,
    data: dict[str, Any] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    lang: Lang = lang_of(request)
    config = hub_context(request).config
    session = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(session) if session and viewer else ""
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": lambda key, **v: text(lang, key, **v),
            "user": viewer,
            "csrf": csrf,
            "office": config.name,
            "hub_name": config.name,
            "path": request.url.path,
            "page_data": page_json(lang, csrf, config.timezone, data),
            **ctx,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = office_render.CSP
    response.headers["Cache-Control"] = "no-store"
    return response
