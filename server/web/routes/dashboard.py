"""``/dashboard``: the supervisor's live view of the office (queues, desks, figures,
devices, ratings, alerts), fed by ``/ws/live?channel=dashboard``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from protocol.i18n import localized
from server.web import i18n
from server.web.deps import Config, Engine
from server.web.guards import DashboardUser
from server.web.i18n import lang_of
from server.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(request: Request, user: DashboardUser, config: Config, engine: Engine) -> Response:
    lang = lang_of(request)
    today = engine.today()
    data = {
        "services": {
            s.code: {
                "name": localized(s.name, s.name_en, lang),
                "target_wait_minutes": s.target_wait_minutes,
            }
            for s in config.services
        },
        # The names in the page's language (site YAML ``name_en``, else the Vietnamese).
        "desks": {
            d.id: {"name": localized(d.name, d.name_en, lang), "services": d.services}
            for d in config.desks
        },
        "target_pct": config.target_for(today),
        "year": today.year,
        "conduct": i18n.conduct_labels(lang),
        "strings": i18n.js_strings(lang, list(i18n.STRINGS)),
        "tz": config.site.timezone,
    }
    return render(request, "dashboard.html", user, data=data)
