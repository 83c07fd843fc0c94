"""``/offices/{code}``: one office's dashboard, read-only (the hub never acts on an
office), refreshed every few seconds from ``/api/offices/{code}``. An office supervisor
may open only their own office (403 for another)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from hub.web.deps import HubCfg, HubDb, Viewer
from hub.web.guards import office_row
from hub.web.i18n import STRINGS, js_strings
from hub.web.office_view import office_dashboard
from hub.web.render import render
from hub.web.routes.overview import REFRESH_S
from server.timeutil import now_utc
from server.web.i18n import conduct_labels, lang_of

router = APIRouter(include_in_schema=False)
OfficeCode = Path(max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")


def _dashboard(request: Request, viewer: Viewer, db: HubDb, config: HubCfg, code: str) -> Any:
    row = office_row(request, db, viewer, code)
    with db.read() as s:
        return office_dashboard(s, config, row, now_utc(), lang_of(request))


@router.get("/api/offices/{code}")
def office_json(
    request: Request, viewer: Viewer, db: HubDb, config: HubCfg, code: str = OfficeCode
) -> Response:
    data = _dashboard(request, viewer, db, config, code)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.get("/offices/{code}")
def office_page(
    request: Request, viewer: Viewer, db: HubDb, config: HubCfg, code: str = OfficeCode
) -> Response:
    lang = lang_of(request)
    data = _dashboard(request, viewer, db, config, code)
    page = {
        "office": data,
        "code": code,
        "refresh_s": REFRESH_S,
        "conduct": conduct_labels(lang),
        "strings": js_strings(lang, list(STRINGS)),
    }
    return render(request, "office.html", viewer, data=page, office_name=data["name"])
