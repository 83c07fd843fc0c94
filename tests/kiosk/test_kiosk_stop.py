"""Stopping a kiosk in kiosk mode as systemd does (SIGTERM): it finishes the number being
printed, exits with code 0, and keeps its outbox, so a number taken while the broker was
down reaches the server after the next start."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from server.runtime import ServerRuntime
from tests.kiosk.test_kiosk_app import ready, take_number, tickets
from tests.support.kivy_remote import RemoteApp
from tests.support.services import Broker
from tests.support.waiting import eventually
from ticket_printer.emulator import VirtualPrinter

pytestmark = pytest.mark.slow

Start = Callable[..., RemoteApp]


def test_sigterm_lets_the_print_finish_exits_0_and_keeps_the_outbox(
    start_kiosk: Start,
    site_server: ServerRuntime,
    mosquitto: Broker,
    printer: VirtualPrinter,
    tmp_path: Path,
) -> None:
    app = start_kiosk(ask_priority=False)
    ready(app)
    assert app.cmd(cmd="close")["refused"] is True  # kiosk mode: the window stays

    mosquitto.stop()
    app.wait_for(lambda s: not s["online"], what="kiosk offline")
    state = take_number(app, "tp", priority=None)
    assert state["offline_number"] is True and state["outbox"] >= 1
    offline_number = state["number"]

    # A second number, and the stop asked while it is being printed (a slow printer).
    app.touch_until(960, 540, lambda s: s["screen"] == "welcome", "back to welcome")
    printer.slow_bps = 600
    printer.set_mode("slow")
    app.tap_through("take-number")
    app.tap("service-dd")
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(timeout=45) == 0, app.log()
    log = app.log()
    assert "SIGTERM received: stopping" in log and "Traceback" not in log
    assert "stopping once the work under way is done" in log
    printed = [t.text for t in printer.tickets]
    assert any(offline_number in text for text in printed)
    assert len(printed) == 2, "the number taken as the stop came was not printed"

    app = start_kiosk(ask_priority=False)  # the same state dir: the outbox is kept
    assert app.state()["outbox"] >= 2
    mosquitto.start()
    eventually(
        lambda: (
            {r.service for r in tickets(site_server)} == {"tp", "dd"} and app.state()["outbox"] == 0
        ),
        "both offline numbers on the server",
        30,
    )
    assert offline_number in [r.number for r in tickets(site_server)]
