"""``/ws/live``: the one WebSocket of the pages. Checks the page's origin, the channel,
the session and its role, then hands the socket to `LiveHub.serve`. A refusal is a
clean close with a code and a reason the page can act on (4401: log in again)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, WebSocket

from server.auth.sessions import SESSION_COOKIE
from server.auth.tokens import user_for_token
from server.web.deps import Context
from server.web.guards import CHANNEL_ROLES
from server.web.live import SESSION_ENDED

router = APIRouter(include_in_schema=False)


def channel_kind(channel: str, desks: dict[str, Any]) -> str | None:
    """``board``, ``dashboard`` or ``desk`` (``desk:{id}`` of a desk of this site), or
    None for any other channel."""
    if channel in ("board", "dashboard"):
        return channel
    desk = channel.removeprefix("desk:")
    return "desk" if desk != channel and desk in desks else None


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    """Accept, then close with ``code`` and ``reason`` (a refused handshake would reach
    the page as a bare 1006)."""
    await websocket.accept()
    await websocket.close(code, reason)


def _since(raw: str | None) -> datetime | None:
    """The time of the last call a reconnecting board saw (aware), or None."""
    if not raw:
        return None
    try:
        since = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return since if since.tzinfo is not None else None


@router.websocket("/ws/live")
async def live(websocket: WebSocket, context: Context) -> None:
    channel = websocket.query_params.get("channel", "")
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is not None and origin.split("://", 1)[-1] != host:
        # another site's page: cross-site WebSocket hijacking
        await _refuse(websocket, 1008, "Trang của nơi khác / cross-site request")
        return
    kind = channel_kind(channel, context.config.desk_by_id)
    if kind is None:
        await _refuse(websocket, 1008, "Không có kênh này / unknown channel")
        return
    token = websocket.cookies.get(SESSION_COOKIE)
    user = None
    if token:
        with context.db.read() as s:
            user = user_for_token(s, token)
    if token is None or user is None:
        await _refuse(websocket, *SESSION_ENDED)
        return
    if user.role not in CHANNEL_ROLES[kind]:
        await _refuse(websocket, 1008, "Tài khoản không có quyền này / not allowed")
        return
    await websocket.accept()
    await context.live.serve(websocket, channel, _since(websocket.query_params.get("since")), token)
