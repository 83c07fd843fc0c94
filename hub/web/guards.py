"""Refusals of the hub pages: the "forbidden" page (or a 403 JSON body on ``/api/…``)
for an office the account may not see, and a 404 for an office the hub does not know."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select

from hub.web.deps import HubRefused, HubViewer, json_refusal, wants_json
from hub.web.i18n import text
from hub.web.render import render
from server.db.database import Database
from server.db.tables import OfficeRow
from server.web.i18n import lang_of


def forbidden(request: Request, viewer: HubViewer) -> HubRefused:
    if wants_json(request):
        return HubRefused(
            json_refusal(
                403,
                "forbidden",
                text("vi", "hub_forbidden_office", user=viewer.username),
                text("en", "hub_forbidden_office", user=viewer.username),
            )
        )
    lang = lang_of(request)
    page = render(
        request,
        "forbidden.html",
        viewer,
        status=403,
        message=text(lang, "hub_forbidden_office", user=viewer.username),
        home="/",
    )
    return HubRefused(page)


def not_found(request: Request, viewer: HubViewer, code: str) -> HubRefused:
    vi, en = (
        text("vi", "hub_unknown_office", code=code),
        text("en", "hub_unknown_office", code=code),
    )
    if wants_json(request):
        return HubRefused(json_refusal(404, "unknown_site", vi, en))
    message = en if lang_of(request) == "en" else vi
    page = render(request, "forbidden.html", viewer, status=404, message=message, home="/")
    return HubRefused(page)


def office_row(request: Request, db: Database, viewer: HubViewer, code: str) -> OfficeRow:
    """The office ``code`` the viewer may see; else the 403 (before even saying whether it
    exists: an office supervisor learns nothing of other offices), or a 404."""
    if not viewer.may_see(code):
        raise forbidden(request, viewer)
    with db.read() as s:
        row = s.scalar(select(OfficeRow).where(OfficeRow.code == code))
    if row is None:
        raise not_found(request, viewer, code)
    return row
