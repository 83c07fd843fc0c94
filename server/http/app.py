"""Mounting the JSON API on the application: its routes, the one error translator
(`server.http.errors`), the offline API reference at ``/docs``, and its `ApiContext`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from server.http import docs_page, errors
from server.http.deps import ApiContext
from server.http.routes import (
    auth,
    desks,
    devices,
    health,
    letters,
    queues,
    rejected,
    reports,
    suggestions,
    users,
)

ROUTERS = (
    health.router,
    auth.router,
    queues.router,
    desks.router,
    devices.router,
    rejected.router,
    letters.router,
    reports.router,
    suggestions.router,
    users.router,
)


def mount_api(app: FastAPI, context: ApiContext) -> None:
    app.state.api = context
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return docs_page.render(app.openapi())
