"""What the citizens' public forms (a phone's rating, the suggestion box) check before
reading a post: JSON only (a cross-site HTML form cannot send that) and a bounded body,
read no further than the bound."""

from __future__ import annotations

from fastapi import Request


def client_address(request: Request) -> str:
    """The address the rate limits count (the proxy's forwarded one when trusted)."""
    return request.client.host if request.client else "?"


def is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json"


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is larger than ``limit`` bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)
