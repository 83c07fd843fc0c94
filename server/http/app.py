"""The FastAPI application of a running server."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from protocol.text import REFUSED
from server import __version__
from server.http import docs_page, letters, reports
from server.http.api import router
from server.http.auth import session_user
from server.http.ratelimit import LoginLimiter
from server.runtime import ServerRuntime
from server.web import pages, reports_page, stream
from server.web.announce import Announcer
from server.web.live import LiveHub

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


def create_app(runtime: ServerRuntime) -> FastAPI:
    hub = LiveHub(runtime)
    announcer = Announcer(runtime.config.server.data_dir / "voice")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        # The voice clips are made once (espeak-ng) and kept on disk; until they are,
        # a call is announced with the clips made so far, or the chime alone.
        threading.Thread(target=announcer.warm_up, name="voice-warm-up", daemon=True).start()
        yield
        await hub.stop()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # the default pages load Swagger UI / ReDoc from a CDN
        redoc_url=None,
        title="motcua",
        version=__version__,
        description="Hàng đợi và đánh giá sự hài lòng tại Bộ phận một cửa — "
        "queue and satisfaction rating for Vietnamese one-stop desks.",
    )
    app.state.runtime = runtime
    app.state.live = hub
    app.state.announcer = announcer
    app.state.login_limiter = LoginLimiter()
    app.include_router(router)
    app.include_router(letters.router)
    app.include_router(reports.router)
    app.include_router(pages.router)
    app.include_router(reports_page.router)
    app.include_router(stream.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts, said = [], []
        for e in exc.errors()[:4]:
            loc = ".".join(str(p) for p in e.get("loc", ()))
            parts.append(f"{loc}: {e.get('msg')}")
            if e.get("type") == REFUSED:  # typed text refused with its own Vietnamese
                said.append(str(e["ctx"]["message"]))
        return JSONResponse(
            {
                "detail": {
                    "code": "invalid",
                    "message": "; ".join(said) or "Dữ liệu không hợp lệ",
                    "message_en": "; ".join(parts),
                }
            },
            status_code=422,
        )

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return docs_page.render(app.openapi())

    @app.get("/", include_in_schema=False, response_model=None)
    def index(request: Request) -> dict[str, Any] | Response:
        if "text/html" in request.headers.get("accept", ""):  # a browser: its start page
            user = session_user(request)
            return RedirectResponse(pages.HOME[user.role] if user else "/login", 303)
        cfg = runtime.config
        return {
            "motcua": __version__,
            "site": cfg.site.code,
            "name": cfg.site.name,
            "api": "/docs",
            "health": "/api/health",
            "queues": f"/api/sites/{cfg.site.code}/queues",
        }

    return app
