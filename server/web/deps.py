"""Typed dependencies of the pages: the server's parts the web side uses.

The composition root (`server.app.create_app`) puts one `WebContext` on the application;
the providers hand its parts to the page routes, typed, so that no page imports the
runtime and nothing reads an untyped ``app.state``. ``HTTPConnection``: the same
providers serve the pages and the ``/ws/live`` WebSocket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from server.auth.ratelimit import LoginLimiter
from server.config import SiteConfig
from server.db.database import Database
from server.queue.engine import QueueEngine
from server.services.phone import PhoneService
from server.services.suggestions import SuggestionService
from server.voice.announcer import Announcer
from server.web.live import LiveHub
from server.web.ticket_live import TicketHub


@dataclass(frozen=True)
class WebContext:
    """What the pages use of the running server."""

    config: SiteConfig
    db: Database
    engine: QueueEngine
    #: Shared with the API's log-in: one count of failures per account and address.
    login_limiter: LoginLimiter
    #: The board's spoken calls.
    announcer: Announcer
    #: The pages' live stream.
    live: LiveHub
    #: The citizens' phones: their live views (``/ws/ticket``) and their ratings.
    phone_hub: TicketHub
    phone: PhoneService
    #: The suggestion box (``/gop-y``).
    suggestions: SuggestionService


def web_context(conn: HTTPConnection) -> WebContext:
    context = conn.app.state.web
    if not isinstance(context, WebContext):
        raise RuntimeError("the pages are mounted without their context (server.app)")
    return context


Context = Annotated[WebContext, Depends(web_context)]


def _config(context: Context) -> SiteConfig:
    return context.config


def _db(context: Context) -> Database:
    return context.db


def _engine(context: Context) -> QueueEngine:
    return context.engine


Config = Annotated[SiteConfig, Depends(_config)]
Db = Annotated[Database, Depends(_db)]
Engine = Annotated[QueueEngine, Depends(_engine)]
