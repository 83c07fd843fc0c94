"""``GET /api/sites/{site}/devices``: each configured kiosk and pad as the supervisor's
dashboard shows it (`server.readmodels.devices`)."""

from __future__ import annotations

from fastapi import APIRouter

from server.http.deps import Context, Supervisor, check_site
from server.readmodels.devices import DeviceView, device_views

router = APIRouter(prefix="/api")


@router.get("/sites/{site}/devices")
def devices(site: str, context: Context, user: Supervisor) -> list[DeviceView]:
    """Each configured device: online / offline / never_seen, or unknown while the
    server's own broker link is down; since when, its last health report, and from it
    the printer state and the outbox depth."""
    check_site(context.config, site)
    with context.db.read() as s:
        return device_views(s, context.config, presence_known=context.presence_known())
