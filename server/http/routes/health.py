"""``GET /api/health``: for monitoring (200 or 503) — apart because it needs no log-in
and reports on the whole server, not one resource."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.http.deps import Context

router = APIRouter(prefix="/api")


@router.get("/health")
def health(context: Context) -> Any:
    """200 when everything works (database, a really working broker link, the one-box
    broker, ingest); 503 with each problem named otherwise (`server.health`)."""
    body = context.health()
    if body["status"] != "ok":
        return JSONResponse(body, status_code=503)
    return body
