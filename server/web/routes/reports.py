"""``/reports``: the report page. A server-rendered shell; its script
(``static/reports.js``) reads the period and filters from the address, asks
``GET /api/sites/{site}/reports/view`` and draws the figures, the charts (Chart.js,
served from ``/static/vendor``), the heat map, the breakdowns, the flags, what citizens
wrote (comments with their ratings, the suggestion box) and the official table.
Supervisors and admins see the whole office; a clerk only their own figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from protocol.conduct import CONDUCT_ITEMS, LEVEL_LABELS, PRAISE_CODES, RAW_LEVEL_LABELS
from protocol.i18n import Lang, localized
from server.auth.users import User
from server.config import SiteConfig
from server.reports.citizens_cells import HEADINGS
from server.reports.citizens_cells import WORDS as CITIZEN_WORDS
from server.reports.columns import FIGURE_COLUMNS
from server.reports.wording import (
    FLAG_KINDS,
    GROUPS,
    KEY_HEADERS,
    SHEETS,
    SOURCES,
    SUGGESTION_COUNTS,
    SUGGESTIONS_NOT_APPLICABLE,
    VIEW_TITLES,
    pick,
)
from server.web import i18n
from server.web.deps import Config, Engine
from server.web.guards import ReportsUser
from server.web.i18n import lang_of
from server.web.render import render

router = APIRouter(include_in_schema=False)

#: The strings the page's script uses (besides the ``rep_`` block).
_COMMON = ["minutes", "clerk", "desk", "service", "served", "ratings"]


def _named(items: list[tuple[str, str, str]], lang: Lang) -> list[dict[str, str]]:
    return [{"id": i, "name": localized(vi, en, lang)} for i, vi, en in items]


def page_data(cfg: SiteConfig, user: User, lang: Lang, today: str) -> dict[str, Any]:
    """What the script needs besides the report: names for the filters (a clerk: only
    their own), the words shared with the exports, the thresholds."""
    clerks = [c for c in cfg.clerks if user.role != "clerk" or c.id == user.clerk_id]
    return {
        "me": {"username": user.username, "role": user.role, "clerk_id": user.clerk_id},
        "today": today,
        "tz": cfg.site.timezone,
        "small_sample": cfg.rating.small_sample,
        "services": _named([(s.code, s.name, s.name_en) for s in cfg.services], lang),
        "desks": _named([(d.id, d.name, d.name_en or f"Desk {d.number}") for d in cfg.desks], lang),
        "clerks": _named([(c.id, c.name, "") for c in clerks], lang),
        "sources": [{"id": k, "name": pick(v, lang)} for k, v in SOURCES.items()],
        "views": {k: pick(v, lang) for k, v in VIEW_TITLES.items()},
        "keys": {k: pick(v, lang) for k, v in KEY_HEADERS.items()},
        "columns": {c.key: c.header(lang) for c in FIGURE_COLUMNS},
        "flag_kinds": {k: pick(v, lang) for k, v in FLAG_KINDS.items()},
        "levels": {lv.value: pick(label, lang) for lv, label in LEVEL_LABELS.items()},
        "raw_levels": {lv.value: pick(label, lang) for lv, label in RAW_LEVEL_LABELS.items()},
        # the conduct model's items, in its order: the table per clerk / service
        "conduct": [
            {
                "code": i.code,
                "name": i.en if lang == "en" else i.vi,
                "group": GROUPS[i.group],
                "praise": i.code in PRAISE_CODES,
            }
            for i in CONDUCT_ITEMS
        ],
        "citizens": citizens_words(lang),
        "strings": i18n.js_strings(
            lang, [k for k in i18n.STRINGS if k.startswith("rep_")] + _COMMON
        ),
    }


def citizens_words(lang: Lang) -> dict[str, Any]:
    """The words of the "Ý kiến của công dân" part, the exports' own."""
    return {
        "title": pick(SHEETS["citizens"], lang),
        "heads": {k: pick(v, lang) for k, v in HEADINGS.items()},
        "words": {k: pick(v, lang) for k, v in CITIZEN_WORDS.items()},
        "counts": {k: pick(v, lang) for k, v in SUGGESTION_COUNTS.items()},
        "not_applicable": pick(SUGGESTIONS_NOT_APPLICABLE, lang),
    }


@router.get("/reports")
def reports(request: Request, user: ReportsUser, config: Config, engine: Engine) -> Response:
    lang = lang_of(request)
    data = page_data(config, user, lang, engine.today().isoformat())
    return render(request, "reports.html", user, data=data)
