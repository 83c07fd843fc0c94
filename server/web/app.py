"""Mounting the pages on the application: their routes, the static files, the guards'
refusal handler, and their `WebContext`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from server.web.deps import WebContext
from server.web.guards import PageRefused, refused_response
from server.web.routes import (
    admin,
    board,
    dashboard,
    desk,
    live,
    login,
    reports,
    suggestions,
    ticket,
)

STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (
    login.router,
    desk.router,
    board.router,
    dashboard.router,
    reports.router,
    live.router,
    ticket.router,
    suggestions.router,
    admin.router,
)


def mount_pages(app: FastAPI, context: WebContext) -> None:
    app.state.web = context
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(PageRefused, refused_response)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
