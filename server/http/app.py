"""The FastAPI application of a running server."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from server import __version__
from server.http import docs_page
from server.http.api import router
from server.runtime import ServerRuntime


def create_app(runtime: ServerRuntime) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # the default pages load Swagger UI / ReDoc from a CDN
        redoc_url=None,
        title="motcua",
        version=__version__,
        description="Hàng đợi và đánh giá sự hài lòng tại Bộ phận một cửa — "
        "queue and satisfaction rating for Vietnamese one-stop desks.",
    )
    app.state.runtime = runtime
    app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:4]:
            loc = ".".join(str(p) for p in e.get("loc", ()))
            parts.append(f"{loc}: {e.get('msg')}")
        return JSONResponse(
            {
                "detail": {
                    "code": "invalid",
                    "message": "Dữ liệu không hợp lệ",
                    "message_en": "; ".join(parts),
                }
            },
            status_code=422,
        )

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return docs_page.render(app.openapi())

    @app.get("/", include_in_schema=False)
    def index() -> dict[str, Any]:
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
