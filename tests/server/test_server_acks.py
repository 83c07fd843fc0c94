"""The server acknowledges every QoS 1 message it receives, not only the device events
it commits.

Its link uses manual acknowledgements (a device event is acknowledged after its commit,
so it is delivered again if the server dies first). Its own heartbeat and status come
back to it on the same link: left unacknowledged, they stayed "in flight" at the broker,
one more every 5 s. Once ``max_inflight_messages`` of them piled up (1000: about 80
minutes of heartbeats) the broker stopped delivering anything else to the server, kiosks
included; and each restart was greeted by old "online" statuses of earlier runs. The
broker here allows only a few messages in flight, so hours happen in seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.config import SiteConfig
from tests.conftest import make_runtime
from tests.support.devices import Watcher, device_link, request_ticket, started
from tests.support.services import TOOL_PASSWORD, MosquittoBroker, sqlite_url, start_mosquitto

INFLIGHT = 4
WAIT_S = 30.0

pytestmark = pytest.mark.mosquitto


@pytest.fixture
def tight_broker(site: SiteConfig, tmp_path: Path) -> Iterator[MosquittoBroker]:
    """The generated broker, allowing only ``INFLIGHT`` unacknowledged messages per client."""
    broker = start_mosquitto(site, tmp_path / "mosquitto")
    try:
        broker.stop()
        conf = broker.conf.read_text(encoding="utf-8")
        assert "max_inflight_messages 1000" in conf
        broker.conf.write_text(
            conf.replace("max_inflight_messages 1000", f"max_inflight_messages {INFLIGHT}"),
            encoding="utf-8",
        )
        broker.start()
        yield broker
    finally:
        broker.stop()


def _wait_heartbeats(site: SiteConfig, broker: MosquittoBroker, n: int) -> None:
    """Wait until the server has published ``n`` heartbeats (seen by a test tool)."""
    watcher = Watcher(
        site, broker, site.topics.server_heartbeat(), "test-tool-1", password=TOOL_PASSWORD
    )
    seen = 0

    def counted(_topic: str, _data: dict[str, Any]) -> bool:
        nonlocal seen
        seen += 1
        return seen >= n

    try:
        watcher.wait_for(counted, timeout=WAIT_S + n * 2)
    finally:
        watcher.stop()


def test_hours_of_heartbeats_do_not_stop_kiosks_getting_numbers(
    site: SiteConfig, tight_broker: MosquittoBroker, tmp_path: Path
) -> None:
    rt = make_runtime(site, sqlite_url(tmp_path), tight_broker)  # a heartbeat every second
    kiosk = None
    try:
        _wait_heartbeats(site, tight_broker, 3 * INFLIGHT)
        kiosk = started(device_link(site, tight_broker, "kiosk-1"))
        resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
        assert resp.ok and resp.ticket is not None
    finally:
        if kiosk is not None:
            kiosk.stop()
        rt.stop()


def test_a_restarted_server_is_not_greeted_by_its_earlier_runs(
    site: SiteConfig,
    tight_broker: MosquittoBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = sqlite_url(tmp_path)
    first = make_runtime(site, db, tight_broker)
    _wait_heartbeats(site, tight_broker, 2)
    first.stop()
    caplog.set_level(logging.WARNING, logger="server.link_watch")
    second = make_runtime(site, db, tight_broker)
    try:
        _wait_heartbeats(site, tight_broker, 2)
        assert second.watch is not None and second.watch.report().state == "ok"
    finally:
        second.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "server.link_watch"]
    assert not [w for w in warnings if "says online" in w], warnings
