"""Kiosk: touch on a service → the number on screen, and cold start → first frame.

A real kiosk window (Kivy on Xvfb) with the real server on loopback (Mosquitto with
passwords, SQLite) and the virtual printer on a pty pair. A touch on "Tư pháp – Hộ
tịch" is timed inside the app from the touch to the first frame flipped with the number
on it; the server round trip inside that time (ticket request → response over MQTT) is
the baseline of the same run: the difference is what the kiosk's own screen work costs.
The timing is done by a probe this benchmark attaches to the app in its process
(``LatencyProbe``, an observer of ``kiosk.flow``): the app carries no measuring code.

A second baseline is the display itself: the frame time of a one-label Kivy app on the
same display. Without a GPU (Xvfb + Mesa llvmpipe) one 1920×1080 frame costs tens of
milliseconds and the touch → number path draws two frames ("…" at once, then the
number), so on such a machine the figure is mostly software rendering.

Run:  .venv/bin/python -m bench.kiosk_latency [--tickets 200] [--cold-starts 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.core import IssuedNumber
    from tests.support.kivy_remote import RemoteApp

# The kiosk's process imports this module too (``--app``): what only the benchmark's
# own process needs (the server, the broker, the printer) is imported in ``bench()``.


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def frame_probe() -> None:
    """Child process: median and p95 frame time of a trivial Kivy app, in ms."""
    os.environ.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1")
    from kivy.config import Config

    Config.set("graphics", "width", "1920")
    Config.set("graphics", "height", "1080")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.label import Label

    flips: list[float] = []

    class Probe(App):
        def build(self) -> Label:
            label = Label(text="A001", font_size=250)
            Window.bind(on_flip=lambda *_a: flips.append(time.perf_counter()))
            Clock.schedule_interval(lambda _dt: setattr(label, "text", str(len(flips))), 0)
            Clock.schedule_once(lambda _dt: self.stop(), 4)
            return label

    Probe().run()
    gaps = sorted(b - a for a, b in pairwise(flips[5:]))
    print(f"{percentile(gaps, 50) * 1000:.1f} {percentile(gaps, 95) * 1000:.1f}")


class LatencyProbe:
    """In the kiosk's process: touch on a service → first frame with the number (and the
    server round trip inside it), and the first frame after start (wall clock)."""

    def __init__(self) -> None:
        self.timings: list[tuple[float, float]] = []
        self.first_frame_at: float | None = None
        self._touch_at = 0.0
        self._request_s = 0.0

    def attach(self, app: KioskApp) -> None:
        from kivy.core.window import Window

        Window.bind(on_flip=self._first_flip)
        app.issuer.observers.append(self)

    def issue_started(self) -> None:
        self._touch_at = time.perf_counter()

    def number_shown(self, issued: IssuedNumber, request_s: float) -> None:
        from kivy.core.window import Window

        self._request_s = request_s
        Window.bind(on_flip=self._number_flipped)

    def _first_flip(self, *_a: Any) -> None:
        from kivy.core.window import Window

        self.first_frame_at = time.time()
        Window.unbind(on_flip=self._first_flip)

    def _number_flipped(self, *_a: Any) -> None:
        from kivy.core.window import Window

        Window.unbind(on_flip=self._number_flipped)
        self.timings.append((time.perf_counter() - self._touch_at, self._request_s))

    def describe(self) -> dict[str, Any]:
        return {"timings": self.timings, "first_frame_at": self.first_frame_at}


def kiosk_with_probe(config_path: str) -> None:
    """Child process: the kiosk of ``config_path``, remote-controlled, with the probe."""
    from tests.support.kivy_remote import make_app, run_app

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    app = make_app("kiosk", config_path)
    probe = LatencyProbe()
    probe.attach(app)
    run_app(app, extra_state=probe.describe)


def start_kiosk(config: Path, display: str, log: Path) -> RemoteApp:
    from tests.support.kivy_remote import RemoteApp

    return RemoteApp(["--app", str(config)], display, log, module="bench.kiosk_latency")


def display_frame_ms(display: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.kiosk_latency", "--frame-probe"],
        env=dict(os.environ, DISPLAY=display),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=200)
    ap.add_argument("--cold-starts", type=int, default=3)
    ap.add_argument("--frame-probe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--app", metavar="CONFIG", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.frame_probe:
        frame_probe()
    elif args.app:
        kiosk_with_probe(args.app)
    else:
        bench(args.tickets, args.cold_starts)


def bench(tickets: int, cold_starts: int) -> None:
    from server.runtime import ServerRuntime
    from tests.support.display import start_xvfb
    from tests.support.kiosk import write_kiosk_config
    from tests.support.services import sqlite_url, start_mosquitto
    from tests.support.sites import SERVER_PASSWORD, make_site
    from ticket_printer.emulator import VirtualPrinter

    logging.basicConfig(level=logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-kiosk-"))
    site = make_site()
    display = start_xvfb()
    broker = start_mosquitto(site, tmp / "mosquitto")
    rt = ServerRuntime(
        site,
        database_url=sqlite_url(tmp),
        embedded_broker=False,
        broker_port=broker.port,
        mqtt_password=SERVER_PASSWORD,
    )
    rt.start()
    assert rt.wait_ready(15)
    printer = VirtualPrinter(tmp / "printed", save_files=False).start()
    cfg = write_kiosk_config(tmp / "kiosk.yaml", broker, tmp / "state", printer, ask_priority=False)
    try:
        frame = display_frame_ms(display.name)
        cold: list[float] = []
        app = None
        for i in range(cold_starts):
            if app is not None:
                app.stop()
            t0 = time.time()
            app = start_kiosk(cfg, display.name, tmp / f"kiosk-{i}.log")
            state = app.wait_for(lambda s: s["first_frame_at"], timeout=60, what="first frame")
            cold.append(state["first_frame_at"] - t0)
        assert app is not None
        app.wait_for(lambda s: s["services"] and s["online"], timeout=30, what="online")
        for _ in range(tickets):
            app.cmd(cmd="go", screen="services")
            app.tap_through("service-tp")  # (again if inside the kiosk's press guard)
            app.wait_for(lambda s: not s["busy"] and s["number"], what="number", timeout=30)
        timings = app.state()["timings"]
        app.stop()
    finally:
        printer.stop()
        rt.stop()
        broker.stop()
        display.stop()

    screen = [t[0] * 1000 for t in timings]
    trip = [t[1] * 1000 for t in timings]
    print(f"kiosk: {len(timings)} tickets, touch on a service → number on screen")
    print(
        f"display: one frame of a one-label Kivy app p50 {frame[0]:.1f} ms, p95 {frame[1]:.1f} ms"
    )
    print(f"{'':38}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for label, values in (
        ("server round trip (baseline)", trip),
        ("touch → frame with the number", screen),
    ):
        print(
            f"{label:38}{percentile(values, 50):9.1f}{percentile(values, 95):9.1f}"
            f"{max(values):9.1f}"
        )
    overhead = [a - b for a, b in zip(screen, trip, strict=True)]
    print(
        f"{'kiosk screen work (difference)':38}{percentile(overhead, 50):9.1f}"
        f"{percentile(overhead, 95):9.1f}{max(overhead):9.1f}"
    )
    print(
        f"cold start → first frame: median {statistics.median(cold):.2f} s "
        f"(runs: {', '.join(f'{c:.2f}' for c in cold)})"
    )


if __name__ == "__main__":
    main()
