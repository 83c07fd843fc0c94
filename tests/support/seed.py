"""Fill a database with finished visits quickly (for load tests and benchmarks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from protocol.numbers import format_number
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import CounterRow, TicketRow
from server.timeutil import local_day


def seed_done_tickets(db: Database, site: SiteConfig, per_desk: int) -> dict[str, list[uuid.UUID]]:
    """``per_desk`` tickets served and finished just now at every desk; ids per desk."""
    now = datetime.now(UTC)
    day = local_day(now, site.tz)
    rows = []
    out: dict[str, list[uuid.UUID]] = {}
    seq: dict[str, int] = {}
    for desk in site.desks:
        service = desk.services[0]
        prefix = site.service_by_code[service].prefix
        for _ in range(per_desk):
            n = seq[service] = seq.get(service, 0) + 1
            tid = uuid.uuid4()
            out.setdefault(desk.id, []).append(tid)
            rows.append(
                {
                    "id": tid,
                    "site": site.site.code,
                    "service": service,
                    "day": day,
                    "seq": n,
                    "number": format_number(prefix, n),
                    "priority": None,
                    "state": "done",
                    "issued_at": now - timedelta(minutes=20),
                    "first_called_at": now - timedelta(minutes=10),
                    "called_at": now - timedelta(minutes=10),
                    "started_at": now - timedelta(minutes=9),
                    "ended_at": now - timedelta(seconds=30),
                    "desk_id": desk.id,
                    "clerk_id": None,
                    "recall_count": 0,
                    "kiosk_id": None,
                    "offline": False,
                    "transferred_from": None,
                }
            )
    with db.write() as s:
        for i in range(0, len(rows), 1000):
            s.execute(insert(TicketRow), rows[i : i + 1000])
        for service, last in seq.items():
            s.add(CounterRow(site=site.site.code, service=service, day=day, last_seq=last))
    return out
