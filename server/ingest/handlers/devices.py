"""Every device's status (online/offline, its Last Will) and health reports.

They feed the dashboard's device list and alerts. A status may be a stale Last Will from
an earlier session of the device (told apart by its boot id), and a kiosk coming back
online gets today's offline reserve again.
"""

from __future__ import annotations

from protocol.clock import on_server_clock
from protocol.messages import DeviceHealth, DeviceStatus
from server.config import SiteConfig
from server.db.tables import DeviceRow
from server.ingest.admission import Admission, Inbound, decode_as
from server.ingest.batch import Outcome
from server.services.tickets import TicketService
from server.services.unit import Unit


class DeviceHandlers:
    def __init__(self, config: SiteConfig, admission: Admission, tickets: TicketService) -> None:
        self.config = config
        self.admission = admission
        self.tickets = tickets

    def _row(self, unit: Unit, device_id: str) -> DeviceRow:
        self.admission.check_known(device_id)
        row = unit.session.get(DeviceRow, (self.config.site.code, device_id))
        if row is None:
            row = DeviceRow(site=self.config.site.code, device_id=device_id, status="offline")
            unit.session.add(row)
        return row

    def status(self, unit: Unit, item: Inbound, out: Outcome) -> None:
        device_id = item.ident
        status = decode_as(DeviceStatus, item)
        self.admission.check_sender(status.device_id, device_id)
        row = self._row(unit, device_id)
        boot = str(status.boot_id)
        if status.state == "offline" and row.boot_id not in (None, boot):
            return  # a stale Last Will from an earlier session of the device
        row.status = status.state
        row.boot_id = boot
        row.status_since = status.since if status.state == "online" else item.received_at
        row.last_seen = item.received_at
        unit.changes.devices.add(device_id)
        if status.state == "online" and self.config.device_by_id[device_id].kind == "kiosk":
            self.tickets.renew_reserve(unit, device_id)

    def health(self, unit: Unit, item: Inbound, out: Outcome) -> None:
        device_id = item.ident
        health = decode_as(DeviceHealth, item)
        self.admission.check_sender(health.device_id, device_id)
        row = self._row(unit, device_id)
        row.health = health.model_dump(mode="json", by_alias=True)
        row.health_at = on_server_clock(health.sent_at, health.clock_offset_s)
        row.last_seen = item.received_at
        unit.changes.devices.add(device_id)
