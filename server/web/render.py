"""Rendering a page: the Jinja templates, the context every template gets, the page's data
for its script, and the headers every page carries (CSP, no caching).

A page's script gets its data as inert JSON (``type="application/json"``): the CSP allows
no inline code at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from protocol.i18n import Lang, localized
from server.auth.sessions import SESSION_COOKIE, csrf_token
from server.auth.users import User
from server.config import SiteConfig
from server.web.deps import web_context
from server.web.i18n import lang_of, text

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
#: Content-Security-Policy of every page: only this server's scripts, styles and sounds.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def page_data(
    config: SiteConfig, lang: Lang, csrf: str, data: dict[str, Any] | None = None
) -> Markup:
    """What every page's script gets (language, site, CSRF token) and ``data``, as JSON
    safe inside a ``<script type="application/json">``."""
    merged = {"lang": lang, "site": config.site.code, "csrf": csrf, **(data or {})}
    return Markup(json.dumps(merged, ensure_ascii=False).replace("</", "<\\/"))


def render(
    request: Request,
    template: str,
    user: User | None,
    status: int = 200,
    data: dict[str, Any] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    lang: Lang = lang_of(request)
    cfg = web_context(request).config
    session = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(session) if session and user else ""
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": lambda key, **v: text(lang, key, **v),
            "user": user,
            "csrf": csrf,
            "site": cfg.site,
            "office": localized(cfg.site.name, cfg.site.name_en, lang),
            "path": request.url.path,
            # JSON for the page's script, inert (type="application/json"): no inline code.
            "page_data": page_data(cfg, lang, csrf, data),
            **ctx,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response
