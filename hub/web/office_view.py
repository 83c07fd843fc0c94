"""One office's dashboard as the hub shows it, read-only: queues per service, desks with
their clerk and number in hand, today's figures per desk, devices (with the printer's
state from the office's pulse), alerts and the latest ratings.

The office's own read models (`server.readmodels`) work on the hub's tables for any
site, given the office's `SiteConfig` (rebuilt from its pulse by
`hub.offices.office_site_config`): the hub shows exactly what the office's dashboard
computes, from the facts the office forwarded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub.config import HubConfig
from hub.offices import office_site_config
from hub.web.overview import is_online, last_contact, pct, pulse_alerts, pulse_backlog
from protocol.i18n import Lang, localized
from server.config import SiteConfig
from server.db.tables import OfficeRow
from server.queue.context import QueueContext
from server.readmodels.desk_state import desk_state
from server.readmodels.queue_state import queue_state
from server.readmodels.ratings import rating_views
from server.readmodels.stats import desk_stats
from server.timeutil import fmt_local

#: How many of the latest ratings the page lists.
LATEST_RATINGS = 20


def _devices(cfg: SiteConfig, pulse: Mapping[str, Any] | None, lang: Lang) -> list[dict[str, Any]]:
    """The configured devices with what the office's pulse says of each."""
    seen = {
        str(d.get("device_id")): d
        for d in (pulse or {}).get("devices") or []
        if isinstance(d, Mapping)
    }
    out = []
    for dev in cfg.devices:
        snap = seen.get(dev.id) or {}
        health = snap.get("health") if isinstance(snap.get("health"), Mapping) else {}
        out.append(
            {
                "id": dev.id,
                "kind": dev.kind,
                "name": localized(dev.name or dev.id, dev.name_en, lang),
                "desk": dev.desk,
                "status": snap.get("status") or "never_seen",
                "last_seen": snap.get("last_seen"),
                "printer": (health or {}).get("printer"),
                "outbox_depth": (health or {}).get("outbox_depth"),
            }
        )
    return out


def office_dashboard(
    s: Session, hub: HubConfig, row: OfficeRow, now: datetime, lang: Lang
) -> dict[str, Any]:
    """Everything the drill-down shows of ``row``'s office, as JSON-ready data."""
    cfg = office_site_config(row)
    last = last_contact(row)
    head: dict[str, Any] = {
        "code": row.code,
        "name": row.name,
        "group": row.group_name,
        "online": is_online(row, now, hub.offline_after_s),
        "last_contact": last.isoformat() if last else None,
        "last_contact_text": fmt_local(last, cfg.tz if cfg else ZoneInfo(hub.timezone))
        if last
        else "",
        "alerts": [a.model_dump() for a in pulse_alerts(row.pulse)],
        "backlog": pulse_backlog(row.pulse),
        "has_config": cfg is not None,
    }
    if cfg is None:
        return head
    ctx = QueueContext(cfg, clock=lambda: now)
    day = ctx.today()
    queues = [queue_state(ctx, s, svc.code).model_dump(mode="json") for svc in cfg.services]
    desks = [desk_state(ctx, s, d.id).model_dump(mode="json") for d in cfg.desks]
    stats = [desk_stats(s, cfg, d.id, day).model_dump(mode="json") for d in cfg.desks]
    served = sum(k["served"] for k in stats)
    ratings = sum(k["ratings"] for k in stats)
    satisfied = sum(k["satisfied"] for k in stats)
    return {
        **head,
        "day": day.isoformat(),
        "year": day.year,
        "target_pct": cfg.target_for(day),
        "kpi": {
            "served": served,
            "waiting": sum(q["waiting"] for q in queues),
            "ratings": ratings,
            "satisfaction_pct": pct(satisfied, ratings),
            "response_rate_pct": pct(ratings, served),
        },
        "services": {
            svc.code: {
                "name": localized(svc.name, svc.name_en, lang),
                "target_wait_minutes": svc.target_wait_minutes,
            }
            for svc in cfg.services
        },
        "desk_names": {d.id: localized(d.name, d.name_en, lang) for d in cfg.desks},
        "queues": queues,
        "desks": desks,
        "stats": stats,
        "devices": _devices(cfg, row.pulse, lang),
        "ratings": [r.model_dump(mode="json") for r in rating_views(s, cfg, limit=LATEST_RATINGS)],
    }
