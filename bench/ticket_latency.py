"""Ticket request → response latency with 20 kiosks on loopback.

Each kiosk (its own MQTT connection, as in the field) asks for numbers one after the
other, as fast as the answers come; the latency of every request is recorded. The
baseline in the same run is a bare MQTT round trip through the same broker (an echo
client answering on the response topic without touching a database), so the figure
shows what the server's work adds.

Run:  .venv/bin/python -m bench.ticket_latency [--kiosks 20] [--requests 50]
          [--db sqlite|postgres] [--interval SECONDS]

Back to back (the default) saturates the server: 20 kiosks each asking again the moment
they are answered. ``--interval 0.2`` is still 100 numbers a second in total, far above
an office's real rate, and shows the latency a citizen sees under load.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.link import MqttLink
from protocol.messages import TicketResponse
from server.config import SiteConfig
from server.runtime import ServerRuntime
from tests.support.devices import device_link, request_ticket, started
from tests.support.services import (
    TOOL_PASSWORD,
    Broker,
    create_pg_database,
    sqlite_url,
    start_mosquitto,
    tool_account,
)
from tests.support.sites import SERVER_PASSWORD, make_site


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def echo_server(broker: Broker, site: SiteConfig) -> mqtt.Client:
    """Answers every ticket request at once with a canned reply: the bare pipe."""
    root = site.topics.root
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-echo", protocol=mqtt.MQTTv311)
    c.username_pw_set(tool_account(), TOOL_PASSWORD)  # the server's rights, its own account
    ready = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        kiosk = msg.topic.split("/")[-3]
        req = json.loads(msg.payload)
        reply = TicketResponse(request_id=req["msg_id"], ok=False)
        client.publish(site.topics.ticket_response(kiosk), reply.to_json(), qos=1)

    c.on_message = on_message
    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(f"{root}/kiosk/+/ticket/request", qos=1)
    c.on_subscribe = lambda *a: ready.set()
    c.on_socket_open = lambda cl, u, sock: sock.setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
    )
    c.connect(broker.host, broker.port)
    c.loop_start()
    ready.wait(10)
    return c


def _kiosk_process(
    port: int, kiosks: int, requests: int, echo: bool, out: Any, interval: float = 0.0
) -> None:
    """Runs in a child process, as kiosks are separate machines: one connection each."""
    site = make_site(kiosks=kiosks)
    broker = Broker(kind="external", port=port)
    links = [started(device_link(site, broker, f"kiosk-{i}")) for i in range(1, kiosks + 1)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(link: MqttLink, index: int) -> None:
        next_at = time.perf_counter() + interval * index / max(kiosks, 1)
        for i in range(requests):
            if interval:
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            t0 = time.perf_counter()
            try:
                resp = request_ticket(link, ("tp", "dd", "ldtbxh")[(index + i) % 3], timeout=30)
            except Exception as e:
                errors.append(repr(e))
                continue
            dt = time.perf_counter() - t0
            if echo or resp.ok:
                with lock:
                    latencies.append(dt * 1000)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(k, i)) for i, k in enumerate(links)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for k in links:
        k.stop()
    out.put((latencies, errors, wall))


def run_kiosks(
    port: int, kiosks: int, requests: int, echo: bool, interval: float = 0.0
) -> tuple[list[float], float]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_kiosk_process, args=(port, kiosks, requests, echo, out, interval))
    proc.start()
    latencies, errors, wall = out.get(timeout=600)
    proc.join(60)
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed: {errors[:3]}")
    return latencies, wall


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--kiosks", type=int, default=20)
    ap.add_argument("--requests", type=int, default=50)
    # One broker now: the one-box server runs the same Mosquitto configuration.
    ap.add_argument("--broker", choices=["mosquitto"], default="mosquitto")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="seconds between one kiosk's requests (0: each kiosk asks again as soon as answered)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    site = make_site(kiosks=args.kiosks)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    broker = start_mosquitto(site, tmp / "mq")
    pg = create_pg_database() if args.db == "postgres" else None
    url = pg.url if pg else sqlite_url(tmp)
    rows = []
    try:
        echo = echo_server(broker, site)
        base, _ = run_kiosks(broker.port, args.kiosks, args.requests, True, args.interval)
        echo.disconnect()
        echo.loop_stop()
        rt = ServerRuntime(
            site,
            database_url=url,
            embedded_broker=False,
            broker_port=broker.port,
            mqtt_password=SERVER_PASSWORD,
        )
        rt.start()
        rt.wait_ready()
        served, wall = run_kiosks(broker.port, args.kiosks, args.requests, False, args.interval)
        rt.stop()
        for name, lat in (
            ("bare MQTT round trip (echo)", base),
            ("motcua server (issue a number)", served),
        ):
            rows.append(
                (
                    name,
                    len(lat),
                    statistics.median(lat),
                    percentile(lat, 95),
                    percentile(lat, 99),
                    max(lat),
                )
            )
    finally:
        broker.stop()
        if pg:
            pg.drop()
    pace = f"every {args.interval:g} s" if args.interval else "back to back"
    what = (
        f"{args.kiosks} kiosks × {args.requests} requests ({pace}), "
        f"broker={args.broker}, db={args.db}"
    )
    print(f"ticket latency: {what}")
    print(f"{'':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, n, p50, p95, p99, mx in rows:
        print(f"{name:32} {n:>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {mx:>8.1f}")
    print(f"server throughput: {len(served) / wall:.0f} numbers/s")


if __name__ == "__main__":
    main()
