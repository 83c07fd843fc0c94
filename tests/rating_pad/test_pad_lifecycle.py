"""The pad's start and stop as an operator sees them: ``motcua pad`` stops on Ctrl+C
(SIGINT) with exit code 0 and says ``offline`` at once; a pad set up for a desk the
broker does not give it says so on its screen and in its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from server.config import SiteConfig
from server.runtime import ServerRuntime
from tests.kiosk.test_kiosk_app import assert_drawn
from tests.support.devices import Watcher
from tests.support.display import Display
from tests.support.kiosk import write_pad_config
from tests.support.kivy_remote import ROOT, Starter
from tests.support.services import TOOL_PASSWORD as TOOL_PW
from tests.support.services import Broker, tool_account

pytestmark = pytest.mark.slow

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _status_of(watcher: Watcher, device: str, state: str) -> None:
    watcher.wait_for(
        lambda topic, data: (
            topic.endswith(f"/device/{device}/status") and data.get("state") == state
        ),
        timeout=30,
    )


def test_motcua_pad_stops_on_sigint_with_code_0_and_reports_offline(
    display: Display, mosquitto: Broker, site: SiteConfig, tmp_path: Path
) -> None:
    cfg = write_pad_config(tmp_path / "pad.yaml", mosquitto, tmp_path / "pad-state")
    watcher = Watcher(
        site, mosquitto, f"{site.topics.root}/device/pad-q1/status", tool_account(), TOOL_PW
    )
    log = (tmp_path / "pad.log").open("wb")
    env = dict(os.environ, DISPLAY=display.name, SDL_AUDIODRIVER="dummy")
    proc = subprocess.Popen(
        [MOTCUA, "pad", "--config", str(cfg)], stdout=log, stderr=log, env=env, cwd=ROOT
    )
    try:
        _status_of(watcher, "pad-q1", "online")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0, (tmp_path / "pad.log").read_text()
        # said by the pad as it stopped, not by its Last Will 45 s later
        _status_of(watcher, "pad-q1", "offline")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        log.close()
        watcher.stop()
    text = (tmp_path / "pad.log").read_text()
    assert "SIGINT received: stopping" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text


def test_a_pad_configured_for_another_desk_says_so_on_screen_and_in_its_log(
    display: Display, site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path, shots: Path
) -> None:
    cfg = write_pad_config(tmp_path / "pad.yaml", mosquitto, tmp_path / "pad-state")
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["desk_id"] = "q2"  # the site YAML binds pad-q1 to q1: the broker refuses q2
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    starter = Starter("pad", display.name, tmp_path)
    try:
        app = starter.start(cfg)
        state = app.wait_for(lambda s: s["wrong_desk"], what="the wrong-desk message")
        assert state["banner"].startswith(
            "Máy này được cấu hình cho quầy q2, nhưng máy chủ không cho phép thiết bị pad-q1"
        )
        assert state["banner"] in state["texts"]  # on screen, not only in the app's state
        assert_drawn(app.shot(shots / "pad_wrong_desk.png"))
        log = app.log()
        assert "pad pad-q1 is configured for desk q2, but the broker refuses" in log
        assert log.count("is configured for desk q2") == 1
    finally:
        starter.stop_all()
