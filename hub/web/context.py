"""The hub's parts the pages use, put on the application once by
`hub.web.app.create_hub_app` (no page reads an untyped ``app.state``)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from hub.config import HubConfig
from server.auth.ratelimit import LoginLimiter
from server.db.database import Database


@dataclass(frozen=True)
class HubContext:
    config: HubConfig
    db: Database
    #: Failed log-ins counted per account and address (`server.auth.ratelimit`).
    login_limiter: LoginLimiter


def hub_context(conn: HTTPConnection) -> HubContext:
    context = conn.app.state.hub
    if not isinstance(context, HubContext):
        raise RuntimeError("the hub pages are mounted without their context")
    return context
