"""``/desk`` (the desk list, or straight to the clerk's open desk) and ``/desk/{desk_id}``
(the clerk console). The console acts through the JSON API with the session cookie and
the CSRF header, and listens on ``/ws/live?channel=desk:{id}``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from protocol.i18n import localized
from server.readmodels.desk_state import desk_state
from server.web import i18n
from server.web.deps import Config, Db, Engine
from server.web.guards import DeskUser
from server.web.i18n import lang_of
from server.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/desk")
def desk_list(request: Request, user: DeskUser, config: Config, db: Db, engine: Engine) -> Response:
    with db.read() as s:
        desks = [desk_state(engine, s, d.id) for d in config.desks]
    mine = next(
        (d.desk_id for d in desks if d.open and d.clerk and d.clerk.id == user.clerk_id), None
    )
    if mine and request.query_params.get("choose") is None:
        return RedirectResponse(f"/desk/{mine}", status_code=303)
    return render(request, "desk_list.html", user, desks=desks)


@router.get("/desk/{desk_id}")
def desk_console(request: Request, desk_id: str, user: DeskUser, config: Config) -> Response:
    desk = config.desk_by_id.get(desk_id)
    if desk is None:
        raise HTTPException(404, "no such desk")
    lang = lang_of(request)
    services = [
        {"code": s.code, "name": localized(s.name, s.name_en, lang)} for s in config.services
    ]
    data = {
        "desk_id": desk_id,
        "me": {"username": user.username, "role": user.role, "clerk_id": user.clerk_id},
        "services": services,
        "targets": {s.code: s.target_wait_minutes for s in config.services},
        "strings": i18n.js_strings(lang, list(i18n.STRINGS)),
        "letters": {
            "signer_title": config.letters.signer_title,
            "signer_name": config.letters.signer_name,
        },
        "tz": config.site.timezone,
    }
    return render(request, "desk.html", user, data=data, desk=desk)
