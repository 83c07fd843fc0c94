"""The devices as the dashboard shows them: configured kiosks, pads and boards with their
last known status and health.

Shared by the JSON API, the dashboard's first snapshot and the live push, so all three
say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.tables import DeviceRow


class DeviceView(BaseModel):
    id: str
    kind: str
    name: str
    #: The English name (site YAML ``name_en``); empty when none is configured.
    name_en: str = ""
    desk: str | None
    #: online / offline / never_seen (not since the server's database was made) /
    #: unknown (the server's own broker link is down: it cannot know) / web_page (a
    #: board never seen over MQTT: the display board is a web page, see ``pages_open``)
    status: str
    since: datetime | None
    last_seen: datetime | None
    health: dict[str, Any] | None
    #: From the last health report: ok / paper_near_end / paper_out / cover_open / offline.
    printer: str | None
    outbox_depth: int | None
    #: Server − device clock in seconds, from the last health report (None: not known).
    clock_offset_s: float | None = None
    #: A ``web_page`` board: display-board pages open now, and when one last was (both
    #: None where not known, e.g. in the JSON API).
    pages_open: int | None = None
    page_seen: datetime | None = None


def device_views(
    s: Session,
    config: SiteConfig,
    ids: Iterable[str] | None = None,
    *,
    presence_known: bool = True,
) -> list[DeviceView]:
    """``presence_known=False`` while the server's broker link is down: a device's last
    known status may no longer hold, so it is shown as unknown, not online."""
    wanted = set(ids) if ids is not None else None
    rows = {
        r.device_id: r
        for r in s.scalars(select(DeviceRow).where(DeviceRow.site == config.site.code))
    }
    out = []
    for dev in config.devices:
        if wanted is not None and dev.id not in wanted:
            continue
        r = rows.get(dev.id)
        health = r.health if r else None
        status = r.status if r else "never_seen"
        if status == "never_seen" and dev.kind == "board":
            # The shipped display board is the /board web page, which never connects to
            # the broker: "not connected" forever would be a false alarm.
            status = "web_page"
        out.append(
            DeviceView(
                id=dev.id,
                kind=dev.kind,
                name=dev.name or dev.id,
                name_en=dev.name_en,
                desk=dev.desk,
                status=status if presence_known else "unknown",
                since=r.status_since if r else None,
                last_seen=r.last_seen if r else None,
                health=health,
                printer=(health or {}).get("printer"),
                outbox_depth=(health or {}).get("outbox_depth"),
                clock_offset_s=(health or {}).get("clock_offset_s"),
            )
        )
    return out
