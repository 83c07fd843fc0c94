"""``/``: the province overview (every office the account may see, grouped, ranked),
refreshed every few seconds from ``/api/overview``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from hub.web.deps import HubCfg, HubDb, Viewer
from hub.web.i18n import STRINGS, js_strings
from hub.web.overview import overview
from hub.web.render import render
from server.timeutil import now_utc
from server.web.i18n import lang_of

router = APIRouter(include_in_schema=False)

#: How often the pages ask for fresh figures (seconds).
REFRESH_S = 5
#: The strings the overview's script uses.
SCRIPT_KEYS = [k for k in STRINGS if k.startswith("hub_")] + ["minutes"]


@router.get("/api/overview")
def overview_json(viewer: Viewer, db: HubDb, config: HubCfg) -> Response:
    with db.read() as s:
        data = overview(s, config, viewer, now_utc())
    return JSONResponse(data.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/")
def overview_page(request: Request, viewer: Viewer, db: HubDb, config: HubCfg) -> Response:
    lang = lang_of(request)
    with db.read() as s:
        data = overview(s, config, viewer, now_utc())
    page: dict[str, Any] = {
        "overview": data.model_dump(mode="json"),
        "strings": js_strings(lang, SCRIPT_KEYS),
        "refresh_s": REFRESH_S,
    }
    return render(request, "overview.html", viewer, data=page)
