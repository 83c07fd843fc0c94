"""Web: a clerk's call → the number on the display board, and a pad's rating → the
supervisor dashboard, in a real Chromium (Playwright) against the real server on
loopback (Mosquitto with passwords, SQLite).

Each figure is compared with a baseline of the same run: the moment the server's state
publisher hands the call (or the rating) to its listeners, i.e. when the change is
committed and ready to push. The difference is the cost of the live push (WebSocket) and
the page's own work. For the call, the clerk's HTTP round trip (action → commit →
answer) is shown too.

Run:  .venv/bin/python -m bench.web_latency [--calls 100] [--ratings 100]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright
from pydantic import BaseModel

from protocol.messages import BoardCall
from server.readmodels.ratings import RatingView
from server.runtime import ServerRuntime
from tests.support.devices import device_link, rating, request_ticket, started
from tests.support.http import PASSWORD
from tests.support.services import sqlite_url, start_mosquitto
from tests.support.sites import make_site
from tests.support.web import serve_http

CHROMIUM = "/usr/bin/chromium"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def row(name: str, values: list[float]) -> str:
    return (
        f"{name:<44} {len(values):>4} {statistics.median(values):>8.1f} "
        f"{percentile(values, 95):>8.1f} {max(values):>8.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--ratings", type=int, default=100)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-web-bench-"))
    site = make_site()
    broker = start_mosquitto(site, tmp / "mq")
    rt = ServerRuntime(
        site,
        database_url=sqlite_url(tmp),
        embedded_broker=False,
        broker_port=broker.port,
        mqtt_password=broker.server_password,
    )
    rt.start()
    assert rt.wait_ready(15)
    published: dict[str, float] = {}

    def listener(topic: str, message: BaseModel) -> None:
        if isinstance(message, BoardCall):
            published[f"{message.ticket_id}@{message.called_at.isoformat()}"] = time.time()
        elif isinstance(message, RatingView):
            published[str(message.ticket_id)] = time.time()

    rt.publisher.listeners.append(listener)
    kiosk = started(device_link(site, broker, "kiosk-1", tmp))
    pad = started(device_link(site, broker, "pad-q1", tmp))
    try:
        with serve_http(rt) as web, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
            )
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            board = ctx.new_page()
            board.goto(f"{web.url}/board?token={web.board_token()}")
            dash_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
            dash = dash_ctx.new_page()
            dash.goto(web.url + "/login")
            dash.fill("input[name=username]", "giamsat")
            dash.fill("input[name=password]", PASSWORD)
            dash.click("button[type=submit]")
            dash.wait_for_selector("#desks tr[data-desk=q1]")
            api = httpx.Client(base_url=web.url)
            token = api.post("/api/login", json={"username": "lan", "password": PASSWORD})
            api.headers["Authorization"] = f"Bearer {token.json()['token']}"
            base = f"/api/sites/{site.site.code}/desks/q1/"
            assert api.post(base + "open").status_code == 200
            n = max(args.calls, args.ratings)
            for _ in range(n):
                assert request_ticket(kiosk, "tp").ok
            http_ms: list[float] = []
            shown_ms: list[float] = []
            push_ms: list[float] = []
            tickets: list[str] = []
            for i in range(n):
                t0 = time.time()
                r = api.post(base + "call-next")
                http_ms.append((time.time() - t0) * 1000)
                ticket = r.json()["ticket"]
                tickets.append(ticket["ticket_id"])
                key = f"{ticket['ticket_id']}@"
                board.wait_for_function(
                    "k => Object.keys(window.motcuaBoard.shownAt).some(x => x.startsWith(k))",
                    arg=key,
                )
                at: dict[str, Any] = board.evaluate("window.motcuaBoard.shownAt")
                shown = next(v for k, v in at.items() if k.startswith(key)) / 1000
                pub = next(v for k, v in published.items() if k.startswith(key))
                if i < args.calls:
                    shown_ms.append((shown - t0) * 1000)
                    push_ms.append((shown - pub) * 1000)
                api.post(base + "done")
                time.sleep(0.05)
            rating_ms: list[float] = []
            rating_push_ms: list[float] = []
            for ticket_id in tickets[: args.ratings]:
                t0 = time.time()
                pad.publish_event(
                    site.topics.desk_rating("q1"),
                    rating("pad-q1", uuid.UUID(ticket_id), "satisfied"),
                )
                dash.wait_for_function("t => window.motcuaDash.ratingAt[t]", arg=ticket_id)
                got = dash.evaluate("t => window.motcuaDash.ratingAt[t]", ticket_id) / 1000
                rating_ms.append((got - t0) * 1000)
                rating_push_ms.append((got - published[ticket_id]) * 1000)
                time.sleep(0.02)
            browser.close()
    finally:
        kiosk.stop()
        pad.stop()
        rt.stop()
        broker.stop()
    print(f"{'':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(row("call: clerk's HTTP round trip (baseline)", http_ms))
    print(row("call: action → number on the board", shown_ms))
    print(row("call: committed → on the board (push+page)", push_ms))
    print(row("rating: pad publish → on the dashboard", rating_ms))
    print(row("rating: committed → on the dashboard", rating_push_ms))


if __name__ == "__main__":
    main()
