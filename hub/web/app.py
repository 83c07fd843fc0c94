"""The hub's web application (``motcua hub web``): log-in, the province overview, the
read-only drill-down into one office, and the reports across offices
(`hub.web.routes.reports`), over the hub's PostgreSQL.

It only reads what the hub workers stored (and the accounts): nothing here acts on an
office. The office pages' static files are served under ``/static`` (their CSS and
helpers), the hub's own under ``/static/hub``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

import server.web.app as office_web
from hub.config import HubConfig
from hub.web.context import HubContext
from hub.web.deps import HubRefused, refused_response
from hub.web.routes import login, office, overview, reports
from protocol.version import VERSION
from server.auth.ratelimit import LoginLimiter
from server.db.database import Database

STATIC = Path(__file__).resolve().parent / "static"


def create_hub_app(config: HubConfig, db: Database) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # the default pages load Swagger UI / ReDoc from a CDN
        redoc_url=None,
        title=f"motcua hub – {config.name}",
        version=VERSION,
    )
    app.state.hub = HubContext(config=config, db=db, login_limiter=LoginLimiter())
    for router in (login.router, overview.router, office.router, reports.router):
        app.include_router(router)
    app.add_exception_handler(HubRefused, refused_response)

    @app.get("/api/health", include_in_schema=False)
    def health() -> dict[str, object]:
        with db.read() as s:
            s.execute(text("SELECT 1"))
        return {"ok": True, "hub": config.name, "version": VERSION}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)  # none: browsers stop asking, no 404 in the log

    app.mount("/static/hub", StaticFiles(directory=STATIC), name="hub-static")
    app.mount("/static", StaticFiles(directory=office_web.STATIC), name="static")
    return app
