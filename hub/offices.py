"""The hub's offices: their rows (`OfficeRow`), what their pulses and bridge
notifications say, and each office's `SiteConfig` as the hub rebuilds it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from protocol.hub import OfficePulse
from server.config import ConfigError, SiteConfig, parse_site_config
from server.db.tables import DeskRow, DeviceRow, OfficeRow

log = logging.getLogger(__name__)

#: Offices send their devices without password hashes; the hub never writes broker
#: files for them, so any well-formed hash will do to validate the configuration.
PLACEHOLDER_HASH = "$7$101$AAAAAAAAAAAAAAAA$" + "A" * 88


def office_site_config(row: OfficeRow) -> SiteConfig | None:
    """The office's configuration as its latest pulse gave it (None: none came yet, or
    it no longer validates here)."""
    if row.config is None:
        return None
    data = dict(row.config)
    data["devices"] = [
        {**dev, "password_hash": PLACEHOLDER_HASH} for dev in data.get("devices", [])
    ]
    try:
        return parse_site_config(data, f"office {row.code}")
    except ConfigError as e:
        log.warning("office %s: its configuration does not validate here: %s", row.code, e)
        return None


def _office_upsert(s: Session, code: str, values: dict[str, Any], now: datetime) -> None:
    stmt = insert(OfficeRow).values(code=code, name=code, group_name="", created_at=now, **values)
    s.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=values))


def record_pulse(s: Session, pulse: OfficePulse, now: datetime) -> None:
    """The office's pulse: last contact, alerts, backlog, devices and configuration."""
    body = pulse.model_dump(mode="json", exclude={"config", "desks"})
    _office_upsert(s, pulse.site, {"pulse": body, "pulse_at": now, "config": pulse.config}, now)
    if pulse.devices:
        rows = [{**d.model_dump(), "site": pulse.site} for d in pulse.devices]
        stmt = insert(DeviceRow).values(rows)
        keep = {c: stmt.excluded[c] for c in rows[0] if c not in ("site", "device_id")}
        s.execute(stmt.on_conflict_do_update(index_elements=["site", "device_id"], set_=keep))
    if pulse.desks:
        desks = sorted(
            ({**d.model_dump(), "site": pulse.site} for d in pulse.desks),
            key=lambda r: r["desk_id"],
        )
        ins = insert(DeskRow).values(desks)
        newer = {c: ins.excluded[c] for c in desks[0] if c not in ("site", "desk_id")}
        s.execute(
            ins.on_conflict_do_update(
                index_elements=["site", "desk_id"],
                set_=newer,
                where=DeskRow.updated_at <= ins.excluded.updated_at,
            )
        )


def record_link(s: Session, site: str, up: bool, now: datetime) -> None:
    """The office's bridge connected (``1``) or dropped (``0``, its Last Will)."""
    _office_upsert(s, site, {"link_up": up, "link_at": now}, now)
