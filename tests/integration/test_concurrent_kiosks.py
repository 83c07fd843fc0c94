"""20 kiosks × 50 requests at once get unique, gap-free numbers, through a real broker.

The reserve zone (numbers kept for the kiosks' offline blocks) is put in the middle of
the range the test issues, so the concurrent numbering also has to jump over it: gap-free
apart from the zone, and nothing inside it."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from protocol.link import MqttLink
from server.config import SiteConfig
from server.db.tables import TicketRow
from tests.conftest import make_runtime
from tests.support.devices import device_link, request_ticket, started
from tests.support.services import Broker
from tests.support.sites import make_site

KIOSKS, PER_KIOSK = 20, 50
SERVICES = ("tp", "dd")
#: Reserve zone 200…399 (20 kiosks × 10): each service's 500 numbers run 1…199, 400…700.
OFFLINE = {"reserve_first": 200, "block_size": 10}


@pytest.fixture
def site() -> SiteConfig:
    """Overrides the shared `site`, so the shared `broker` fixture serves this office."""
    return make_site(kiosks=KIOSKS, offline=OFFLINE)


@pytest.mark.slow
def test_20_kiosks_get_unique_gap_free_numbers_around_the_reserve_zone(
    site: SiteConfig, broker: Broker, db_url: str, tmp_path: Path
) -> None:
    rt = make_runtime(site, db_url, broker)
    kiosks: list[MqttLink] = []
    numbers: dict[str, list[str]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()

    def run(link: MqttLink, index: int) -> None:
        for i in range(PER_KIOSK):
            service = SERVICES[(index + i) % 2]
            try:
                resp = request_ticket(link, service, timeout=30)
            except Exception as e:  # collected and asserted below
                errors.append(f"{link.device_id}: {e!r}")
                continue
            if not resp.ok or resp.ticket is None:
                errors.append(f"{link.device_id}: refused {resp.refusal}")
                continue
            with lock:
                numbers[service].append(resp.ticket.number)

    try:
        kiosks = [started(device_link(site, broker, f"kiosk-{i}")) for i in range(1, KIOSKS + 1)]
        threads = [threading.Thread(target=run, args=(k, i)) for i, k in enumerate(kiosks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        assert sum(len(v) for v in numbers.values()) == KIOSKS * PER_KIOSK
        zone_first, zone_last = site.reserve_zone
        assert (zone_first, zone_last) == (200, 399)
        outside = [n for n in range(1, 2000) if not zone_first <= n <= zone_last]
        for service, got in numbers.items():
            prefix = site.service_by_code[service].prefix
            assert len(got) > zone_first, "the test must issue numbers across the zone"
            expected = sorted(f"{prefix}{n:03d}" for n in outside[: len(got)])
            assert sorted(got) == expected, f"{service}: not unique and gap-free around the zone"
        with rt.db.read() as s:
            stored = list(s.execute(select(TicketRow.service, TicketRow.number)))
        assert sorted(f"{svc}:{num}" for svc, num in stored) == sorted(
            f"{svc}:{num}" for svc, nums in numbers.items() for num in nums
        )
    finally:
        for k in kiosks:
            k.stop()
        rt.stop()
