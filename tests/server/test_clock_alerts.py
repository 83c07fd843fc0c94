"""The dashboard's ``clock_skew`` alert (issue 15): a device whose last health report
says its clock is more than 30 s off the server's, against real databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeviceRow
from server.readmodels.alerts import Alert, current_alerts
from server.readmodels.devices import device_views
from tests.server.engine_helpers import T0, Office


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


def reported(o: Office, device: str, offset: float | None, status: str = "online") -> None:
    health = {"app_version": "1.0", "outbox_depth": 0}
    if offset is not None:
        health["clock_offset_s"] = offset
    since = T0 - timedelta(hours=1)
    with o.db.write() as s:
        s.add(
            DeviceRow(
                site=o.config.site.code,
                device_id=device,
                status=status,
                boot_id="5f0c6c1e-3c53-4f0e-9a57-1c2a3b4c5d6e",
                status_since=since,
                last_seen=since,
                health=health,
                health_at=since,
            )
        )


def clock_alerts(o: Office) -> list[Alert]:
    with o.db.read() as s:
        return [a for a in current_alerts(s, o.config, o.engine) if a.kind == "clock_skew"]


def test_only_a_clock_more_than_30_s_off_raises_a_warning(office: Office) -> None:
    reported(office, "kiosk-1", 30.0)  # at the limit: fine
    reported(office, "kiosk-2", None)  # never measured (an older device): nothing to say
    reported(office, "pad-q1", -90.4)
    [alert] = clock_alerts(office)
    assert (alert.device_id, alert.severity, alert.key) == (
        "pad-q1",
        "warning",
        "clock_skew:pad-q1",
    )
    assert "lệch 90 giây so với máy chủ — kiểm tra đồng bộ giờ (NTP)" in alert.message
    assert alert.message_en.endswith("is 90 s off the server's — check time sync (NTP)")
    with office.db.read() as s:
        views = {v.id: v for v in device_views(s, office.config)}
    assert views["pad-q1"].clock_offset_s == -90.4
    assert views["kiosk-2"].clock_offset_s is None
    assert views["board-1"].clock_offset_s is None  # never seen


def test_an_offline_devices_old_report_raises_no_clock_alert(office: Office) -> None:
    reported(office, "kiosk-1", 300.0, status="offline")
    assert clock_alerts(office) == []
