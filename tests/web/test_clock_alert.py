"""The dashboard warns about a device whose clock is off (issue 15), in Chromium: a real
kiosk core 45 s ahead measures its offset from the server's heartbeat, reports it in its
health, and the supervisor sees the alert in Vietnamese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import KioskConfig
from kiosk.core import KioskCore
from server.runtime import ServerRuntime
from tests.support.devices import now, settings_for
from tests.support.services import Broker
from tests.support.waiting import eventually
from tests.support.web import WebServer
from tests.web.test_browser import log_in

pytestmark = pytest.mark.slow


@pytest.fixture
def fast_kiosk(
    site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path
) -> Iterator[KioskCore]:
    site = site_server.config
    cfg = KioskConfig(
        device_id="kiosk-1",
        site=site.site.code,
        state_dir=tmp_path / "kiosk-1",
        broker=settings_for(mosquitto, site, "kiosk-1"),
    )
    core = KioskCore(cfg, clock=lambda: now() + timedelta(seconds=45))
    core.start()
    yield core
    core.stop()


def test_the_dashboard_shows_a_kiosk_clock_45_s_off(
    browser: Any, web: WebServer, fast_kiosk: KioskCore
) -> None:
    dash = log_in(browser, web, "giamsat")
    dash.wait_for_selector("#devices tr[data-device=kiosk-1]")
    eventually(lambda: fast_kiosk.clock_offset() is not None, "a heartbeat", 10)
    fast_kiosk.report_health_now()
    dash.wait_for_selector("#alerts li[data-kind=clock_skew]", timeout=10_000)
    text = dash.inner_text("#alerts li[data-kind=clock_skew]")
    assert "lệch 45 giây so với máy chủ — kiểm tra đồng bộ giờ (NTP)" in text
