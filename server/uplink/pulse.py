"""The office's pulse to its hub (`protocol.hub.OfficePulse`): alive, its alerts, its
devices, how many facts still wait for the hub, and its configuration without secrets."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select

from protocol.decoding import MAX_PAYLOAD_BYTES
from protocol.hub import DeskSnap, DeviceSnap, OfficePulse, PulseAlert, StreamName
from protocol.version import VERSION
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, DeviceRow
from server.queue.context import QueueContext
from server.readmodels.alerts import current_alerts
from server.timeutil import now_utc

log = logging.getLogger(__name__)


def secretless(config: SiteConfig) -> dict[str, Any]:
    """What an office tells its hub of its configuration: no server section (addresses,
    password hashes, database URL), no hub account, no device password hashes."""
    data = config.model_dump(mode="json", exclude={"server", "hub"})
    for device in data.get("devices", []):
        device.pop("password_hash", None)
    return data


def build_pulse(
    config: SiteConfig,
    db: Database,
    context: QueueContext,
    boot_id: uuid.UUID,
    backlog: dict[StreamName, int],
) -> OfficePulse:
    now = now_utc()
    with db.read() as s:
        alerts = current_alerts(s, config, context, now)
        devices = list(s.scalars(select(DeviceRow).where(DeviceRow.site == config.site.code)))
        desks = list(s.scalars(select(DeskRow).where(DeskRow.site == config.site.code)))
    snaps = [
        DeviceSnap(
            device_id=d.device_id,
            status=d.status,
            boot_id=d.boot_id,
            status_since=d.status_since,
            last_seen=d.last_seen,
            health=d.health,
            health_at=d.health_at,
        )
        for d in devices[:200]
    ]
    pulse = OfficePulse(
        site=config.site.code,
        sent_at=now,
        boot_id=boot_id,
        version=VERSION,
        backlog=backlog,
        alerts=[
            PulseAlert(code=a.key[:80], severity=a.severity, vi=a.message, en=a.message_en)
            for a in alerts[:100]
        ],
        devices=snaps,
        desks=[DeskSnap.model_validate(d, from_attributes=True) for d in desks[:200]],
        config=secretless(config),
    )
    if len(pulse.to_json()) > MAX_PAYLOAD_BYTES:
        # a very large office: the hub shows codes instead of names rather than nothing
        log.warning("the office's configuration is too large for its pulse; sent without it")
        pulse = pulse.model_copy(update={"config": {"site": secretless(config)["site"]}})
    return pulse
