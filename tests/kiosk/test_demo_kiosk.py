"""`motcua demo` on a machine with a display opens a kiosk window that prints to the
virtual printer and the rating pad of desk 1 (README "Quick start")."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.display import Display
from tests.support.waiting import eventually
from tests.test_demo import _env, _stopped_cleanly, start_demo

pytestmark = pytest.mark.slow


def test_demo_with_a_display_starts_a_kiosk_and_a_pad_connected_to_the_server(
    display: Display, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var" / "demo"
    demo = start_demo(data_dir, tmp_path, env=_env(DISPLAY=display.name))
    try:
        eventually(lambda: "Kiosk:" in demo.output(), "the demo to start a kiosk", 40, 0.2)
        assert str((data_dir / "printed").resolve()) in demo.output()
        kiosk_cfg = (data_dir / "kiosk-1.yaml").read_text(encoding="utf-8")
        assert "kind: serial" in kiosk_cfg and "kiosk_mode: false" in kiosk_cfg
        assert oct(os.stat(data_dir / "kiosk-1.yaml").st_mode & 0o777) == "0o600"
        # The kiosk window's app logged in to the embedded broker with its own password:
        # the server records the device online.
        engine = create_engine(f"sqlite:///{data_dir / 'motcua.db'}")
        online: set[str] = set()

        def both_online() -> bool:
            with engine.connect() as c:
                online.clear()
                online.update(
                    c.execute(text("SELECT device_id FROM devices WHERE status = 'online'"))
                    .scalars()
                    .all()
                )
            return online == {"kiosk-1", "pad-q1"}

        with contextlib.suppress(AssertionError):  # asserted below, with the devices' logs
            eventually(both_online, "kiosk-1 and pad-q1 online", 40, 0.3)
        engine.dispose()
        logs = {
            d: (data_dir / f"{d}.log").read_text(errors="replace") for d in ("kiosk-1", "pad-q1")
        }
        assert online == {"kiosk-1", "pad-q1"}, logs
        for log in logs.values():
            assert "Traceback" not in log, log
    finally:
        code = demo.stop(signal.SIGINT)
    _stopped_cleanly(demo, signal.SIGINT, code)
    for device in ("kiosk-1", "pad-q1"):
        log = (data_dir / f"{device}.log").read_text(errors="replace")
        assert "Traceback" not in log, log
