"""The FastAPI application of a running server: the composition of the JSON API
(`server.http`) and the pages (`server.web`), wired to one `ServerRuntime`.

The one module above both: it builds their typed contexts from the runtime (so neither
imports it), connects the live pages to the publisher and the link watch, and serves
``/``. Imports go one way: ``server.app`` → ``server.http`` | ``server.web`` →
``server.auth``, ``server.voice``, ``server.services`` and the domain; ``server.http``
and ``server.web`` never import each other.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from protocol.version import VERSION
from server.auth.ratelimit import LoginLimiter
from server.health import health_report
from server.http.app import mount_api
from server.http.deps import ApiContext
from server.runtime import ServerRuntime
from server.services.phone import PhoneService
from server.services.suggestions import SuggestionService
from server.voice.announcer import Announcer
from server.web.app import mount_pages
from server.web.cookies import session_user
from server.web.deps import WebContext
from server.web.guards import HOME
from server.web.live import LiveHub
from server.web.ticket_live import TicketHub


def create_app(runtime: ServerRuntime) -> FastAPI:
    cfg = runtime.config

    def health() -> dict[str, Any]:
        return health_report(runtime)

    hub = LiveHub(cfg, runtime.db, runtime.engine, health, runtime.presence_known)
    announcer = Announcer(cfg.server.data_dir / "voice")
    limiter = LoginLimiter()
    runtime.publisher.listeners.append(hub.on_publish)
    runtime.link_listeners.append(hub.on_link_change)
    phone_hub = TicketHub(cfg, runtime.db)
    phone = PhoneService(cfg, runtime.db, runtime.publisher, runtime.ratings)
    runtime.publisher.listeners.append(phone_hub.on_publish)
    suggestions = SuggestionService(cfg, runtime.db)
    suggestions.listeners.append(hub.on_suggestion)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        await phone_hub.start()
        # The voice clips are made once (espeak-ng) and kept on disk; until they are,
        # a call is announced with the clips made so far, or the chime alone.
        threading.Thread(target=announcer.warm_up, name="voice-warm-up", daemon=True).start()
        yield
        if hub.on_publish in runtime.publisher.listeners:
            runtime.publisher.listeners.remove(hub.on_publish)
        if hub.on_link_change in runtime.link_listeners:
            runtime.link_listeners.remove(hub.on_link_change)
        if phone_hub.on_publish in runtime.publisher.listeners:
            runtime.publisher.listeners.remove(phone_hub.on_publish)
        await phone_hub.stop()
        await hub.stop()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # the default pages load Swagger UI / ReDoc from a CDN
        redoc_url=None,
        title="motcua",
        version=VERSION,
        description="Hàng đợi và đánh giá sự hài lòng tại Bộ phận một cửa — "
        "queue and satisfaction rating for Vietnamese one-stop desks.",
    )
    mount_api(
        app,
        ApiContext(
            config=cfg,
            db=runtime.db,
            engine=runtime.engine,
            rollups=runtime.rollups,
            desks=runtime.desks,
            login_limiter=limiter,
            health=health,
            presence_known=runtime.presence_known,
            sessions_changed=hub.sessions_changed,
            suggestions=suggestions,
        ),
    )
    mount_pages(
        app,
        WebContext(
            config=cfg,
            db=runtime.db,
            engine=runtime.engine,
            login_limiter=limiter,
            announcer=announcer,
            live=hub,
            phone_hub=phone_hub,
            phone=phone,
            suggestions=suggestions,
        ),
    )

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/", include_in_schema=False, response_model=None)
    def index(request: Request) -> dict[str, Any] | Response:
        if "text/html" in request.headers.get("accept", ""):  # a browser: its start page
            user = session_user(request)
            return RedirectResponse(HOME[user.role] if user else "/login", 303)
        return {
            "motcua": VERSION,
            "site": cfg.site.code,
            "name": cfg.site.name,
            "api": "/docs",
            "health": "/api/health",
            "queues": f"/api/sites/{cfg.site.code}/queues",
        }

    return app
